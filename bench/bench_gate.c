/*
 * bench_gate: a closed-loop HTTP/1.1 load generator for the module behind
 * nginx, for make bench-gate (scripts/bench-gate.sh; docs/benchmarks.md).
 *
 * N keep-alive connections to one nginx, each with one request in flight:
 * as soon as a response is complete, the connection's next request goes
 * out (no rate limit).  Every response's status is checked: a wrong one
 * aborts the run with the request and the response printed.  Modes:
 *
 *   plain     GET a location answering "return 200" (the reference)
 *   gated     GET a "webauthn_gate passkey" location with a session cookie
 *             obtained at start-up by one registration and one login
 *   ceremony  per iteration, on every connection: POST login_options,
 *             read the challenge, sign a fresh ES256 assertion over it
 *             with softauth (tests/softauth), POST login, expect 200.
 *             Each connection has its own user and credential (registered
 *             at start-up), so its counter simply goes up by one per login
 *
 * Several modes given with -m alternate in -r rounds of seconds/rounds
 * each (after a warm-up of each), so that they see the same conditions on
 * a shared machine; with -O CPU, `openssl speed ecdsap256` runs pinned to
 * that CPU after each round, for the bare ECDSA P-256 verify rate.  With
 * -n COUNT a single mode runs COUNT measured units instead.
 *
 *   bench_gate -p PORT [-m plain,gated,ceremony] [-c conns] [-s seconds]
 *              [-r rounds] [-w warmup_seconds] [-n count] [-C cpu]
 *              [-O openssl_cpu] [-P worker_pid] [-Q redis_pid]
 *              [-o origin] [-R rp_id] [-U user_prefix]
 *              [-u plain_path] [-g gated_path] [-B] [-v]
 *
 * The locations are those scripts/bench-gate.sh configures: /plain,
 * /gated, /webauthn/{register,login}/options, /webauthn/{register,login};
 * the identity header is X-User (webauthn_identity $http_x_user), which
 * webauthn_enroll open lets register a first passkey.  -B puts the user
 * in the login_options body ({"user":..}) instead of the header.
 *
 * The output: per mode, the rate (requests or ceremonies per second of
 * wall time), p50 and p99 latency of the unit (a request; for ceremony
 * the two requests and the signing between them), the share of the wall
 * time the nginx worker and Redis (with -P / -Q) and the generator spent
 * on a CPU, and each CPU's busy share from /proc/stat (softirq work of the
 * loopback TCP stack included), and with -n and -P the worker's VmRSS
 * every tenth of the run ("worker rss: ... (growth N KiB)").  When
 * plain and gated ran: "gate ratio: N.NN"; when ceremony ran with -O:
 * "ceremony ratio: N.NN" (ceremonies per second / openssl verify/s),
 * each from the totals of all rounds, just after an "info: ... by
 * round:" line with the ratio of each round and their median.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "softauth.h"

#include "bench_openssl.h"


enum { M_PLAIN = 0, M_GATED, M_CEREMONY, M_N };

#define MAX_CPUS  8             /* CPUs reported from /proc/stat */

static const char *const  mode_names[M_N] = { "plain", "gated", "ceremony" };


/* ---- latency histogram --------------------------------------------------- */

/* 1 us buckets up to 10 ms, 100 us buckets up to 1 s, then one more. */
#define H_FINE     10000
#define H_COARSE   9900
#define H_N        (H_FINE + H_COARSE + 1)

typedef struct {
    uint64_t   b[H_N];
    uint64_t   n;
    uint64_t   max_us;
} hist_t;


static void
hist_add(hist_t *h, uint64_t us)
{
    size_t  i;

    if (us < H_FINE) {
        i = us;
    } else if (us < H_FINE + (uint64_t) H_COARSE * 100) {
        i = H_FINE + (us - H_FINE) / 100;
    } else {
        i = H_N - 1;
    }

    h->b[i]++;
    h->n++;
    if (us > h->max_us) {
        h->max_us = us;
    }
}


/* The latency (us) at or below which a fraction p of the samples lie;
 * the upper edge of the bucket, so never optimistic. */
static double
hist_pct(const hist_t *h, double p)
{
    size_t    i;
    uint64_t  want, sum;

    if (h->n == 0) {
        return 0;
    }

    want = (uint64_t) (p * (double) h->n + 0.999999);
    if (want == 0) {
        want = 1;
    }

    sum = 0;
    for (i = 0; i < H_N; i++) {
        sum += h->b[i];
        if (sum >= want) {
            break;
        }
    }

    if (i < H_FINE) {
        return (double) i + 1;
    }
    if (i < H_N - 1) {
        return (double) (H_FINE + (i - H_FINE + 1) * 100);
    }

    return (double) h->max_us;
}


/* ---- the run's state ------------------------------------------------------ */

typedef struct {
    char      *p;
    size_t     len;
    size_t     cap;
} buf_t;

typedef struct {
    int         fd;
    int         idx;
    int         busy;          /* a unit is in flight */
    int         step;          /* ceremony: 0 login_options, 1 login */
    int         closing;       /* the server said Connection: close */
    int         epout;         /* EPOLLOUT registered */
    uint64_t    t0;            /* ns: start of the unit in flight */

    const char *out;           /* the request being written */
    size_t      out_len;
    size_t      out_off;

    buf_t       in;            /* the response being read */
    buf_t       req;           /* this connection's own requests */
    buf_t       opts;          /* its login_options request */

    char        user[96];
    sa_cred_t  *cred;
} conn_t;

