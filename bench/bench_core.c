/*
 * bench_core: ES256 assertion verifications per second through the wa
 * core, on one CPU, against `openssl speed ecdsap256` on the same CPU.
 *
 * One verification is what the module does per login request once it has
 * the credential's key cached: parse the AuthenticationResponseJSON
 * (wa_assertion_response_parse), then wa_verify_assertion (clientDataJSON
 * parse and checks, authenticatorData parse and checks, SHA-256s, the
 * ECDSA signature, the counter), then free.  The key is parsed once up
 * front (wa_key_from_cose), as the module caches it.
 *
 * The inputs are a pool of distinct, fresh assertions made here with
 * OpenSSL (one P-256 credential; per assertion a random challenge, an
 * increasing counter, its own clientDataJSON and signature), each checked
 * to verify before timing starts.  The pool is cycled for a fixed wall
 * time.
 *
 * Then, in the same run and pinned to the same CPU, `openssl speed
 * -seconds N ecdsap256` gives OpenSSL's bare ECDSA P-256 verify rate (a
 * reused EVP_PKEY_CTX over a ready digest).  The last line printed is
 * "ratio: N.NN", library rate / openssl rate.  Both rates are per CPU
 * second, as openssl speed counts them (see cpu_now()); with -r the two
 * measurements alternate in rounds.
 *
 *   bench_core [-s seconds] [-c cpu] [-n pool] [-S stage_seconds]
 *              [-r rounds] [-O] [-F]
 *
 *   -r  split the measurement into rounds, alternating the library loop
 *       and openssl speed (each seconds/rounds), for shared machines
 *   -O  skip openssl speed (no ratio line)
 *   -F  the whole-verification loop only (no stages, no openssl speed):
 *       for running under a profiler
 *
 * Lines starting with "info:" are per-stage costs, for finding where the
 * time beyond the signature goes.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <wa.h>

#include "bench_openssl.h"


#define BENCH_RP_ID    "example.org"
#define BENCH_ORIGIN   "https://example.org"
#define BENCH_CHECK    64          /* iterations between clock reads */


typedef struct {
    uint8_t    challenge[32];
    uint32_t   counter;
    char      *json;               /* AuthenticationResponseJSON */
    size_t     json_len;
    uint8_t   *ad;                 /* authenticatorData */
    size_t     ad_len;
    uint8_t   *cdj;                /* clientDataJSON */
    size_t     cdj_len;
    uint8_t   *sig;
    size_t     sig_len;
    uint8_t   *signed_data;        /* ad || SHA-256(cdj) */
    size_t     signed_len;
    uint8_t    digest[32];         /* SHA-256(signed_data) */
} bench_item_t;


static EVP_PKEY      *bench_pkey;
static wa_key_t      *bench_key;
static uint8_t        bench_cred_id[32];
static uint8_t        bench_user[16];
static bench_item_t  *bench_pool;
static size_t         bench_n;
static const EVP_MD  *bench_md;
static wa_policy_t    bench_pol;

static const char *const  bench_origins[] = { BENCH_ORIGIN };


