/*
 * bench_rollback: the helper of scripts/bench-rollback.sh (make
 * bench-rollback).
 *
 *   bench_rollback gen USERS TIME [SEED]
 *       writes, as RESP on stdout for `redis-cli --pipe`, USERS users the
 *       way the module stores them, each changed after TIME so that a
 *       rollback --changed-since TIME has something to undo for every one
 *       of them (the worst case);
 *
 *   bench_rollback probe PORT
 *       another client of the same Redis: a PING about every millisecond
 *       until SIGINT or SIGTERM, then "probe: N pings, max X ms, p99 Y ms,
 *       p50 Z ms, K over 10 ms" on stdout.
 *
 * Every user has a user hash, one to three passkey hashes, the active set
 * and the set of all its passkeys, one to three last-known-good snapshots,
 * the handle and passkey id claims, and its entry in the index of changed
 * users; the index is marked complete, as `webauthn-admin reindex` leaves
 * it (the module keeps it so from then on).  What changed after TIME depends
 * on the number of passkeys:
 *
 *   1 passkey:  it was suspended after TIME (by mistake): restore it;
 *   2 passkeys: the second was registered after TIME: remove it;
 *   3 passkeys: the second was suspended and the third registered after
 *               TIME: restore one, remove one.
 */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>


#define ARGS_MAX  40


static uint64_t  rng = 0x9e3779b97f4a7c15ULL;


static uint64_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}


static void
b64url(const uint8_t *in, size_t n, char *out)
{
    static const char  a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t    i, o = 0;
    uint32_t  v;

    for (i = 0; i + 2 < n; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        v = (uint32_t) in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
    } else if (n - i == 2) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
    }
    out[o] = '\0';
}


static void
random_b64(size_t n, char *out)
{
    uint8_t  buf[128];
    size_t   i;

    for (i = 0; i < n; i++) {
        buf[i] = (uint8_t) rnd();
    }
    b64url(buf, n, out);
}


/* one command as RESP: the arguments are C strings */
static void
resp(int argc, const char **argv)
{
    int  i;

    printf("*%d\r\n", argc);
    for (i = 0; i < argc; i++) {
        printf("$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    }
}


typedef struct {
    char  id[48];
    char  created[24];
    char  status[24];       /* "suspended" time, or "" */
    int   active;
} cred_t;


static void
gen_cred(const char *prefix, const char *name, const cred_t *c)
{
    char         key[512], claim[512], pk[160], count[16], used[24];
    const char  *argv[] = {
        "HSET", key, "pk", pk, "alg", "-7", "count", count,
        "transports", "hybrid,internal",
        "aaguid", "fbfc3007-154e-4ecc-8c0b-6e020557d7bd",
        "be", "1", "bs", "1", "uv", "1", "fmt", "none",
        "created", c->created, "used", used, "suspended", c->status
    };
    int          n = sizeof(argv) / sizeof(argv[0]);

    snprintf(key, sizeof(key), "%scred:%s", prefix, c->id);
    random_b64(77, pk);
    snprintf(count, sizeof(count), "%u", (unsigned) (rnd() % 1000));
    snprintf(used, sizeof(used), "%lld", atoll(c->created) + 86400);

    /* "suspended" last, only when set */
    resp(c->status[0] ? n : n - 2, argv);

    snprintf(claim, sizeof(claim), "wa:{c:%s}", c->id);
    argv[0] = "SET";
    argv[1] = claim;
    argv[2] = name;
    resp(3, argv);
}


static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}


/* "TAKEN CHANGED ID,ID" of the passkeys picked by mask, ids sorted */
static void
snapshot(char *out, size_t size, long long taken, long long changed,
    const cred_t *c, int nc, unsigned mask)
{
    const char  *ids[3];
    size_t       len;
    int          i, n = 0;

    for (i = 0; i < nc; i++) {
        if (mask & (1u << i)) {
            ids[n++] = c[i].id;
        }
    }
    qsort(ids, n, sizeof(ids[0]), cmp_str);
    len = (size_t) snprintf(out, size, "%lld %lld ", taken, changed);
    for (i = 0; i < n; i++) {
        len += snprintf(out + len, size - len, "%s%s", i ? "," : "", ids[i]);
    }
}


static void
gen_user(unsigned long u, long long t)
{
    const char  *argv[ARGS_MAX];
    char         name[64], U[96], prefix[128], key[160], handle[64];
    char         hkey[96], created[24], changed[24], snap[24];
    char         lkg[3][512];
    cred_t       c[3];
    long long    old = t - 90 * 86400 - (long long) (rnd() % 86400);
    unsigned     before;
    int          nc = 1 + (int) (rnd() % 3), ns = 1 + (int) (rnd() % 3);
    int          i, k, n;

    snprintf(name, sizeof(name), "user%08lu@example.com", u);
    b64url((const uint8_t *) name, strlen(name), U);
    snprintf(prefix, sizeof(prefix), "wa:{u:%s}:", U);
    random_b64(32, handle);

    /* the passkeys and what happened after t (see the top) */
    memset(c, 0, sizeof(c));
    for (i = 0; i < nc; i++) {
        random_b64(16 + rnd() % 17, c[i].id);
        snprintf(c[i].created, sizeof(c[i].created), "%lld",
                 old + i * 86400);
        c[i].active = 1;
    }
    before = nc == 3 ? 3u : 1u;             /* the set before t */
    if (nc == 1) {
        snprintf(c[0].status, sizeof(c[0].status), "%lld", t + 600);
        c[0].active = 0;
    } else {
        snprintf(c[nc - 1].created, sizeof(c[nc - 1].created), "%lld",
                 t + 1200);
        if (nc == 3) {
            snprintf(c[1].status, sizeof(c[1].status), "%lld", t + 600);
            c[1].active = 0;
        }
    }
    for (i = 0; i < nc; i++) {
        gen_cred(prefix, name, &c[i]);
    }

    /* newest first: maybe one taken after the change (at a login: not
     * with no passkey left), then the last known good one, then an older
     * one of the first passkey only */
    n = 0;
    if (ns >= 2 && nc >= 2) {
        snapshot(lkg[n++], sizeof(lkg[0]), t + 7200, t + 1200, c, nc,
                 1u | 1u << (nc - 1));
    }
    snapshot(lkg[n++], sizeof(lkg[0]), t - 3600, old + (nc - 1) * 86400, c,
             nc, before);
    if (ns == 3 || (ns == 2 && nc == 1)) {
        snapshot(lkg[n++], sizeof(lkg[0]), old + 3600, old, c, nc, 1u);
    }

    snprintf(key, sizeof(key), "%suser", prefix);
    snprintf(created, sizeof(created), "%lld", old);
    snprintf(changed, sizeof(changed), "%lld", t + 1200);
    snprintf(snap, sizeof(snap), "%lld", ns >= 2 && nc >= 2
                                         ? t + 1200 : old + (nc - 1) * 86400);
    argv[0] = "HSET";
    argv[1] = key;
    argv[2] = "handle";
    argv[3] = handle;
    argv[4] = "created";
    argv[5] = created;
    argv[6] = "changed";
    argv[7] = changed;
    argv[8] = "snap";
    argv[9] = snap;
    resp(10, argv);

    argv[0] = "HSET";
    argv[1] = "wa:changed";
    argv[2] = name;
    argv[3] = changed;
    resp(4, argv);

    argv[0] = "SADD";
    snprintf(key, sizeof(key), "%screds", prefix);
    argv[1] = key;
    for (i = 2, k = 0; k < nc; k++) {
        if (c[k].active) {
            argv[i++] = c[k].id;
        }
    }
    if (i > 2) {
        resp(i, argv);
    }

    snprintf(key, sizeof(key), "%sall", prefix);
    for (i = 0; i < nc; i++) {
        argv[2 + i] = c[i].id;
    }
    resp(2 + nc, argv);

    argv[0] = "RPUSH";
    snprintf(key, sizeof(key), "%slkg", prefix);
    argv[1] = key;
    for (i = 0; i < n; i++) {
        argv[2 + i] = lkg[i];
    }
    resp(2 + n, argv);

    snprintf(hkey, sizeof(hkey), "wa:{h:%s}", handle);
    argv[0] = "SET";
    argv[1] = hkey;
    argv[2] = name;
    resp(3, argv);
}


static int
gen(int argc, char **argv)
{
    static char    obuf[1 << 20];
    unsigned long  users, u;
    long long      t;
    const char    *mark[3];
    char           now[24];

    if (argc < 4) {
        return 2;
    }
    users = strtoul(argv[2], NULL, 10);
    t = atoll(argv[3]);
    if (argc > 4) {
        rng ^= strtoull(argv[4], NULL, 10) * 0x2545F4914F6CDD1DULL;
    }
    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    for (u = 0; u < users; u++) {
        gen_user(u, t);
    }
    snprintf(now, sizeof(now), "%lld", (long long) time(NULL));
    mark[0] = "SET";
    mark[1] = "wa:changed:complete";
    mark[2] = now;
    resp(3, mark);
    return fflush(stdout) == 0 ? 0 : 1;
}


static volatile sig_atomic_t  probe_stop;


static void
on_stop(int signo)
{
    probe_stop = 1;
}


static double
ms_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}