typedef struct {
    uint64_t    units;         /* measured units completed */
    double      wall;          /* seconds */
    double      worker_cpu;    /* seconds, with -P */
    double      redis_cpu;     /* seconds, with -Q */
    double      self_cpu;      /* seconds */
    unsigned long long  cpu_busy[MAX_CPUS];   /* jiffies, /proc/stat */
    unsigned long long  cpu_total[MAX_CPUS];
    int         ncpus;
    hist_t      hist;
} stats_t;


static struct sockaddr_in  g_addr;
static int           g_port;
static const char   *g_host_ip = "127.0.0.1";
static char          g_host[128];          /* Host header */
static char          g_origin[160];
static const char   *g_rp_id = "localhost";
static char          g_prefix[64];
static int           g_body_user;          /* -B */
static int           g_verbose;

static const char   *g_path_plain = "/plain";
static const char   *g_path_gated = "/gated";
static const char   *g_path_reg_opts = "/webauthn/register/options";
static const char   *g_path_reg = "/webauthn/register";
static const char   *g_path_login_opts = "/webauthn/login/options";
static const char   *g_path_login = "/webauthn/login";
static const char   *g_id_header = "X-User";

static int           g_ep = -1;
static conn_t       *g_conns;
static int           g_nconns = 32;

static buf_t         g_plain_req;
static buf_t         g_gated_req;
static char         *g_cookie;             /* "name=value" */

/* the slice being run */
static int           g_mode;
static int           g_accepting;          /* start new units */
static uint64_t      g_started;            /* units started in the slice */
static uint64_t      g_done;               /* units counted in the slice */
static uint64_t      g_limit;              /* 0: none */
static int           g_worker_pid = -1;    /* -P */
static int           g_redis_pid = -1;     /* -Q */

/* VmRSS of the worker every RSS_STEPS-th of a counted run (-n, -P) */
#define RSS_STEPS  10
static long          g_rss[RSS_STEPS + 1];
static uint64_t      g_rss_every;
static stats_t      *g_stats;
static uint64_t      g_reconnects;
static uint64_t      g_progress;           /* ns: last answer */

#define STALL_NS  10000000000ULL          /* no answer for 10 s: abort */


static void
die(const char *fmt, ...)
{
    va_list  ap;

    fflush(stdout);
    va_start(ap, fmt);
    fputs("bench_gate: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}


static uint64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}


static double
self_cpu(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6
           + (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}


/* utime + stime of a process, seconds; -1 when unreadable. */
static double
proc_cpu(int pid)
{
    char    path[64], line[1024], *p;
    FILE   *f;
    int     k;
    unsigned long long  ut, st;

    if (pid <= 0) {
        return -1;
    }

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }

    p = fgets(line, sizeof(line), f);
    fclose(f);
    if (p == NULL || (p = strrchr(line, ')')) == NULL) {
        return -1;
    }

    /* after ") ": state is field 3, utime 14, stime 15 */
    p += 2;
    for (k = 3; k < 14; k++) {
        p = strchr(p, ' ');
        if (p == NULL) {
            return -1;
        }
        p++;
    }

    if (sscanf(p, "%llu %llu", &ut, &st) != 2) {
        return -1;
    }

    return (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
}


/* Busy and total jiffies of every CPU (/proc/stat): busy is everything
 * but idle and iowait, so softirq work (the loopback TCP stack) and other
 * processes count too, which the per-process figures leave out. */
typedef struct {
    unsigned long long  busy[MAX_CPUS];
    unsigned long long  total[MAX_CPUS];
    int                 n;
} cpus_t;


static void
cpus_read(cpus_t *c)
{
    int      k, cpu;
    char     line[512];
    FILE    *f;
    unsigned long long  v[10], t;

    memset(c, 0, sizeof(*c));

    f = fopen("/proc/stat", "r");
    if (f == NULL) {
        return;
    }

    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "cpu", 3) != 0 || line[3] < '0' || line[3] > '9') {
            continue;
        }
        memset(v, 0, sizeof(v));
        if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu",
                   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]) < 5
            || cpu < 0 || cpu >= MAX_CPUS)
        {
            continue;
        }
        t = 0;
        for (k = 0; k < 8; k++) {
            t += v[k];
        }
        c->total[cpu] = t;
        c->busy[cpu] = t - v[3] - v[4];
        if (cpu + 1 > c->n) {
            c->n = cpu + 1;
        }
    }

    fclose(f);
}


/* VmRSS of a process, KiB; -1 when unreadable. */
static long
proc_rss(int pid)
{
    char   path[64], line[256];
    long   kib;
    FILE  *f;

    if (pid <= 0) {
        return -1;
    }

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }

    kib = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);

    return kib;
}


static void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n > 0 ? n : 1);
    if (p == NULL) {
        die("out of memory");
    }

    return p;
}


static void
buf_reserve(buf_t *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap) {
        b->cap = (b->len + extra + 1) * 2;
        if (b->cap < 4096) {
            b->cap = 4096;
        }
        b->p = xrealloc(b->p, b->cap);
    }
}


static void
buf_add(buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}


static void
buf_printf(buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  ap;

    for (;;) {
        buf_reserve(b, 256);
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            die("vsnprintf");
        }
        if ((size_t) n < b->cap - b->len) {
            b->len += (size_t) n;
            return;
        }
        buf_reserve(b, (size_t) n + 1);
    }
}


/* A whole request: method, path, the identity header when user is given,
 * the cookie when given, and a JSON body for POST. */