static void
die(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    fputs("bench_core: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


/* CPU seconds used by this process (user + system).  openssl speed
 * divides by its user CPU time, not by wall time, so that other load on
 * a shared machine does not count against it; the library's rates are
 * divided the same way (with system time too, the stricter choice). */
static double
cpu_now(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
           + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}


static void *
xmalloc(size_t n)
{
    void  *p;

    p = malloc(n > 0 ? n : 1);
    if (p == NULL) {
        die("out of memory");
    }

    return p;
}


static char *
b64url(const uint8_t *p, size_t n)
{
    char  *s;

    s = xmalloc((n + 2) / 3 * 4 + 1);
    wa_b64url_encode(p, n, s);

    return s;
}


static void
sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
    if (!EVP_Digest(p, n, out, NULL, bench_md, NULL)) {
        die("SHA-256 failed");
    }
}


/* ---- the credential and the pool --------------------------------------- */

static void
bench_make_key(void)
{
    wa_err_t   err;
    BIGNUM    *x, *y;
    uint8_t    cose[77];
    static const uint8_t  head[] = {
        0xa5,                   /* map(5), CTAP2 canonical order */
        0x01, 0x02,             /* kty: EC2 */
        0x03, 0x26,             /* alg: ES256 */
        0x20, 0x01,             /* crv: P-256 */
        0x21, 0x58, 0x20        /* x: bytes(32) */
    };

    bench_pkey = EVP_EC_gen("P-256");
    if (bench_pkey == NULL) {
        die("P-256 key generation failed");
    }

    x = y = NULL;
    if (!EVP_PKEY_get_bn_param(bench_pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x)
        || !EVP_PKEY_get_bn_param(bench_pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
    {
        die("cannot read the public point");
    }

    memcpy(cose, head, sizeof(head));
    BN_bn2binpad(x, cose + 10, 32);
    cose[42] = 0x22;            /* y: bytes(32) */
    cose[43] = 0x58;
    cose[44] = 0x20;
    BN_bn2binpad(y, cose + 45, 32);
    BN_free(x);
    BN_free(y);

    if (wa_key_from_cose(cose, sizeof(cose), &bench_key, &err) != WA_OK) {
        die("wa_key_from_cose: %s (%s)", wa_rc_code(err.rc), err.detail);
    }

    if (RAND_bytes(bench_cred_id, sizeof(bench_cred_id)) != 1
        || RAND_bytes(bench_user, sizeof(bench_user)) != 1)
    {
        die("RAND_bytes failed");
    }
}


static void
bench_make_item(bench_item_t *it, uint32_t counter)
{
    int          n;
    char        *ch, *id, *ad, *cd, *sg, *uh;
    size_t       cap;
    uint8_t      rp_hash[32];
    EVP_MD_CTX  *mctx;

    if (RAND_bytes(it->challenge, sizeof(it->challenge)) != 1) {
        die("RAND_bytes failed");
    }

    it->counter = counter;

    /* clientDataJSON, members in the browsers' order. */
    ch = b64url(it->challenge, sizeof(it->challenge));
    cap = 256;
    it->cdj = xmalloc(cap);
    n = snprintf((char *) it->cdj, cap,
                 "{\"type\":\"webauthn.get\",\"challenge\":\"%s\","
                 "\"origin\":\"" BENCH_ORIGIN "\",\"crossOrigin\":false}",
                 ch);
    if (n < 0 || (size_t) n >= cap) {
        die("clientDataJSON too long");
    }
    it->cdj_len = (size_t) n;

    /* authenticatorData: rpIdHash | UP|UV | counter. */
    sha256((const uint8_t *) BENCH_RP_ID, strlen(BENCH_RP_ID), rp_hash);
    it->ad_len = 37;
    it->ad = xmalloc(it->ad_len);
    memcpy(it->ad, rp_hash, 32);
    it->ad[32] = 0x05;
    it->ad[33] = (uint8_t) (counter >> 24);
    it->ad[34] = (uint8_t) (counter >> 16);
    it->ad[35] = (uint8_t) (counter >> 8);
    it->ad[36] = (uint8_t) counter;

    it->signed_len = it->ad_len + 32;
    it->signed_data = xmalloc(it->signed_len);
    memcpy(it->signed_data, it->ad, it->ad_len);
    sha256(it->cdj, it->cdj_len, it->signed_data + it->ad_len);
    sha256(it->signed_data, it->signed_len, it->digest);

    /* ES256: ECDSA P-256 with SHA-256, DER. */
    mctx = EVP_MD_CTX_new();
    it->sig_len = 80;
    it->sig = xmalloc(it->sig_len);
    if (mctx == NULL
        || EVP_DigestSignInit(mctx, NULL, bench_md, NULL, bench_pkey) != 1
        || EVP_DigestSign(mctx, it->sig, &it->sig_len, it->signed_data,
                          it->signed_len) != 1)
    {
        die("signing failed");
    }
    EVP_MD_CTX_free(mctx);

    /* AuthenticationResponseJSON, as PublicKeyCredential.toJSON() lays
     * it out. */
    id = b64url(bench_cred_id, sizeof(bench_cred_id));
    ad = b64url(it->ad, it->ad_len);
    cd = b64url(it->cdj, it->cdj_len);
    sg = b64url(it->sig, it->sig_len);
    uh = b64url(bench_user, sizeof(bench_user));

    cap = 1024;
    it->json = xmalloc(cap);
    n = snprintf(it->json, cap,
                 "{\"id\":\"%s\",\"rawId\":\"%s\",\"response\":{"
                 "\"clientDataJSON\":\"%s\",\"authenticatorData\":\"%s\","
                 "\"signature\":\"%s\",\"userHandle\":\"%s\"},"
                 "\"authenticatorAttachment\":\"platform\","
                 "\"clientExtensionResults\":{},\"type\":\"public-key\"}",
                 id, id, cd, ad, sg, uh);
    if (n < 0 || (size_t) n >= cap) {
        die("response JSON too long");
    }
    it->json_len = (size_t) n;

    free(ch);
    free(id);
    free(ad);
    free(cd);
    free(sg);
    free(uh);
}


static void
bench_stored(wa_stored_credential_t *c, const bench_item_t *it)
{
    memset(c, 0, sizeof(*c));
    c->key = bench_key;
    c->cred_id = bench_cred_id;
    c->cred_id_len = sizeof(bench_cred_id);
    c->user_handle = bench_user;
    c->user_handle_len = sizeof(bench_user);
    c->sign_count = it->counter - 1;
    c->backup_eligible = 0;
}


/* One whole verification: the measured unit. */
static void
bench_one(const bench_item_t *it)
{
    wa_err_t                  err;
    wa_assertion_result_t     res;
    wa_stored_credential_t    cred;
    wa_assertion_response_t   resp;

    if (wa_assertion_response_parse(it->json, it->json_len, &resp, &err)
        != WA_OK)
    {
        die("wa_assertion_response_parse: %s (%s)", wa_rc_code(err.rc),
            err.detail);
    }

    bench_stored(&cred, it);

    if (wa_verify_assertion(&bench_pol, it->challenge, sizeof(it->challenge),
                            &resp, &cred, &res, &err)
        != WA_OK)
    {
        die("wa_verify_assertion: %s (%s)", wa_rc_code(err.rc), err.detail);
    }

    if (res.sign_count != it->counter) {
        die("wrong counter");
    }

    wa_assertion_response_free(&resp);
}


/* ---- timing ------------------------------------------------------------ */

typedef void (*bench_fn)(const bench_item_t *it, void *ctx);

typedef struct {
    unsigned long   ops;
    double          wall;           /* seconds */
    double          cpu;            /* CPU seconds, user + system */
} bench_result_t;

/* Runs fn over the pool for secs of wall time; returns operations per
 * CPU second (see cpu_now). */
static double
bench_run(bench_fn fn, void *ctx, double secs, bench_result_t *r)
{
    size_t          i, k;
    double          t0, c0, t, c;
    unsigned long   n;

    i = 0;
    n = 0;
    c0 = cpu_now();
    t0 = now();

    do {
        for (k = 0; k < BENCH_CHECK; k++) {
            fn(&bench_pool[i], ctx);
            if (++i == bench_n) {
                i = 0;
            }
        }
        n += BENCH_CHECK;
        t = now() - t0;
    } while (t < secs);

    c = cpu_now() - c0;
    if (c <= 0) {
        c = t;
    }

    if (r != NULL) {
        r->ops = n;
        r->wall = t;
        r->cpu = c;
    }

    return (double) n / c;
}


static void
st_full(const bench_item_t *it, void *ctx)
{
    (void) ctx;
    bench_one(it);
}


static void
st_parse(const bench_item_t *it, void *ctx)
{
    wa_assertion_response_t  resp;

    (void) ctx;

    if (wa_assertion_response_parse(it->json, it->json_len, &resp, NULL)
        != WA_OK)
    {
        die("parse failed");
    }
    wa_assertion_response_free(&resp);
}


/* What wa_verify_assertion does with clientDataJSON: parse, compare, hash. */
static void
st_client_data(const bench_item_t *it, void *ctx)
{
    uint8_t           h[32];
    wa_client_data_t  cd;

    (void) ctx;

    if (wa_client_data_parse(it->cdj, it->cdj_len, &cd, NULL) != WA_OK
        || cd.type != WA_CEREMONY_GET
        || !wa_ct_equal(cd.challenge.data, cd.challenge.len, it->challenge,
                        sizeof(it->challenge))
        || strcmp(cd.origin, BENCH_ORIGIN) != 0)
    {
        die("client data failed");
    }
    wa_client_data_free(&cd);
    sha256(it->cdj, it->cdj_len, h);
}


/* What it does with authenticatorData: parse, and hash the RP ID to
 * compare with rpIdHash (computed per call in wa_verify.c). */
static void
st_auth_data(const bench_item_t *it, void *ctx)
{
    uint8_t         h[32];
    wa_auth_data_t  ad;

    (void) ctx;

    if (wa_auth_data_parse(it->ad, it->ad_len, &ad, NULL) != WA_OK) {
        die("auth data failed");
    }
    sha256((const uint8_t *) BENCH_RP_ID, strlen(BENCH_RP_ID), h);
    if (!wa_ct_equal(h, 32, ad.rp_id_hash, 32)) {
        die("rpIdHash");
    }
}


static void
st_rp_hash(const bench_item_t *it, void *ctx)
{
    uint8_t  h[32];

    (void) it;
    (void) ctx;
    sha256((const uint8_t *) BENCH_RP_ID, strlen(BENCH_RP_ID), h);
}


/* The signature through the core: SHA-256 of the signed data, a fresh
 * EVP_PKEY_CTX, verify_init, verify. */
static void
st_key_verify(const bench_item_t *it, void *ctx)
{
    (void) ctx;

    if (wa_key_verify(bench_key, it->signed_data, it->signed_len, it->sig,
                      it->sig_len, 0, NULL)
        != WA_OK)
    {
        die("wa_key_verify failed");
    }
}


/* wa_verify_assertion on a response parsed beforehand. */
typedef struct {
    wa_assertion_response_t  *parsed;
} st_preparsed_ctx_t;

static void
st_preparsed(const bench_item_t *it, void *ctx)
{
    wa_err_t                 err;
    wa_assertion_result_t    res;
    wa_stored_credential_t   cred;
    st_preparsed_ctx_t      *c = ctx;

    bench_stored(&cred, it);

    if (wa_verify_assertion(&bench_pol, it->challenge, sizeof(it->challenge),
                            &c->parsed[it - bench_pool], &cred, &res, &err)
        != WA_OK)
    {
        die("wa_verify_assertion: %s", wa_rc_code(err.rc));
    }
}


/* OpenSSL alone, as openssl speed does it: one EVP_PKEY_CTX made once,
 * EVP_PKEY_verify over a ready digest. */
static void
st_raw_reused(const bench_item_t *it, void *ctx)
{
    if (EVP_PKEY_verify(ctx, it->sig, it->sig_len, it->digest, 32) != 1) {
        die("EVP_PKEY_verify failed");
    }
}


/* The base64url decoding of the response's members (and of the
 * challenge), without JSON. */
typedef struct {
    char     *text[6];
    size_t    len[6];
} st_b64_ctx_t;

static void
st_b64(const bench_item_t *it, void *ctx)
{
    size_t         k, n;
    uint8_t        out[1024];
    st_b64_ctx_t  *c = ctx;

    (void) it;

    for (k = 0; k < 6; k++) {
        if (wa_b64url_decode(c->text[k], c->len[k], out, &n) != WA_OK) {
            die("b64");
        }
    }
}


/* A context set-up per verification (what the core did before it kept
 * one per key; still done for attestation certificate keys). */
static void
st_ctx_new(const bench_item_t *it, void *ctx)
{
    EVP_PKEY_CTX  *pctx;

    (void) it;
    (void) ctx;

    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, bench_pkey, NULL);
    if (pctx == NULL || EVP_PKEY_verify_init(pctx) != 1) {
        die("EVP_PKEY_CTX");
    }
    EVP_PKEY_CTX_free(pctx);
}


static void
st_sha256_signed(const bench_item_t *it, void *ctx)
{
    uint8_t  h[32];

    (void) ctx;
    sha256(it->signed_data, it->signed_len, h);
}


static void
info(const char *what, double rate)
{
    printf("info: %-58s %8.2f us/op\n", what, 1e6 / rate);
}


/* ---- main ---------------------------------------------------------------- */

int
main(int argc, char **argv)
{
    int                       c, k, cpu, no_openssl, full_only, rounds;
    int                       ossl_slice;
    size_t                    i;
    double                    secs, stage_secs, lib, ossl, slice;
    double                    cpu_s, wall_s, ossl_sum;
    unsigned long             ops;
    bench_result_t            r;
    cpu_set_t                 set;
    EVP_PKEY_CTX             *pctx;
    st_preparsed_ctx_t        pre;
    st_b64_ctx_t              b64;

    secs = 5;
    stage_secs = -1;
    cpu = 1;
    bench_n = 2000;
    no_openssl = 0;
    full_only = 0;
    rounds = 1;

    while ((c = getopt(argc, argv, "s:c:n:S:r:OF")) != -1) {
        switch (c) {
        case 's': secs = strtod(optarg, NULL); break;
        case 'c': cpu = atoi(optarg); break;
        case 'n': bench_n = (size_t) strtoul(optarg, NULL, 10); break;
        case 'S': stage_secs = strtod(optarg, NULL); break;
        case 'r': rounds = atoi(optarg); break;
        case 'O': no_openssl = 1; break;
        case 'F': full_only = 1; break;
        default:
            fprintf(stderr, "usage: %s [-s seconds] [-c cpu] [-n pool] "
                    "[-S stage_seconds] [-r rounds] [-O] [-F]\n", argv[0]);
            return 2;
        }
    }

    if (secs <= 0 || bench_n == 0 || rounds < 1) {
        die("bad arguments");
    }

    if (stage_secs < 0) {
        stage_secs = secs / 5 < 0.5 ? 0.5 : secs / 5;
    }

    if (cpu >= 0 && cpu >= sysconf(_SC_NPROCESSORS_ONLN)) {
        cpu = (int) sysconf(_SC_NPROCESSORS_ONLN) - 1;
    }

    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            die("sched_setaffinity(%d): %s", cpu, strerror(errno));
        }
    }

    bench_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (bench_md == NULL) {
        die("no SHA-256");
    }

    bench_pol.rp_id = BENCH_RP_ID;
    bench_pol.origins = bench_origins;
    bench_pol.n_origins = 1;

    bench_make_key();

    bench_pool = xmalloc(bench_n * sizeof(bench_item_t));
    for (i = 0; i < bench_n; i++) {
        bench_make_item(&bench_pool[i], (uint32_t) i + 1);
    }

    /* Every assertion verifies before anything is timed. */
    for (i = 0; i < bench_n; i++) {
        bench_one(&bench_pool[i]);
    }

    printf("bench-core: ES256 assertion verification through the wa core\n");
    printf("  pool %zu distinct assertions, %.0f s, pinned to CPU %d, "
           "%s\n", bench_n, secs, cpu, OpenSSL_version(OPENSSL_VERSION));

    /*
     * Warm-up, then the measurement: rounds of the library loop, each
     * followed by openssl speed for as long, so that both see the same
     * conditions on a machine other work shares (a busy sibling thread
     * slows both); with one round, the library first, then openssl.
     */
    bench_run(st_full, NULL, secs / 10 < 0.2 ? 0.2 : secs / 10, NULL);

    slice = secs / rounds;
    ossl_slice = (int) (slice + 0.5) < 1 ? 1 : (int) (slice + 0.5);
    ops = 0;
    cpu_s = wall_s = ossl_sum = 0;

    for (k = 0; k < rounds; k++) {
        (void) bench_run(st_full, NULL, slice, &r);
        ops += r.ops;
        cpu_s += r.cpu;
        wall_s += r.wall;

        if (full_only || no_openssl) {
            continue;
        }

        fflush(stdout);
        ossl = bench_openssl_speed(ossl_slice, cpu);
        if (ossl <= 0) {
            die("openssl speed ecdsap256 failed or printed no nistp256 "
                "line");
        }
        ossl_sum += ossl;

        if (rounds > 1) {
            printf("info: round %d: library %.1f verify/s, openssl %.1f "
                   "verify/s\n", k + 1, (double) r.ops / r.cpu, ossl);
        }
    }

    lib = (double) ops / cpu_s;

    printf("library: %.1f verify/s (%lu assertions in %.2f CPU s: "
           "wa_assertion_response_parse + wa_verify_assertion + free)\n",
           lib, ops, cpu_s);
    printf("info: wall-clock rate %.1f verify/s (%.2f s; the CPU was busy "
           "with this process %.0f%% of it)\n",
           (double) ops / wall_s, wall_s, 100 * cpu_s / wall_s);

    if (full_only) {
        return 0;
    }

    /* Per-stage costs (each over the same pool, stage_secs each). */
    pre.parsed = xmalloc(bench_n * sizeof(wa_assertion_response_t));
    for (i = 0; i < bench_n; i++) {
        if (wa_assertion_response_parse(bench_pool[i].json,
                                        bench_pool[i].json_len,
                                        &pre.parsed[i], NULL)
            != WA_OK)
        {
            die("parse failed");
        }
    }

    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, bench_pkey, NULL);
    if (pctx == NULL || EVP_PKEY_verify_init(pctx) != 1) {
        die("EVP_PKEY_CTX");
    }

    b64.text[0] = b64url(bench_cred_id, sizeof(bench_cred_id));
    b64.text[1] = b64url(bench_cred_id, sizeof(bench_cred_id));
    b64.text[2] = b64url(bench_pool[0].cdj, bench_pool[0].cdj_len);
    b64.text[3] = b64url(bench_pool[0].ad, bench_pool[0].ad_len);
    b64.text[4] = b64url(bench_pool[0].sig, bench_pool[0].sig_len);
    b64.text[5] = b64url(bench_user, sizeof(bench_user));
    for (i = 0; i < 6; i++) {
        b64.len[i] = strlen(b64.text[i]);
    }

    info("whole: parse + wa_verify_assertion + free", lib);
    info("stage parse: wa_assertion_response_parse + free",
         bench_run(st_parse, NULL, stage_secs, NULL));
    info("stage client data: wa_client_data_parse + checks + SHA-256",
         bench_run(st_client_data, NULL, stage_secs, NULL));
    info("stage auth data: wa_auth_data_parse + rpIdHash SHA-256",
         bench_run(st_auth_data, NULL, stage_secs, NULL));
    info("stage verify: wa_key_verify (SHA-256 + ECDSA)",
         bench_run(st_key_verify, NULL, stage_secs, NULL));
    info("wa_verify_assertion alone (response parsed beforehand)",
         bench_run(st_preparsed, &pre, stage_secs, NULL));
    info("  of which SHA-256 of rp_id (one per call)",
         bench_run(st_rp_hash, NULL, stage_secs, NULL));
    info("  of which SHA-256 of authenticatorData || hash",
         bench_run(st_sha256_signed, NULL, stage_secs, NULL));
    info("base64url alone: the 6 members' decoding",
         bench_run(st_b64, &b64, stage_secs, NULL));
    info("EVP_PKEY_CTX_new_from_pkey + verify_init + free (not per op)",
         bench_run(st_ctx_new, NULL, stage_secs, NULL));
    info("OpenSSL alone: EVP_PKEY_verify, reused ctx, ready digest",
         bench_run(st_raw_reused, pctx, stage_secs, NULL));

    EVP_PKEY_CTX_free(pctx);

    for (i = 0; i < 6; i++) {
        free(b64.text[i]);
    }

    for (i = 0; i < bench_n; i++) {
        wa_assertion_response_free(&pre.parsed[i]);
    }
    free(pre.parsed);

    if (no_openssl) {
        return 0;
    }

    ossl = ossl_sum / rounds;

    printf("openssl: %.1f verify/s (openssl speed -seconds %d ecdsap256 "
           "x %d, CPU %d)\n", ossl, ossl_slice, rounds, cpu);
    printf("ratio: %.2f\n", lib / ossl);

    return 0;
}