static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}


/* PING every millisecond; the latencies, the worst and the 99th */
static int
probe(int argc, char **argv)
{
    struct sigaction   sa;
    struct timespec    pause = { 0, 1000000 };
    redisContext      *c;
    redisReply        *r;
    double            *lat = NULL, t0, max = 0;
    size_t             n = 0, cap = 0, over;

    if (argc < 3) {
        return 2;
    }
    c = redisConnect("127.0.0.1", atoi(argv[2]));
    if (c == NULL || c->err) {
        fprintf(stderr, "probe: cannot connect\n");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    while (!probe_stop) {
        t0 = ms_now();
        r = redisCommand(c, "PING");
        if (r == NULL) {
            fprintf(stderr, "probe: %s\n", c->errstr);
            return 1;
        }
        freeReplyObject(r);
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            lat = realloc(lat, cap * sizeof(double));
            if (lat == NULL) {
                return 1;
            }
        }
        lat[n] = ms_now() - t0;
        max = lat[n] > max ? lat[n] : max;
        n++;
        nanosleep(&pause, NULL);
    }
    if (n == 0) {
        printf("probe: 0 pings\n");
        return 0;
    }
    qsort(lat, n, sizeof(double), cmp_double);
    for (over = 0; over < n && lat[n - 1 - over] > 10.0; over++) {
        /* count them, from the slowest */
    }
    printf("probe: %zu pings, max %.2f ms, p99 %.2f ms, p50 %.3f ms, "
           "%zu over 10 ms\n", n, max, lat[n * 99 / 100], lat[n / 2], over);
    free(lat);
    redisFree(c);
    return 0;
}


int
main(int argc, char **argv)
{
    int  rc = 2;

    if (argc >= 2 && strcmp(argv[1], "gen") == 0) {
        rc = gen(argc, argv);
    } else if (argc >= 2 && strcmp(argv[1], "probe") == 0) {
        rc = probe(argc, argv);
    }
    if (rc == 2) {
        fprintf(stderr, "usage: bench_rollback gen USERS TIME [SEED]\n"
                        "       bench_rollback probe PORT\n");
    }
    return rc;
}