static void
build_request(buf_t *b, const char *method, const char *path,
    const char *user, const char *cookie, const char *body, size_t body_len)
{
    b->len = 0;
    buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, g_host);

    if (user != NULL) {
        buf_printf(b, "%s: %s\r\n", g_id_header, user);
    }

    if (cookie != NULL) {
        buf_printf(b, "Cookie: %s\r\n", cookie);
    }

    if (body != NULL) {
        buf_printf(b, "Origin: %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\n", g_origin, body_len);
    }

    buf_add(b, "\r\n", 2);

    if (body != NULL) {
        buf_add(b, body, body_len);
    }
}


/* ---- HTTP responses ------------------------------------------------------ */

typedef struct {
    int          status;
    size_t       total;        /* bytes of the whole response */
    const char  *body;         /* in the input, or dechunked scratch */
    size_t       body_len;
    int          close;
    const char  *cookie;       /* first Set-Cookie "name=value" */
    size_t       cookie_len;
} resp_t;

static buf_t  g_dechunk;


static int
hdr_is(const char *line, size_t len, const char *name, const char **val,
    size_t *vlen)
{
    size_t  n;

    n = strlen(name);
    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
        return 0;
    }

    line += n + 1;
    len -= n + 1;
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t')) {
        len--;
    }

    *val = line;
    *vlen = len;

    return 1;
}


/* 1: complete (r filled), 0: more bytes needed, -1: not HTTP as expected. */
static int
parse_response(const char *p, size_t len, resp_t *r)
{
    const char  *end, *line, *nl, *v, *q, *e;
    size_t       hlen, vlen, off, n;
    long long    clen;
    int          chunked;

    end = memmem(p, len, "\r\n\r\n", 4);
    if (end == NULL) {
        return len > 65536 ? -1 : 0;
    }
    hlen = (size_t) (end - p) + 4;

    memset(r, 0, sizeof(*r));

    if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') {
        return -1;
    }
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    if (p[0] == 'H' && p[7] == '0') {
        r->close = 1;               /* HTTP/1.0 */
    }

    clen = -1;
    chunked = 0;

    line = (const char *) memchr(p, '\n', hlen) + 1;
    while (line < end) {
        nl = memchr(line, '\n', (size_t) (end + 2 - line));
        if (nl == NULL) {
            return -1;
        }
        n = (size_t) (nl - line);
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }

        if (hdr_is(line, n, "Content-Length", &v, &vlen)) {
            clen = strtoll(v, NULL, 10);
        } else if (hdr_is(line, n, "Transfer-Encoding", &v, &vlen)) {
            chunked = vlen >= 7 && strncasecmp(v, "chunked", 7) == 0;
        } else if (hdr_is(line, n, "Connection", &v, &vlen)) {
            if (vlen == 5 && strncasecmp(v, "close", 5) == 0) {
                r->close = 1;
            }
        } else if (hdr_is(line, n, "Set-Cookie", &v, &vlen)
                   && r->cookie == NULL)
        {
            q = memchr(v, ';', vlen);
            r->cookie = v;
            r->cookie_len = q ? (size_t) (q - v) : vlen;
        }

        line = nl + 1;
    }

    if (!chunked) {
        if (clen < 0) {
            clen = 0;               /* our locations always send a length */
        }
        if (len < hlen + (size_t) clen) {
            return 0;
        }
        r->body = p + hlen;
        r->body_len = (size_t) clen;
        r->total = hlen + (size_t) clen;
        return 1;
    }

    /* chunked: complete when the last chunk and the final CRLF are in */
    g_dechunk.len = 0;
    off = hlen;
    for (;;) {
        q = memmem(p + off, len - off, "\r\n", 2);
        if (q == NULL) {
            return 0;
        }
        n = (size_t) strtoull(p + off, (char **) &e, 16);
        if (e == p + off) {
            return -1;
        }
        off = (size_t) (q - p) + 2;
        if (n == 0) {
            /* no trailers from nginx */
            if (len < off + 2) {
                return 0;
            }
            off += 2;
            break;
        }
        if (len < off + n + 2) {
            return 0;
        }
        buf_add(&g_dechunk, p + off, n);
        off += n + 2;
    }

    buf_reserve(&g_dechunk, 0);
    r->body = g_dechunk.p;
    r->body_len = g_dechunk.len;
    r->total = off;

    return 1;
}


static void
die_response(const char *what, const char *req, size_t req_len,
    const char *resp, size_t resp_len)
{
    fflush(stdout);
    fprintf(stderr, "bench_gate: %s\n--- request ---\n", what);
    fwrite(req, 1, req_len > 4096 ? 4096 : req_len, stderr);
    fprintf(stderr, "%s\n--- response (%zu bytes) ---\n",
            req_len > 4096 ? "\n[...]" : "", resp_len);
    fwrite(resp, 1, resp_len > 4096 ? 4096 : resp_len, stderr);
    fputs("\n--- end ---\n", stderr);
    exit(1);
}


/* ---- blocking requests for the set-up ----------------------------------- */

static int
connect_to(int nonblock)
{
    int  fd, one;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC
                         | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        die("socket: %s", strerror(errno));
    }

    one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (connect(fd, (struct sockaddr *) &g_addr, sizeof(g_addr)) != 0
        && errno != EINPROGRESS)
    {
        die("connect to %s:%d: %s", g_host_ip, g_port, strerror(errno));
    }

    return fd;
}


typedef struct {
    int     status;
    char   *body;
    char   *cookie;
} call_t;


/* One request on a fresh connection; the status must be want. */
static void
http_call(const char *what, const char *method, const char *path,
    const char *user, const char *cookie, const char *body, int want,
    call_t *out)
{
    int      fd;
    ssize_t  n;
    size_t   off;
    buf_t    req = { 0 }, in = { 0 };
    resp_t   r;
    int      rc;

    build_request(&req, method, path, user, cookie, body,
                  body ? strlen(body) : 0);

    fd = connect_to(0);
    {
        struct timeval  tv = { 10, 0 };

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }

    for (off = 0; off < req.len; off += (size_t) n) {
        n = write(fd, req.p + off, req.len - off);
        if (n <= 0) {
            die("%s: write: %s", what, strerror(errno));
        }
    }

    for (;;) {
        buf_reserve(&in, 16384);
        n = read(fd, in.p + in.len, in.cap - in.len - 1);
        if (n < 0) {
            die("%s: read: %s%s", what, strerror(errno),
                errno == EAGAIN ? " (no answer for 10 s)" : "");
        }
        in.len += (size_t) n;
        in.p[in.len] = '\0';
        rc = parse_response(in.p, in.len, &r);
        if (rc < 0 || (rc == 0 && n == 0)) {
            die_response("set-up: a broken or cut response", req.p, req.len,
                         in.p, in.len);
        }
        if (rc == 1) {
            break;
        }
    }

    close(fd);

    if (r.status != want) {
        char  msg[256];

        snprintf(msg, sizeof(msg), "set-up, %s: status %d, expected %d",
                 what, r.status, want);
        die_response(msg, req.p, req.len, in.p, in.len);
    }

    if (g_verbose) {
        fprintf(stderr, "bench_gate: %s: %d %.*s\n", what, r.status,
                (int) (r.body_len > 300 ? 300 : r.body_len), r.body);
    }

    out->status = r.status;
    out->body = strndup(r.body, r.body_len);
    out->cookie = r.cookie ? strndup(r.cookie, r.cookie_len) : NULL;

    free(req.p);
    free(in.p);
}


static json_t *
json_body(const char *what, const char *body)
{
    json_t        *j;
    json_error_t   err;

    j = json_loads(body, 0, &err);
    if (j == NULL || !json_is_object(j)) {
        die("%s: the answer is not a JSON object: %s", what, body);
    }

    return j;
}


static const char *
json_str(json_t *j, const char *what, const char *a, const char *b)
{
    json_t  *v;

    v = json_object_get(j, a);
    if (v != NULL && b != NULL) {
        v = json_object_get(v, b);
    }
    if (!json_is_string(v)) {
        die("%s: no string member %s%s%s in the answer", what, a,
            b ? "." : "", b ? b : "");
    }

    return json_string_value(v);
}


static void
opts_for(sa_opts_t *o, const uint8_t *ch, size_t ch_len)
{
    memset(o, 0, sizeof(*o));
    o->rp_id = g_rp_id;
    o->origin = g_origin;
    o->challenge = ch;
    o->challenge_len = ch_len;
    o->uv = 1;
    o->attachment = "platform";
    o->transports = "internal,hybrid";
}


/* register_options + register of a first passkey (webauthn_enroll open) */
static sa_cred_t *
register_user(const char *user)
{
    call_t       c;
    json_t      *j;
    sa_buf_t     ch = { 0 };
    sa_cred_t   *cred;
    sa_opts_t    o;
    sa_result_t  r;

    http_call("register_options", "POST", g_path_reg_opts, user, NULL, "{}",
              200, &c);
    j = json_body("register_options", c.body);

    cred = sa_cred_new(-7, 0, NULL);
    if (cred == NULL) {
        die("sa_cred_new: %s", sa_last_error());
    }

    cred->user_handle.len = 0;
    if (sa_b64url_decode(json_str(j, "register_options", "challenge", NULL),
                         &ch) != 0
        || sa_b64url_decode(json_str(j, "register_options", "user", "id"),
                            &cred->user_handle) != 0)
    {
        die("register_options: challenge or user.id is not base64url");
    }

    opts_for(&o, ch.data, ch.len);
    if (sa_register(cred, &o, &r) != 0) {
        die("sa_register: %s", sa_last_error());
    }

    free(c.body);
    free(c.cookie);
    http_call("register", "POST", g_path_reg, user, NULL, r.json, 201, &c);

    free(c.body);
    free(c.cookie);
    sa_result_free(&r);
    sa_buf_free(&ch);
    json_decref(j);

    return cred;
}


/* login_options + login; returns the session cookie "name=value" */
static char *
login_user(const char *user, sa_cred_t *cred)
{
    char         *cookie;
    call_t        c;
    json_t       *j;
    sa_buf_t      ch = { 0 };
    sa_opts_t     o;
    sa_result_t   r;

    http_call("login_options", "POST", g_path_login_opts, user, NULL, "{}",
              200, &c);
    j = json_body("login_options", c.body);

    if (sa_b64url_decode(json_str(j, "login_options", "challenge", NULL),
                         &ch) != 0)
    {
        die("login_options: the challenge is not base64url");
    }

    opts_for(&o, ch.data, ch.len);
    if (sa_login(cred, &o, &r) != 0) {
        die("sa_login: %s", sa_last_error());
    }

    free(c.body);
    free(c.cookie);
    http_call("login", "POST", g_path_login, user, NULL, r.json, 200, &c);

    if (c.cookie == NULL) {
        die("login: 200 without Set-Cookie: %s", c.body);
    }
    cookie = c.cookie;

    free(c.body);
    sa_result_free(&r);
    sa_buf_free(&ch);
    json_decref(j);

    return cookie;
}


/* ---- the event loop ------------------------------------------------------ */

static void
conn_open(conn_t *c)
{
    struct epoll_event  ev;

    c->fd = connect_to(1);
    c->epout = 1;
    c->closing = 0;
    c->in.len = 0;

    /* EPOLLOUT until the first request is written (connect completes) */
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = c;
    if (epoll_ctl(g_ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        die("epoll_ctl: %s", strerror(errno));
    }
}


static void
conn_close(conn_t *c)
{
    if (c->fd >= 0) {
        epoll_ctl(g_ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
}


static void
conn_want_out(conn_t *c, int on)
{
    struct epoll_event  ev;

    if (c->epout == on) {
        return;
    }

    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.ptr = c;
    if (epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
        die("epoll_ctl: %s", strerror(errno));
    }
    c->epout = on;
}


static void
conn_flush(conn_t *c)
{
    ssize_t  n;

    while (c->out_off < c->out_len) {
        n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t) n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            conn_want_out(c, 1);
            return;
        }
        die("connection %d: write: %s", c->idx,
            n < 0 ? strerror(errno) : "nothing written");
    }

    conn_want_out(c, 0);
}


static void
conn_send(conn_t *c, const char *p, size_t len)
{
    if (c->fd < 0) {
        g_reconnects++;
        conn_open(c);
    }

    c->out = p;
    c->out_len = len;
    c->out_off = 0;
    conn_flush(c);
}


static void
unit_start(conn_t *c)
{
    c->busy = 1;
    c->step = 0;
    g_started++;
    c->t0 = now_ns();

    switch (g_mode) {
    case M_PLAIN:
        conn_send(c, g_plain_req.p, g_plain_req.len);
        break;
    case M_GATED:
        conn_send(c, g_gated_req.p, g_gated_req.len);
        break;
    default:
        conn_send(c, c->opts.p, c->opts.len);
        break;
    }
}


static void
unit_done(conn_t *c)
{
    uint64_t  t;

    t = now_ns();
    c->busy = 0;

    if (g_accepting) {
        g_done++;
        g_stats->units++;
        hist_add(&g_stats->hist, (t - c->t0) / 1000);

        if (g_rss_every && g_done % g_rss_every == 0
            && g_done / g_rss_every <= RSS_STEPS)
        {
            g_rss[g_done / g_rss_every] = proc_rss(g_worker_pid);
        }

        if (g_limit && g_done >= g_limit) {
            g_accepting = 0;
        }
    }

    if (g_accepting && (g_limit == 0 || g_started < g_limit)) {
        unit_start(c);
    }
}


/* The login request of a ceremony: the challenge of the login_options
 * answer, signed now (counter: the credential's last + 1). */
static void
ceremony_login(conn_t *c, const resp_t *r)
{
    const char   *p, *e;
    sa_buf_t      ch = { 0 };
    sa_opts_t     o;
    sa_result_t   res;

    p = memmem(r->body, r->body_len, "\"challenge\":\"", 13);
    if (p == NULL) {
        die_response("ceremony: no challenge in the login_options answer",
                     c->out, c->out_len, c->in.p, c->in.len);
    }
    p += 13;
    e = memchr(p, '"', (size_t) (r->body + r->body_len - p));
    if (e == NULL) {
        die_response("ceremony: a broken challenge", c->out, c->out_len,
                     c->in.p, c->in.len);
    }

    {
        char  tmp[256];

        if ((size_t) (e - p) >= sizeof(tmp)) {
            die("ceremony: challenge too long");
        }
        memcpy(tmp, p, (size_t) (e - p));
        tmp[e - p] = '\0';
        if (sa_b64url_decode(tmp, &ch) != 0) {
            die("ceremony: the challenge is not base64url: %s", tmp);
        }
    }

    opts_for(&o, ch.data, ch.len);
    if (sa_login(c->cred, &o, &res) != 0) {
        die("sa_login: %s", sa_last_error());
    }

    build_request(&c->req, "POST", g_path_login,
                  g_body_user ? NULL : c->user, NULL, res.json, res.json_len);

    sa_result_free(&res);
    sa_buf_free(&ch);

    c->step = 1;
    conn_send(c, c->req.p, c->req.len);
}


static void
conn_response(conn_t *c, const resp_t *r)
{
    char  msg[160];

    g_progress = now_ns();

    if (r->status != 200) {
        snprintf(msg, sizeof(msg), "%s%s: status %d, expected 200 "
                 "(connection %d)", mode_names[g_mode],
                 g_mode != M_CEREMONY ? ""
                 : c->step == 0 ? " (login_options)" : " (login)",
                 r->status, c->idx);
        die_response(msg, c->out, c->out_len, c->in.p, c->in.len);
    }

    if (g_mode == M_CEREMONY && c->step == 0) {
        ceremony_login(c, r);
        return;
    }

    unit_done(c);
}


static void
conn_readable(conn_t *c)
{
    ssize_t  n;
    resp_t   r;
    int      rc, eof;

    eof = 0;

    for (;;) {
        buf_reserve(&c->in, 16384);
        n = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len - 1);
        if (n > 0) {
            c->in.len += (size_t) n;
            if (c->in.len + 1 < c->in.cap) {
                break;              /* short read: nothing more for now */
            }
            continue;
        }
        if (n == 0) {
            eof = 1;
            break;
        }
        if (errno == EAGAIN || errno == EINTR) {
            break;
        }
        die("connection %d: read: %s", c->idx, strerror(errno));
    }

    if (c->in.len > 0) {
        c->in.p[c->in.len] = '\0';

        if (!c->busy) {
            die_response("bytes from the server with no request in flight",
                         "", 0, c->in.p, c->in.len);
        }

        rc = parse_response(c->in.p, c->in.len, &r);
        if (rc < 0) {
            die_response("not an HTTP response", c->out, c->out_len,
                         c->in.p, c->in.len);
        }

        if (rc == 1) {
            if (r.total != c->in.len) {
                die_response("more bytes than one response", c->out,
                             c->out_len, c->in.p, c->in.len);
            }
            if (r.close) {
                conn_close(c);
            }
            conn_response(c, &r);
            c->in.len = 0;
            return;
        }
    }

    if (eof) {
        if (c->busy) {
            die_response("the server closed the connection mid-response",
                         c->out, c->out_len, c->in.p, c->in.len);
        }
        conn_close(c);
    }
}


/*
 * Runs mode for secs of wall time (or, with limit, until limit units),
 * all connections busy; units completed within the time count.
 */
static void
run_slice(int mode, double secs, uint64_t limit, stats_t *st)
{
    int                  i, n, busy;
    uint64_t             t0, deadline, t;
    double               w0, r0, s0, w1, r1;
    cpus_t               c0, c1;
    struct epoll_event   evs[256];
    conn_t              *c;

    g_mode = mode;
    g_stats = st;
    g_limit = limit;
    g_started = 0;
    g_done = 0;
    g_accepting = 1;

    w0 = proc_cpu(g_worker_pid);
    r0 = proc_cpu(g_redis_pid);
    s0 = self_cpu();
    cpus_read(&c0);
    t0 = now_ns();
    deadline = limit ? UINT64_MAX : t0 + (uint64_t) (secs * 1e9);
    t = t0;
    g_progress = t0;

    for (i = 0; i < g_nconns; i++) {
        if (limit && g_started >= limit) {
            break;
        }
        unit_start(&g_conns[i]);
    }

    for (;;) {
        n = epoll_wait(g_ep, evs, 256, 100);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait: %s", strerror(errno));
        }

        for (i = 0; i < n; i++) {
            c = evs[i].data.ptr;
            if (c->fd < 0) {
                continue;
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                conn_readable(c);
            }
            if (c->fd >= 0 && (evs[i].events & EPOLLOUT)) {
                conn_flush(c);
            }
        }

        if (n == 0 && now_ns() - g_progress > STALL_NS) {
            busy = 0;
            for (i = 0; i < g_nconns; i++) {
                busy += g_conns[i].busy;
            }
            die("%s: no answer for %llu s with %d requests in flight (did "
                "the nginx worker die? see its error.log)", mode_names[mode],
                STALL_NS / 1000000000ULL, busy);
        }

        if (g_accepting) {
            t = now_ns();
            if (t >= deadline) {
                g_accepting = 0;
            }
        }

        if (!g_accepting) {
            if (t == t0 || limit) {
                t = now_ns();
            }
            busy = 0;
            for (i = 0; i < g_nconns; i++) {
                busy += g_conns[i].busy;
            }
            if (busy == 0) {
                break;
            }
        }
    }

    /* the clock stopped when accepting did (the drain is not counted) */
    st->wall += (double) ((limit ? now_ns() : t) - t0) / 1e9;
    st->self_cpu += self_cpu() - s0;
    cpus_read(&c1);
    st->ncpus = c1.n;
    for (i = 0; i < c1.n && i < c0.n; i++) {
        st->cpu_busy[i] += c1.busy[i] - c0.busy[i];
        st->cpu_total[i] += c1.total[i] - c0.total[i];
    }
    w1 = proc_cpu(g_worker_pid);
    r1 = proc_cpu(g_redis_pid);
    if (w0 >= 0 && w1 >= 0) {
        st->worker_cpu += w1 - w0;
    }
    if (r0 >= 0 && r1 >= 0) {
        st->redis_cpu += r1 - r0;
    }
}


/* ---- main ---------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


/* "info: NAME by round: r1 r2 ... (median M)", then "NAME: N.NN", the
 * ratio of the totals: that is the figure; the first line shows how far
 * the rounds spread. */
static void
report_ratio(const char *name, double total, const double *num,
    const double *den, int n)
{
    int      i;
    double  *r;

    r = malloc(sizeof(double) * (size_t) n);
    if (r == NULL) {
        die("out of memory");
    }

    printf("info: %s by round:", name);
    for (i = 0; i < n; i++) {
        r[i] = den[i] > 0 ? num[i] / den[i] : 0;
        printf(" %.2f", r[i]);
    }

    qsort(r, (size_t) n, sizeof(double), cmp_double);
    printf(" (median %.2f)\n",
           n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2);
    printf("%s: %.2f\n", name, total);

    free(r);
}


static void
report(int mode, const stats_t *st)
{
    int     i;
    double  rate;

    rate = st->wall > 0 ? (double) st->units / st->wall : 0;

    printf("%s: %.1f %s/s (%llu in %.2f s, %d connections), "
           "p50 %.3f ms, p99 %.3f ms\n",
           mode_names[mode], rate,
           mode == M_CEREMONY ? "ceremonies" : "requests",
           (unsigned long long) st->units, st->wall, g_nconns,
           hist_pct(&st->hist, 0.50) / 1000,
           hist_pct(&st->hist, 0.99) / 1000);

    printf("info: %s: CPU time / wall time:", mode_names[mode]);
    if (g_worker_pid > 0) {
        printf(" nginx worker %.0f%%,", 100 * st->worker_cpu / st->wall);
    }
    printf(" load generator %.0f%%", 100 * st->self_cpu / st->wall);
    if (g_redis_pid > 0) {
        printf(", redis %.0f%%", 100 * st->redis_cpu / st->wall);
    }
    printf("; CPUs busy (all work, softirq included):");
    for (i = 0; i < st->ncpus; i++) {
        printf(" %d: %.0f%%", i, st->cpu_total[i]
               ? 100.0 * (double) st->cpu_busy[i] / (double) st->cpu_total[i]
               : 0.0);
    }
    printf("\n");
    if (g_worker_pid > 0 && st->worker_cpu > 0) {
        printf("info: %s: %.1f per CPU second of the nginx worker "
               "(process time, softirq excluded)\n", mode_names[mode],
               (double) st->units / st->worker_cpu);
    }
}


int
main(int argc, char **argv)
{
    int            c, i, k, m, cpu, ossl_cpu, rounds, ossl_slice;
    int            modes[M_N], nmodes;
    char          *tok, *save, *mlist;
    double         secs, warm, slice, ossl, ossl_sum, rate[M_N];
    double        *round_rate[M_N], *round_ossl;
    uint64_t       count;
    cpu_set_t      set;
    stats_t       *st, scratch;
    sa_cred_t     *gcred;

    secs = 10;
    warm = 1;
    rounds = 5;
    count = 0;
    cpu = -1;
    ossl_cpu = -1;
    mlist = strdup("plain,gated,ceremony");
    g_port = 0;
    g_origin[0] = '\0';
    snprintf(g_prefix, sizeof(g_prefix), "bench%ld-", (long) getpid());

    while ((c = getopt(argc, argv, "p:m:c:s:r:w:n:C:O:P:Q:o:R:U:u:g:Bvh")) != -1)
    {
        switch (c) {
        case 'p': g_port = atoi(optarg); break;
        case 'm': free(mlist); mlist = strdup(optarg); break;
        case 'c': g_nconns = atoi(optarg); break;
        case 's': secs = strtod(optarg, NULL); break;
        case 'r': rounds = atoi(optarg); break;
        case 'w': warm = strtod(optarg, NULL); break;
        case 'n': count = strtoull(optarg, NULL, 10); break;
        case 'C': cpu = atoi(optarg); break;
        case 'O': ossl_cpu = atoi(optarg); break;
        case 'P': g_worker_pid = atoi(optarg); break;
        case 'Q': g_redis_pid = atoi(optarg); break;
        case 'o': snprintf(g_origin, sizeof(g_origin), "%s", optarg); break;
        case 'R': g_rp_id = optarg; break;
        case 'U': snprintf(g_prefix, sizeof(g_prefix), "%s", optarg); break;
        case 'u': g_path_plain = optarg; break;
        case 'g': g_path_gated = optarg; break;
        case 'B': g_body_user = 1; break;
        case 'v': g_verbose = 1; break;
        default:
            fprintf(stderr,
                    "usage: %s -p port [-m plain,gated,ceremony] [-c conns] "
                    "[-s seconds] [-r rounds] [-w warmup] [-n count] "
                    "[-C cpu] [-O openssl_cpu] [-P worker_pid] "
                    "[-Q redis_pid] [-o origin] [-R rp_id] [-U user_prefix] "
                    "[-u plain_path] [-g gated_path] [-B] [-v]\n", argv[0]);
            return 2;
        }
    }

    if (g_port <= 0 || g_nconns < 1 || rounds < 1 || secs <= 0) {
        die("bad arguments (-p is required)");
    }

    nmodes = 0;
    for (tok = strtok_r(mlist, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save))
    {
        for (m = 0; m < M_N; m++) {
            if (strcmp(tok, mode_names[m]) == 0) {
                break;
            }
        }
        if (m == M_N || nmodes == M_N) {
            die("-m: plain, gated, ceremony (comma-separated)");
        }
        modes[nmodes++] = m;
    }
    if (count && nmodes != 1) {
        die("-n needs exactly one mode");
    }

    signal(SIGPIPE, SIG_IGN);

    if (cpu >= 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            die("sched_setaffinity(%d): %s", cpu, strerror(errno));
        }
    }

    memset(&g_addr, 0, sizeof(g_addr));
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t) g_port);
    inet_pton(AF_INET, g_host_ip, &g_addr.sin_addr);
    snprintf(g_host, sizeof(g_host), "localhost:%d", g_port);
    if (g_origin[0] == '\0') {
        snprintf(g_origin, sizeof(g_origin), "http://localhost:%d", g_port);
    }

    g_ep = epoll_create1(EPOLL_CLOEXEC);
    if (g_ep < 0) {
        die("epoll_create1: %s", strerror(errno));
    }

    g_conns = calloc((size_t) g_nconns, sizeof(conn_t));
    if (g_conns == NULL) {
        die("out of memory");
    }

    /* ---- set-up: requests made once, users, credentials, a session */

    build_request(&g_plain_req, "GET", g_path_plain, NULL, NULL, NULL, 0);

    for (k = 0; k < nmodes; k++) {
        if (modes[k] == M_GATED && g_cookie == NULL) {
            char  user[96];

            snprintf(user, sizeof(user), "%sgated", g_prefix);
            gcred = register_user(user);
            g_cookie = login_user(user, gcred);
            sa_cred_free(gcred);
            build_request(&g_gated_req, "GET", g_path_gated, NULL, g_cookie,
                          NULL, 0);
        }
    }

    for (i = 0; i < g_nconns; i++) {
        g_conns[i].idx = i;
        g_conns[i].fd = -1;
        snprintf(g_conns[i].user, sizeof(g_conns[i].user), "%s%d", g_prefix,
                 i);
    }

    for (k = 0; k < nmodes; k++) {
        if (modes[k] != M_CEREMONY) {
            continue;
        }
        for (i = 0; i < g_nconns; i++) {
            conn_t  *cn = &g_conns[i];
            char     body[160];

            cn->cred = register_user(cn->user);
            if (g_body_user) {
                snprintf(body, sizeof(body), "{\"user\":\"%s\"}", cn->user);
                build_request(&cn->opts, "POST", g_path_login_opts, NULL,
                              NULL, body, strlen(body));
            } else {
                build_request(&cn->opts, "POST", g_path_login_opts, cn->user,
                              NULL, "{}", 2);
            }
        }
    }

    for (i = 0; i < g_nconns; i++) {
        conn_open(&g_conns[i]);
    }

    st = calloc(M_N, sizeof(stats_t));
    if (st == NULL) {
        die("out of memory");
    }

    printf("bench_gate: %d keep-alive connections to 127.0.0.1:%d, %s\n",
           g_nconns, g_port, OpenSSL_version(OPENSSL_VERSION));

    /* ---- count mode: one mode, a fixed number of units */

    if (count) {
        if (warm > 0) {
            memset(&scratch, 0, sizeof(scratch));
            run_slice(modes[0], warm, 0, &scratch);
        }
        if (g_worker_pid > 0) {
            g_rss[0] = proc_rss(g_worker_pid);
            g_rss_every = count / RSS_STEPS;
        }
        run_slice(modes[0], 0, count, &st[modes[0]]);
        report(modes[0], &st[modes[0]]);
        if (g_worker_pid > 0) {
            /* read again now, the connections still open */
            g_rss[RSS_STEPS] = proc_rss(g_worker_pid);
            printf("info: worker VmRSS (KiB) every %llu %s:",
                   (unsigned long long) g_rss_every, mode_names[modes[0]]);
            for (i = 0; i <= RSS_STEPS; i++) {
                printf(" %ld", g_rss[i]);
            }
            printf("\nworker rss: %ld KiB before, %ld KiB after %llu %s "
                   "units (growth %ld KiB)\n", g_rss[0], g_rss[RSS_STEPS],
                   (unsigned long long) count, mode_names[modes[0]],
                   g_rss[RSS_STEPS] - g_rss[0]);
        }
        if (g_reconnects) {
            printf("info: %llu reconnections (the server closed keep-alive "
                   "connections)\n", (unsigned long long) g_reconnects);
        }
        return 0;
    }

    /* ---- timed: warm-up of each mode, then rounds alternating them */

    for (k = 0; k < nmodes && warm > 0; k++) {
        memset(&scratch, 0, sizeof(scratch));
        run_slice(modes[k], warm, 0, &scratch);
    }

    slice = secs / rounds;
    ossl_slice = (int) (slice + 0.5) < 1 ? 1 : (int) (slice + 0.5);
    ossl_sum = 0;

    round_ossl = calloc((size_t) rounds, sizeof(double));
    if (round_ossl == NULL) {
        die("out of memory");
    }

    for (m = 0; m < M_N; m++) {
        round_rate[m] = calloc((size_t) rounds, sizeof(double));
        if (round_rate[m] == NULL) {
            die("out of memory");
        }
    }

    for (i = 0; i < rounds; i++) {
        for (k = 0; k < nmodes; k++) {
            uint64_t  u0 = st[modes[k]].units;
            double    w0 = st[modes[k]].wall;

            run_slice(modes[k], slice, 0, &st[modes[k]]);
            round_rate[modes[k]][i] = (double) (st[modes[k]].units - u0)
                                      / (st[modes[k]].wall - w0);
            printf("info: round %d: %s %.1f/s\n", i + 1, mode_names[modes[k]],
                   round_rate[modes[k]][i]);
        }

        if (ossl_cpu >= 0) {
            fflush(stdout);
            ossl = bench_openssl_speed(ossl_slice, ossl_cpu);
            if (ossl <= 0) {
                die("openssl speed ecdsap256 failed or printed no nistp256 "
                    "line");
            }
            ossl_sum += ossl;
            round_ossl[i] = ossl;
            printf("info: round %d: openssl %.1f verify/s\n", i + 1, ossl);
        }
        fflush(stdout);
    }

    for (m = 0; m < M_N; m++) {
        rate[m] = -1;
    }

    for (k = 0; k < nmodes; k++) {
        m = modes[k];
        report(m, &st[m]);
        rate[m] = (double) st[m].units / st[m].wall;
    }

    if (g_reconnects) {
        printf("info: %llu reconnections (the server closed keep-alive "
               "connections)\n", (unsigned long long) g_reconnects);
    }

    ossl = -1;
    if (ossl_cpu >= 0) {
        ossl = ossl_sum / rounds;
        printf("openssl: %.1f verify/s (openssl speed -seconds %d ecdsap256 "
               "x %d, CPU %d)\n", ossl, ossl_slice, rounds, ossl_cpu);
    }

    if (rate[M_PLAIN] > 0 && rate[M_GATED] >= 0) {
        report_ratio("gate ratio", rate[M_GATED] / rate[M_PLAIN],
                     round_rate[M_GATED], round_rate[M_PLAIN], rounds);
    }

    if (rate[M_CEREMONY] >= 0 && ossl > 0) {
        report_ratio("ceremony ratio", rate[M_CEREMONY] / ossl,
                     round_rate[M_CEREMONY], round_ossl, rounds);
    }

    for (m = 0; m < M_N; m++) {
        free(round_rate[m]);
    }
    free(round_ossl);

    return 0;
}
