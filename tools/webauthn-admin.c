/*
 * webauthn-admin: bulk administration of the passkeys that
 * ngx_http_webauthn_module keeps in Redis.  Roll every user whose passkeys
 * changed since a time back to their last-known-good set, suspend the
 * passkeys registered in a window, export, import (also the migration
 * path from another database) and count.  See docs/webauthn-admin.md.
 *
 * It talks to Redis directly, with hiredis' synchronous API, and runs the
 * module's own Lua scripts (include/wa_store_lua.h), so that a rollback
 * means the same thing from here and from the admin API.  Users are found
 * with SCAN, or for a rollback in the index of changed users with HSCAN,
 * and handled in small pipelined batches, two in flight: Redis never
 * waits for the tool, and its other clients wait for two small batches at
 * most.
 *
 * Exit status: 0 done, 1 some users or lines failed, 2 usage error or
 * Redis unreachable, 130 interrupted (with --state the same command
 * resumes where it stopped).
 */

#include <wa.h>
#include <wa_store_lua.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>


#define EXIT_PARTIAL      1
#define EXIT_USAGE        2
#define EXIT_STOPPED      130

#define USER_MAX          256
#define PK_MAX            2048
#define LINE_MAX_BYTES    (1024 * 1024)
#define TIME_MAX          INT64_C(253402300799)     /* 9999-12-31T23:59:59Z */
#define BATCH_DEFAULT     32
#define BATCH_MAX         10000
#define SCAN_COUNT_MAX    2000      /* about 2 ms of Redis time here */
#define COUNTERS_MAX      16

#define AUDIT_KEY         "wa:audit"
#define CHANGED_KEY       WA_STORE_CHANGED_KEY
#define CHANGED_MARK      WA_STORE_CHANGED_MARK
#define AUDIT_MAXLEN      1000000
#define USER_MATCH        "wa:{u:*}:user"
#define ZERO_AAGUID       "00000000-0000-0000-0000-000000000000"


static const char  usage_text[] =
"usage: webauthn-admin [global options] COMMAND [options]\n"
"\n"
"commands:\n"
"  rollback --changed-since TIME [--dry-run] [--state FILE] [--batch N]\n"
"           [--scan]\n"
"      every user whose passkeys changed at or after TIME goes back to\n"
"      the last-known-good set recorded before TIME\n"
"  suspend --registered-since TIME [--registered-before TIME] [--dry-run]\n"
"          [--state FILE] [--batch N]\n"
"      set aside the active passkeys registered in that window\n"
"  export [--output FILE] [--batch N]\n"
"      every user as JSON lines\n"
"  import [--input FILE] [--dry-run] [--batch N]\n"
"      users from JSON lines (the export format)\n"
"  stats [--batch N]\n"
"      count users, passkeys, lockouts, grants and audit entries\n"
"  reindex [--state FILE] [--batch N]\n"
"      put every user in the index of changed users that rollback walks\n"
"\n"
"global options:\n"
"  --redis ADDR          host:port (127.0.0.1:6379) or unix:/path\n"
"  --db N                the database to SELECT (0)\n"
"  --password-file F     AUTH with the first line of F\n"
"  --actor NAME          who acts, in audit entries (cli:$USER)\n"
"  --reason TEXT         the operator's note in the audit entries of\n"
"                        rollback and suspend (at most 256 bytes)\n"
"  --audit-maxlen N      cap of the audit stream (1000000)\n"
"  --now TIME            the time written (default: the clock)\n"
"  --progress            progress on stderr even when it is no tty\n"
"  --verbose             one line on stderr per user changed or refused\n"
"  --help                print this text\n"
"\n"
"TIME is unix seconds or ISO 8601 UTC: 2026-11-21T10:00:00Z.\n"
"A summary, one \"key: value\" a line, goes to stdout (to stderr when\n"
"export writes to stdout).  Exit status: 0 done, 1 some users or lines\n"
"failed, 2 usage error or Redis unreachable, 130 interrupted.\n";


typedef enum {
    CMD_ROLLBACK = 0,
    CMD_SUSPEND,
    CMD_EXPORT,
    CMD_IMPORT,
    CMD_STATS,
    CMD_REINDEX
} cmd_e;

static const char  *cmd_names[] = {
    "rollback", "suspend", "export", "import", "stats", "reindex"
};


typedef struct {
    const char  *redis;
    long         db;
    const char  *password_file;
    const char  *actor;
    const char  *reason;
    long long    audit_maxlen;
    int64_t      now;
    cmd_e        cmd;
    int64_t      since;
    int64_t      before;
    const char  *state;
    const char  *output;
    const char  *input;
    long         batch;
    unsigned     dry_run:1;
    unsigned     progress:1;
    unsigned     verbose:1;
    unsigned     scan:1;        /* rollback: SCAN, not the index */
} conf_t;


/* ---- small helpers ---------------------------------------------------- */

static volatile sig_atomic_t  stop_signal;


static void
on_signal(int signo)
{
    stop_signal = signo;
}


static void
die_oom(void)
{
    fputs("webauthn-admin: out of memory\n", stderr);
    exit(EXIT_USAGE);
}


/* grows *p (of *cap elements of size bytes) to hold need elements */
static void
grow(void *p, size_t *cap, size_t need, size_t size)
{
    void   **pp = p;
    void    *n;
    size_t   c = *cap ? *cap : 16;

    if (need <= *cap) {
        return;
    }
    while (c < need) {
        c *= 2;
    }
    n = realloc(*pp, c * size);
    if (n == NULL) {
        die_oom();
    }
    *pp = n;
    *cap = c;
}


static int
fail_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
fail_usage(const char *fmt, ...)
{
    va_list  ap;

    fputs("webauthn-admin: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage_text);
    return EXIT_USAGE;
}


static double
now_mono(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* a decimal integer, all of s, in [lo, hi] */
static int
parse_ll(const char *s, size_t n, long long lo, long long hi, long long *out)
{
    char        buf[32], *end;
    long long   v;

    if (n == 0 || n >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] != '-' && (buf[0] < '0' || buf[0] > '9')) {
        return -1;
    }
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}


/* days since 1970-01-01 of a proleptic Gregorian date */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}


static int
digits(const char *s, size_t n, int64_t *out)
{
    size_t  i;

    *out = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        *out = *out * 10 + (s[i] - '0');
    }
    return 0;
}


/*
 * TIME: unix seconds, or exactly YYYY-MM-DDTHH:MM:SSZ (UTC).  Nothing
 * else: a local time or a date without a time would be a guess, and a
 * rollback to a guessed time is not what anybody wants.
 */
static int
parse_time(const char *s, int64_t *out)
{
    static const int  mdays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    int64_t  y, mo, d, h, mi, se, dim;
    size_t   n = strlen(s);

    if (n > 0 && n <= 12 && digits(s, n, out) == 0) {
        return *out <= TIME_MAX ? 0 : -1;
    }
    if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T'
        || s[13] != ':' || s[16] != ':' || s[19] != 'Z'
        || digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d)
        || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi)
        || digits(s + 17, 2, &se))
    {
        return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) {
        return -1;
    }
    dim = mdays[mo - 1]
          + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
    if (d < 1 || d > dim) {
        return -1;
    }
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}


/* ---- a set of 64-bit hashes, each with a small value ------------------ */

/*
 * SCAN may return a key twice; import must see a user, handle or passkey
 * id used twice in one file.  Both only need to know "seen before?", so a
 * 64-bit hash stands for the string: 16 bytes a key, and with a million
 * users a collision has odds of about 1 in 10^7.
 */
typedef struct {
    uint64_t  *keys;
    uint32_t  *vals;
    size_t     cap;
    size_t     n;
} seen_t;


static uint64_t
seen_hash(char tag, const char *p, size_t n)
{
    uint64_t  h = 14695981039346656037ULL;
    size_t    i;

    h = (h ^ (unsigned char) tag) * 1099511628211ULL;
    for (i = 0; i < n; i++) {
        h = (h ^ (unsigned char) p[i]) * 1099511628211ULL;
    }
    /* FNV's low bits spread poorly: mix before using them as an index */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}


static void
seen_grow(seen_t *s)
{
    seen_t  n;
    size_t  i, j;

    n.cap = s->cap ? s->cap * 2 : 1024;
    n.n = s->n;
    n.keys = calloc(n.cap, sizeof(uint64_t));
    n.vals = calloc(n.cap, sizeof(uint32_t));
    if (n.keys == NULL || n.vals == NULL) {
        die_oom();
    }
    for (i = 0; i < s->cap; i++) {
        if (s->keys[i] == 0) {
            continue;
        }
        for (j = s->keys[i] & (n.cap - 1); n.keys[j];
             j = (j + 1) & (n.cap - 1))
        {
            /* probe */
        }
        n.keys[j] = s->keys[i];
        n.vals[j] = s->vals[i];
    }
    free(s->keys);
    free(s->vals);
    *s = n;
}


/* 1 when h is new (now added with val), 0 when seen (*old: its value) */
static int
seen_add(seen_t *s, uint64_t h, uint32_t val, uint32_t *old)
{
    size_t  j;

    if (2 * (s->n + 1) > s->cap) {
        seen_grow(s);
    }
    for (j = h & (s->cap - 1); s->keys[j]; j = (j + 1) & (s->cap - 1)) {
        if (s->keys[j] == h) {
            if (old) {
                *old = s->vals[j];
            }
            return 0;
        }
    }
    s->keys[j] = h;
    s->vals[j] = val;
    s->n++;
    return 1;
}


/* 1 when h was added before (*val: its value) */
static int
seen_find(const seen_t *s, uint64_t h, uint32_t *val)
{
    size_t  j;

    if (s->cap == 0) {
        return 0;
    }
    for (j = h & (s->cap - 1); s->keys[j]; j = (j + 1) & (s->cap - 1)) {
        if (s->keys[j] == h) {
            *val = s->vals[j];
            return 1;
        }
    }
    return 0;
}


static void
seen_clear(seen_t *s)
{
    if (s->cap) {
        memset(s->keys, 0, s->cap * sizeof(uint64_t));
    }
    s->n = 0;
}


static void
seen_free(seen_t *s)
{
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof(*s));
}


/* ---- a batch of commands ---------------------------------------------- */

/*
 * Every argument of a batch in one buffer, so that building a batch of a
 * hundred scripts costs no allocation once the buffer has grown.
 */
typedef struct {
    char         *buf;
    size_t        len;
    size_t        cap;
    size_t       *off;          /* per argument: where it starts in buf */
    size_t       *alen;         /* per argument: its length */
    size_t        nargs;
    size_t        cap_off;
    size_t        cap_alen;
    size_t       *cmd;          /* per command: its first argument */
    size_t        ncmds;
    size_t        cap_cmd;
    const char  **argv;         /* scratch for sending one command */
    size_t        cap_argv;
} cmdbuf_t;


typedef struct {
    size_t  len;
    size_t  nargs;
    size_t  ncmds;
} cbmark_t;


static void
cb_reset(cmdbuf_t *cb)
{
    cb->len = 0;
    cb->nargs = 0;
    cb->ncmds = 0;
}


static cbmark_t
cb_mark(const cmdbuf_t *cb)
{
    cbmark_t  m = { cb->len, cb->nargs, cb->ncmds };

    return m;
}


/* forgets what was added since the mark: a line that failed half-way */
static void
cb_rewind(cmdbuf_t *cb, cbmark_t m)
{
    cb->len = m.len;
    cb->nargs = m.nargs;
    cb->ncmds = m.ncmds;
}


static void
cb_begin(cmdbuf_t *cb)
{
    grow(&cb->cmd, &cb->cap_cmd, cb->ncmds + 1, sizeof(size_t));
    cb->cmd[cb->ncmds++] = cb->nargs;
}


/* one argument, the concatenation of a (n bytes) and b (a C string) */
static void
cb_arg2(cmdbuf_t *cb, const char *a, size_t n, const char *b)
{
    size_t  m = b ? strlen(b) : 0;

    grow(&cb->buf, &cb->cap, cb->len + n + m, 1);
    grow(&cb->off, &cb->cap_off, cb->nargs + 1, sizeof(size_t));
    grow(&cb->alen, &cb->cap_alen, cb->nargs + 1, sizeof(size_t));
    cb->off[cb->nargs] = cb->len;
    cb->alen[cb->nargs] = n + m;
    if (n) {
        memcpy(cb->buf + cb->len, a, n);
    }
    if (m) {
        memcpy(cb->buf + cb->len + n, b, m);
    }
    cb->len += n + m;
    cb->nargs++;
}


/* more bytes of the last argument */
static void
cb_cat(cmdbuf_t *cb, const char *a, size_t n)
{
    grow(&cb->buf, &cb->cap, cb->len + n, 1);
    memcpy(cb->buf + cb->len, a, n);
    cb->len += n;
    cb->alen[cb->nargs - 1] += n;
}


static void
cb_arg(cmdbuf_t *cb, const char *a, size_t n)
{
    cb_arg2(cb, a, n, NULL);
}


static void
cb_str(cmdbuf_t *cb, const char *s)
{
    cb_arg2(cb, s, strlen(s), NULL);
}


static void
cb_num(cmdbuf_t *cb, long long v)
{
    char  num[24];

    cb_arg2(cb, num, (size_t) snprintf(num, sizeof(num), "%lld", v), NULL);
}


static size_t
cb_cmd_end(const cmdbuf_t *cb, size_t i)
{
    return i + 1 < cb->ncmds ? cb->cmd[i + 1] : cb->nargs;
}


/* argument a of the batch as a NUL-less pointer and length */
static const char *
cb_get(const cmdbuf_t *cb, size_t a, size_t *len)
{
    *len = cb->alen[a];
    return cb->buf + cb->off[a];
}


static void
cb_free(cmdbuf_t *cb)
{
    free(cb->buf);
    free(cb->off);
    free(cb->alen);
    free(cb->cmd);
    free(cb->argv);
    memset(cb, 0, sizeof(*cb));
}


/* ---- Redis ------------------------------------------------------------ */

typedef struct {
    const char  *text;
    char         sha[41];
} script_t;

enum {
    SCRIPT_ROLLBACK = 0,
    SCRIPT_SUSPEND,
    SCRIPT_IMPORT,
    SCRIPT_EXPORT,
    SCRIPT_STATS,
    SCRIPT_REINDEX,
    SCRIPT_N
};

/*
 * IMPORT: writes one user, all of it or nothing, unless the user exists
 * or another user holds the handle or one of the passkey ids.  One write
 * a key: a million users are a migration of minutes.  The claims
 * are keys of other slots: the tool, like the audit stream, wants one
 * Redis, not a Cluster.
 * A session epoch left by a user of that name (a record deleted by hand)
 * moves on, so that no session of that user comes back.
 * KEYS: 1 user hash, 2 active set, 3 set of every passkey, 4 snapshot
 *       list, 5 event list, 6 audit stream, 7 handle claim, 8 session
 *       epoch, 9 index of changed users (the user's "changed").
 * ARGV: 1 user, 2 mode ("apply" or "dry"), 3 key prefix of the passkey
 *       hashes, 4 actor, 5 stream cap, 6 now, then triples: "U" field
 *       value (user hash), "C" id active (a passkey: its claim, and its
 *       hash cleared), "F" field value (a field of that passkey), "S" entry
 *       "" (a snapshot, newest first).
 * Returns {"ok", passkeys}, {"user_exists"}, {"handle_claimed"} or
 *         {"credential_claimed", id}.
 */
static const char  import_lua[] =
    WA_STORE_LUA_AUDIT
    "local user, pre = ARGV[1], ARGV[3]\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 then return {'user_exists'} end\n"
    "local h = redis.call('GET', KEYS[7])\n"
    "if h and h ~= user then return {'handle_claimed'} end\n"
    "local n = 0\n"
    "for i = 7, #ARGV, 3 do\n"
    "  if ARGV[i] == 'C' then\n"
    "    n = n + 1\n"
    "    local c = redis.call('GET', 'wa:{c:' .. ARGV[i + 1] .. '}')\n"
    "    if c and c ~= user then\n"
    "      return {'credential_claimed', ARGV[i + 1]}\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if ARGV[2] == 'dry' then return {'ok', n} end\n"
    "redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])\n"
    "local u, f, all, act, claims, snaps, id, ch = {}, {}, {}, {}, {}, {}\n"
    "local function put()\n"
    "  if id then\n"
    "    redis.call('DEL', pre .. id)\n"
    "    redis.call('HSET', pre .. id, unpack(f))\n"
    "  end\n"
    "  f = {}\n"
    "end\n"
    "for i = 7, #ARGV, 3 do\n"
    "  local t, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  if t == 'U' or t == 'F' then\n"
    "    local h = t == 'U' and u or f\n"
    "    h[#h + 1] = a\n"
    "    h[#h + 1] = b\n"
    "    if t == 'U' and a == 'changed' then ch = b end\n"
    "  elseif t == 'C' then\n"
    "    put()\n"
    "    id = a\n"
    "    all[#all + 1] = id\n"
    "    if b == '1' then act[#act + 1] = id end\n"
    "    claims[#claims + 1] = 'wa:{c:' .. id .. '}'\n"
    "    claims[#claims + 1] = user\n"
    "  else\n"
    "    snaps[#snaps + 1] = a\n"
    "  end\n"
    "end\n"
    "put()\n"
    "redis.call('HSET', KEYS[1], unpack(u))\n"
    "if ch then redis.call('HSET', KEYS[9], user, ch) end\n"
    "if #all > 0 then\n"
    "  redis.call('MSET', unpack(claims))\n"
    "  redis.call('SADD', KEYS[3], unpack(all))\n"
    "end\n"
    "if #act > 0 then redis.call('SADD', KEYS[2], unpack(act)) end\n"
    "if #snaps > 0 then redis.call('RPUSH', KEYS[4], unpack(snaps)) end\n"
    "redis.call('SET', KEYS[7], user)\n"
    "if redis.call('EXISTS', KEYS[8]) == 1 then\n"
    "  redis.call('INCR', KEYS[8])\n"
    "end\n"
    "audit(KEYS[5], KEYS[6], ARGV[5], 'import', user, ARGV[4], ARGV[6],\n"
    "  {'credentials', n})\n"
    "return {'ok', n}\n";

/*
 * EXPORT: one user as one consistent picture.
 * KEYS: 1 user hash, 2 active set, 3 set of every passkey, 4 snapshot
 *       list.
 * ARGV: 1 key prefix of the passkey hashes, 2 user (for messages).
 * Returns {} when the user is gone, else {user hash, {{id, active,
 *         passkey hash}, ...}, snapshots}.
 */
static const char  export_lua[] =
    "local u = redis.call('HGETALL', KEYS[1])\n"
    "if #u == 0 then return {} end\n"
    "local out = {}\n"
    "for _, id in ipairs(redis.call('SUNION', KEYS[2], KEYS[3])) do\n"
    "  out[#out + 1] = {id, redis.call('SISMEMBER', KEYS[2], id),\n"
    "    redis.call('HGETALL', ARGV[1] .. id)}\n"
    "end\n"
    "return {u, out, redis.call('LRANGE', KEYS[4], 0, -1)}\n";

/*
 * STATS: what one user counts for.
 * KEYS: 1 user hash, 2 active set, 3 set of every passkey, 4 lockout,
 *       5 grant.
 * ARGV: 1 key prefix of the passkey hashes, 2 user (for messages).
 * Returns {} when the user is gone, else {has passkeys, locked, grant,
 *         active, revoked, suspended, removed, other} (0 or 1, counts).
 */
static const char  stats_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {} end\n"
    "local n = {math.min(redis.call('SCARD', KEYS[2]), 1),\n"
    "  redis.call('EXISTS', KEYS[4]), redis.call('EXISTS', KEYS[5]),\n"
    "  0, 0, 0, 0, 0}\n"
    "for _, id in ipairs(redis.call('SUNION', KEYS[2], KEYS[3])) do\n"
    "  local c = redis.call('HMGET', ARGV[1] .. id, 'revoked', 'suspended',\n"
    "    'removed')\n"
    "  local k = 8\n"
    "  if redis.call('SISMEMBER', KEYS[2], id) == 1 then k = 4\n"
    "  elseif c[1] then k = 5\n"
    "  elseif c[2] then k = 6\n"
    "  elseif c[3] then k = 7 end\n"
    "  n[k] = n[k] + 1\n"
    "end\n"
    "return n\n";

/*
 * REINDEX: the user in the index of changed users with its "changed", as
 * the scripts that set it keep it; for the users written before the index
 * existed.
 * KEYS: 1 user hash, 2 index of changed users.
 * ARGV: 1 key prefix of the passkey hashes (unused), 2 user.
 * Returns 1 indexed, 0 never changed (no "changed": not in the index),
 *         -1 gone.
 */
static const char  reindex_lua[] =
    "local c = redis.call('HGET', KEYS[1], 'changed')\n"
    "if c then\n"
    "  redis.call('HSET', KEYS[2], ARGV[2], c)\n"
    "  return 1\n"
    "end\n"
    "return redis.call('EXISTS', KEYS[1]) == 1 and 0 or -1\n";

static script_t  scripts[SCRIPT_N] = {
    { WA_STORE_LUA_ROLLBACK, "" },
    { WA_STORE_LUA_SUSPEND, "" },
    { import_lua, "" },
    { export_lua, "" },
    { stats_lua, "" },
    { reindex_lua, "" },
};

static int
reply_is_error(const redisReply *r, const char *prefix)
{
    return r->type == REDIS_REPLY_ERROR
           && strncmp(r->str, prefix, strlen(prefix)) == 0;
}


/* SCRIPT LOAD: the SHA-1 that EVALSHA names the script by */
static int
script_load(redisContext *c, script_t *s)
{
    redisReply  *r;
    int          rc = -1;

    r = redisCommand(c, "SCRIPT LOAD %s", s->text);
    if (r == NULL) {
        fprintf(stderr, "webauthn-admin: redis: %s\n", c->errstr);
        return -1;
    }
    if (r->type == REDIS_REPLY_STRING && r->len == 40) {
        memcpy(s->sha, r->str, 40);
        s->sha[40] = '\0';
        rc = 0;
    } else {
        fprintf(stderr, "webauthn-admin: SCRIPT LOAD: %s\n",
                r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    }
    freeReplyObject(r);
    return rc;
}


/* "EVALSHA sha numkeys": the start of a command running script i */
static void
cb_evalsha(cmdbuf_t *cb, int i, int numkeys)
{
    cb_begin(cb);
    cb_str(cb, "EVALSHA");
    cb_str(cb, scripts[i].sha);
    cb_num(cb, numkeys);
}


static void
cb_append(redisContext *c, cmdbuf_t *cb, size_t i)
{
    size_t  a, first = cb->cmd[i], end = cb_cmd_end(cb, i);

    grow(&cb->argv, &cb->cap_argv, end - first, sizeof(char *));
    for (a = first; a < end; a++) {
        cb->argv[a - first] = cb->buf + cb->off[a];
    }
    redisAppendCommandArgv(c, (int) (end - first), cb->argv,
                           cb->alen + first);
}


/* the script command i runs */
static script_t *
cmd_script(const cmdbuf_t *cb, size_t i)
{
    const char  *sha;
    size_t       len, k;

    sha = cb_get(cb, cb->cmd[i] + 1, &len);
    for (k = 0; k < SCRIPT_N; k++) {
        if (len == 40 && memcmp(scripts[k].sha, sha, 40) == 0) {
            return &scripts[k];
        }
    }
    return NULL;
}


/* sends the commands of cb: they go out with the next read of a reply */
static void
batch_send(redisContext *c, cmdbuf_t *cb, redisReply **r)
{
    size_t  i;

    for (i = 0; i < cb->ncmds; i++) {
        r[i] = NULL;
        cb_append(c, cb, i);
    }
}


/* the replies not read yet, in order: how many were NOSCRIPT, or -1 */
static int
batch_recv(redisContext *c, cmdbuf_t *cb, redisReply **r)
{
    size_t   i;
    void    *reply;
    int      n = 0;

    for (i = 0; i < cb->ncmds; i++) {
        if (r[i] != NULL) {
            continue;
        }
        if (redisGetReply(c, &reply) != REDIS_OK) {
            fprintf(stderr, "webauthn-admin: redis: %s\n", c->errstr);
            return -1;
        }
        r[i] = reply;
        n += reply_is_error(r[i], "NOSCRIPT");
    }
    return n;
}


/*
 * A script that Redis no longer has (it restarted, or SCRIPT FLUSH) did
 * not run: it is loaded again and its command sent again, and read.
 * Nothing else may be in flight.
 */
static int
batch_retry(redisContext *c, cmdbuf_t *cb, redisReply **r)
{
    script_t  *sc;
    size_t     i;
    unsigned   loaded;
    int        tries;

    for (tries = 0; tries < 3; tries++) {

        /* SCRIPT LOAD reads its reply at once: before anything is sent */
        loaded = 0;
        for (i = 0; i < cb->ncmds; i++) {
            if (!reply_is_error(r[i], "NOSCRIPT")) {
                continue;
            }
            sc = cmd_script(cb, i);
            if (sc == NULL) {
                return -1;
            }
            if (!(loaded & (1u << (sc - scripts)))) {
                if (script_load(c, sc) != 0) {
                    return -1;
                }
                loaded |= 1u << (sc - scripts);
            }
        }
        if (loaded == 0) {
            return 0;
        }

        for (i = 0; i < cb->ncmds; i++) {
            if (reply_is_error(r[i], "NOSCRIPT")) {
                freeReplyObject(r[i]);
                r[i] = NULL;
                cb_append(c, cb, i);
            }
        }
        if (batch_recv(c, cb, r) < 0) {
            return -1;
        }
    }
    return 0;
}


static void free_replies(redisReply **r, size_t n);


/* one batch, one round trip; -1 when the connection failed */
static int
exchange(redisContext *c, cmdbuf_t *cb, redisReply **r)
{
    batch_send(c, cb, r);
    if (batch_recv(c, cb, r) < 0 || batch_retry(c, cb, r) != 0) {
        free_replies(r, cb->ncmds);
        return -1;
    }
    return 0;
}


static void
free_replies(redisReply **r, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (r[i]) {
            freeReplyObject(r[i]);
            r[i] = NULL;
        }
    }
}


/* "host:port" or "unix:/path"; [v6]:port too */
static redisContext *
store_connect_addr(const char *addr)
{
    struct timeval   tv = { 3, 0 };
    char             host[256];
    const char      *colon;
    long long        port;
    size_t           n;

    if (strncmp(addr, "unix:", 5) == 0) {
        return addr[5] ? redisConnectUnixWithTimeout(addr + 5, tv) : NULL;
    }
    colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr
        || parse_ll(colon + 1, strlen(colon + 1), 1, 65535, &port) != 0)
    {
        return NULL;
    }
    n = colon - addr;
    if (addr[0] == '[' && n > 2 && addr[n - 1] == ']') {
        addr++;
        n -= 2;
    }
    if (n >= sizeof(host)) {
        return NULL;
    }
    memcpy(host, addr, n);
    host[n] = '\0';
    return redisConnectWithTimeout(host, (int) port, tv);
}


/* the first line of the file, without its line end */
static int
read_password(const char *path, char *buf, size_t size)
{
    FILE    *f;
    size_t   n;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fgets(buf, (int) size, f) == NULL) {
        buf[0] = '\0';
    }
    fclose(f);
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    if (n == 0) {
        fprintf(stderr, "webauthn-admin: %s: no password on its first "
                "line\n", path);
        return -1;
    }
    return 0;
}


/* one setup command (AUTH, SELECT); -1 when Redis said no */
static int
store_setup(redisContext *c, int argc, const char **argv)
{
    redisReply  *r;
    int          rc;

    r = redisCommandArgv(c, argc, argv, NULL);
    if (r == NULL) {
        fprintf(stderr, "webauthn-admin: redis: %s\n", c->errstr);
        return -1;
    }
    rc = r->type == REDIS_REPLY_ERROR ? -1 : 0;
    if (rc) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", argv[0], r->str);
    }
    freeReplyObject(r);
    return rc;
}


static redisContext *
store_connect(const conf_t *cf)
{
    struct timeval   tv = { 60, 0 };
    redisContext    *c;
    const char      *argv[2];
    char             pw[4096], db[24];
    int              rc = 0;

    c = store_connect_addr(cf->redis);
    if (c == NULL || c->err) {
        fprintf(stderr, "webauthn-admin: cannot connect to Redis at %s: %s\n",
                cf->redis, c ? c->errstr : "bad address");
        if (c) {
            redisFree(c);
        }
        return NULL;
    }

    /* a batch is milliseconds of Redis time: a minute means trouble */
    redisSetTimeout(c, tv);

    if (cf->password_file) {
        if (read_password(cf->password_file, pw, sizeof(pw)) != 0) {
            redisFree(c);
            return NULL;
        }
        argv[0] = "AUTH";
        argv[1] = pw;
        rc = store_setup(c, 2, argv);
        wa_memzero(pw, sizeof(pw));
    }
    if (rc == 0 && cf->db) {
        snprintf(db, sizeof(db), "%ld", cf->db);
        argv[0] = "SELECT";
        argv[1] = db;
        rc = store_setup(c, 2, argv);
    }
    if (rc != 0) {
        redisFree(c);
        return NULL;
    }
    return c;
}


/* ---- keys ------------------------------------------------------------- */

/* a key of one user: "wa:{u:U}:suffix" */
typedef struct {
    const char  *key;
    size_t       plen;          /* of the prefix "wa:{u:U}:" */
    const char  *suffix;
    size_t       slen;
} ukey_t;


static int
ukey_parse(const char *key, size_t len, ukey_t *k)
{
    const char  *close;

    if (len < 9 || memcmp(key, "wa:{u:", 6) != 0) {
        return -1;
    }
    close = memchr(key + 6, '}', len - 6);
    if (close == NULL || close == key + 6 || (size_t) (close - key) + 2 > len
        || close[1] != ':')
    {
        return -1;
    }
    k->key = key;
    k->plen = close - key + 2;
    k->suffix = key + k->plen;
    k->slen = len - k->plen;
    return 0;
}


/* the user name the key belongs to (NUL-terminated); -1 if not base64url */
static int
ukey_user(const ukey_t *k, char *name, size_t *n)
{
    size_t  ulen = k->plen - 8;

    if (ulen > (USER_MAX + 2) / 3 * 4
        || wa_b64url_decode(k->key + 6, ulen, (uint8_t *) name, n) != WA_OK
        || *n == 0 || memchr(name, '\0', *n) != NULL)
    {
        return -1;
    }
    name[*n] = '\0';
    return 0;
}


static int
ukey_is(const ukey_t *k, const char *suffix)
{
    return k->slen == strlen(suffix)
           && memcmp(k->suffix, suffix, k->slen) == 0;
}


/* ---- a run: counters, progress, summary, state ------------------------ */

typedef struct {
    cmd_e               cmd;
    const conf_t       *cf;
    const char *const  *names;
    size_t              n;
    uint64_t            count[COUNTERS_MAX];
    uint64_t            done;           /* users (lines, keys) handled */
    int                 failed;         /* the counter that means exit 1 */
    double              start;
    double              before;         /* seconds of the runs resumed */
    double              last_progress;
    char                args[256];      /* the command's identity */
    unsigned            printed:1;
    unsigned            interrupted:1;
    unsigned            resumed:1;
    unsigned            finished:1;
    unsigned            index:1;        /* walks the index of changed users */
} run_t;


static double
run_elapsed(const run_t *run)
{
    return run->before + (now_mono() - run->start);
}


static void
run_progress(run_t *run, int last)
{
    double  t = now_mono(), el;

    if (!run->cf->progress) {
        return;
    }
    if (!last && t - run->last_progress < 1.0) {
        return;
    }
    if (last && !run->printed) {
        return;
    }
    run->last_progress = t;
    el = run_elapsed(run);
    fprintf(stderr, "\rwebauthn-admin %s: %" PRIu64 " scanned, %" PRIu64
            " done, %.0f/s   %s", cmd_names[run->cmd], run->count[0],
            run->done, el > 0 ? run->done / el : 0.0, last ? "\n" : "");
    run->printed = 1;
}


static void
run_summary(const run_t *run, FILE *f)
{
    size_t  i;
    double  el = run_elapsed(run);

    fprintf(f, "command: %s\n", cmd_names[run->cmd]);
    if (run->cmd != CMD_EXPORT && run->cmd != CMD_STATS) {
        fprintf(f, "dry_run: %s\n", run->cf->dry_run ? "yes" : "no");
    }
    for (i = 0; i < run->n; i++) {
        fprintf(f, "%s: %" PRIu64 "\n", run->names[i], run->count[i]);
    }
    fprintf(f, "resumed: %s\n", run->resumed ? "yes" : "no");
    fprintf(f, "interrupted: %s\n", run->interrupted ? "yes" : "no");
    fprintf(f, "seconds: %.3f\n", el);
    fprintf(f, "per_second: %.0f\n", el > 0 ? run->done / el : 0.0);
    fflush(f);
}


static int
run_status(const run_t *run)
{
    if (run->interrupted) {
        return EXIT_STOPPED;
    }
    return run->count[run->failed] ? EXIT_PARTIAL : 0;
}


/*
 * The state file: what a run did so far and where SCAN stands.  Written
 * after every batch, to FILE.tmp then renamed, so that a kill at any
 * moment leaves the old state or the new one, never half of one.
 */
static int
state_save(run_t *run, uint64_t cursor)
{
    char     tmp[PATH_MAX];
    FILE    *f;
    size_t   i;
    int      ok;

    if (run->cf->state == NULL) {
        return 0;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", run->cf->state)
        >= (int) sizeof(tmp))
    {
        return -1;
    }
    f = fopen(tmp, "w");
    if (f == NULL) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "webauthn-admin state 1\ncommand %s\nargs %s\n"
            "walk %s\ncursor %" PRIu64 "\nfinished %d\nseconds %.3f\n"
            "done %" PRIu64 "\n", cmd_names[run->cmd], run->args,
            run->index ? "index" : "scan", cursor, run->finished,
            run_elapsed(run), run->done);
    for (i = 0; i < run->n; i++) {
        fprintf(f, "count %s %" PRIu64 "\n", run->names[i], run->count[i]);
    }
    ok = fflush(f) == 0 && !ferror(f);
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, run->cf->state) != 0) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", run->cf->state,
                strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}


/* one "name value" line of a state file into the run */
static int
state_line(run_t *run, char *line, uint64_t *cursor)
{
    char        *sp = strchr(line, ' '), *v, *end;
    size_t       i;
    long long    n;

    if (sp == NULL) {
        return -1;
    }
    *sp = '\0';
    v = sp + 1;
    if (strcmp(line, "webauthn-admin") == 0) {
        return strcmp(v, "state 1") == 0 ? 0 : -1;
    }
    if (strcmp(line, "command") == 0) {
        return strcmp(v, cmd_names[run->cmd]) == 0 ? 0 : 1;
    }
    if (strcmp(line, "args") == 0) {
        return strcmp(v, run->args) == 0 ? 0 : 1;
    }
    if (strcmp(line, "walk") == 0) {
        /* the cursor is one of that walk's (a file without: SCAN's) */
        run->index = strcmp(v, "index") == 0;
        return run->index || strcmp(v, "scan") == 0 ? 0 : -1;
    }
    if (strcmp(line, "seconds") == 0) {
        run->before = strtod(v, &end);
        return *end || run->before < 0 ? -1 : 0;
    }
    if (strcmp(line, "count") == 0) {
        sp = strchr(v, ' ');
        if (sp == NULL) {
            return -1;
        }
        *sp++ = '\0';
        for (i = 0; i < run->n; i++) {
            if (strcmp(run->names[i], v) == 0) {
                return parse_ll(sp, strlen(sp), 0, LLONG_MAX, &n) == 0
                       ? (run->count[i] = n, 0) : -1;
            }
        }
        return -1;
    }
    if (parse_ll(v, strlen(v), 0, LLONG_MAX, &n) != 0) {
        return -1;
    }
    if (strcmp(line, "cursor") == 0) {
        *cursor = (uint64_t) n;
    } else if (strcmp(line, "finished") == 0) {
        run->finished = n != 0;
    } else if (strcmp(line, "done") == 0) {
        run->done = (uint64_t) n;
    } else {
        return -1;
    }
    return 0;
}


/*
 * Loads the state file when there is one: 0 (fresh start or resumed),
 * EXIT_USAGE when it is not ours or not of this command and arguments.
 */
static int
state_load(run_t *run, uint64_t *cursor)
{
    char   line[512];
    FILE  *f;
    int    rc = 0, lines = 0;

    *cursor = 0;
    if (run->cf->state == NULL) {
        return 0;
    }
    f = fopen(run->cf->state, "r");
    if (f == NULL) {
        if (errno == ENOENT) {
            return 0;
        }
        fprintf(stderr, "webauthn-admin: %s: %s\n", run->cf->state,
                strerror(errno));
        return EXIT_USAGE;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        rc = state_line(run, line, cursor);
        lines++;
    }
    fclose(f);
    if (rc == 1) {
        fprintf(stderr, "webauthn-admin: state file %s is of another "
                "command or other arguments (this one: %s %s); give "
                "another --state FILE\n", run->cf->state,
                cmd_names[run->cmd], run->args);
        return EXIT_USAGE;
    }
    if (rc != 0 || lines < 7) {
        fprintf(stderr, "webauthn-admin: %s is not a state file of "
                "webauthn-admin\n", run->cf->state);
        return EXIT_USAGE;
    }
    run->resumed = 1;
    return 0;
}


/* ---- walking the users with SCAN or HSCAN ----------------------------- */

typedef struct walk_s  walk_t;

/*
 * Two batches in flight: while Redis runs one, the other is on its way,
 * and Redis never waits for the tool.  Redis reads all that a client has
 * sent at once and runs it before it turns to other clients, so what is
 * in flight, two small batches, is how long they may wait.
 */
#define PIPELINE_DEPTH  2

typedef struct {
    size_t    cmd;              /* its first command in the batch */
    size_t    tag;              /* the argument naming it in messages */
    uint64_t  seg;              /* the SCAN its key came from */
} item_t;

/* the keys one SCAN returned (HSCAN: users and their times) */
typedef struct {
    uint64_t     cursor;        /* that SCAN began here */
    redisReply  *reply;         /* the keys are its element[1] */
    size_t       next;          /* keys handed out */
    size_t       pending;       /* handed out and not done */
} seg_t;

typedef struct {
    cmdbuf_t      cb;
    redisReply  **replies;
    size_t        cap_replies;
    item_t       *items;
    size_t        nitems;
    size_t        cap_items;
    unsigned      scan:1;       /* its last command is a SCAN */
} batch_t;

struct walk_s {
    redisContext   *c;
    run_t          *run;
    const char     *match;
    unsigned        index:1;    /* HSCAN of the index, not SCAN */
    int64_t         changed;    /* HSCAN: the time of the key at hand */
    int64_t         since;      /* HSCAN: before it, nothing to do */
    long            count;      /* SCAN COUNT, adapted to the key mix */
    uint64_t        cursor;     /* the keys of every SCAN before: done */
    uint64_t        next_cursor;    /* where the next SCAN begins */
    unsigned        scan_sent:1;
    unsigned        scan_done:1;
    seg_t          *segs;       /* in SCAN order */
    size_t          nsegs;
    size_t          cap_segs;
    uint64_t        seg_base;   /* the number of segs[0] */
    batch_t         b[PIPELINE_DEPTH];
    size_t          first;      /* b[first] is the oldest in flight */
    size_t          inflight;
    cmdbuf_t       *cb;         /* of the batch being filled */
    batch_t        *cur;        /* the batch whose replies are handled */
    seen_t          seen;
    char            now[24];
    /* appends the commands of one key; 0: nothing to do for it */
    int           (*key)(walk_t *w, const ukey_t *k, item_t *it);
    void          (*reply)(walk_t *w, item_t *it, redisReply **r);
    void           *data;
};


static uint64_t
scan_cursor(const redisReply *r)
{
    return strtoull(r->element[0]->str, NULL, 10);
}


/* HSCAN returns pairs: a user and its time */
static int
scan_ok(const walk_t *w, const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ARRAY && r->elements == 2
           && r->element[0]->type == REDIS_REPLY_STRING
           && r->element[1]->type == REDIS_REPLY_ARRAY
           && (!w->index || r->element[1]->elements % 2 == 0);
}


static void
cb_scan(walk_t *w, uint64_t cursor)
{
    cb_begin(w->cb);
    if (w->index) {
        cb_str(w->cb, "HSCAN");
        cb_str(w->cb, CHANGED_KEY);
        cb_num(w->cb, (long long) cursor);
    } else {
        cb_str(w->cb, "SCAN");
        cb_num(w->cb, (long long) cursor);
        cb_str(w->cb, "MATCH");
        cb_str(w->cb, w->match);
    }
    cb_str(w->cb, "COUNT");
    cb_num(w->cb, w->count);
}


/*
 * A time of HSCAN's reply; one that is not a number counts as changed
 * now: the script, which reads the user's own "changed", decides.
 */
static int64_t
scan_time(const redisReply *r)
{
    long long  t;

    return r->type == REDIS_REPLY_STRING
           && parse_ll(r->str, r->len, 0, TIME_MAX, &t) == 0 ? t : TIME_MAX;
}


/* users (keys) of one SCAN's reply: HSCAN's come with a time each */
static size_t
seg_len(const walk_t *w, const seg_t *seg)
{
    return seg->reply->element[1]->elements >> w->index;
}


/*
 * SCAN COUNT is how many slots Redis looks at, not how many keys come
 * back: a user has half a dozen keys or more (passkeys, snapshots,
 * sessions, claims).  Aim at about one batch of matches a SCAN, within
 * bounds that keep one SCAN short.  HSCAN returns about COUNT users, of
 * which those changed before the time are no work: they count as no
 * match, so that a rollback of a few users walks the index in big steps.
 */
static void
scan_adapt(walk_t *w, size_t got)
{
    long  batch = w->run->cf->batch, want;

    if (w->count == 0) {
        want = batch * 8;               /* the first: a guess */
    } else {
        want = got ? (long) (w->count * batch / (long) got) : w->count * 2;
        want = (w->count + want) / 2;
    }
    w->count = want > SCAN_COUNT_MAX ? SCAN_COUNT_MAX : want;
    w->count = w->count < batch ? batch : w->count;
}


/* keys SCAN returned that no batch has taken yet */
static size_t
walk_unsent(const walk_t *w)
{
    size_t  i, n = 0;

    for (i = 0; i < w->nsegs; i++) {
        n += seg_len(w, &w->segs[i]) - w->segs[i].next;
    }
    return n;
}


/*
 * The key "wa:{u:U}:user" of a user of the index into buf (of
 * USER_KEY_MAX bytes); -1, counted as failed, when the member is no user
 * name.
 */
#define USER_KEY_MAX  ((USER_MAX + 2) / 3 * 4 + 16)

static int
index_key(walk_t *w, const redisReply *m, char *buf, size_t *len)
{
    size_t  n;

    if (m->type != REDIS_REPLY_STRING || m->len == 0 || m->len > USER_MAX
        || memchr(m->str, '\0', m->len) != NULL)
    {
        fprintf(stderr, "webauthn-admin: %s: a field that is not a user "
                "name\n", CHANGED_KEY);
        w->run->count[0]++;
        w->run->count[w->run->failed]++;
        return -1;
    }
    memcpy(buf, "wa:{u:", 6);
    n = 6 + wa_b64url_encode((const uint8_t *) m->str, m->len, buf + 6);
    memcpy(buf + n, "}:user", 6);
    *len = n + 6;
    return 0;
}


/* the keys of one SCAN into batch b, as far as they go */
static void
walk_fill_seg(walk_t *w, batch_t *b, size_t s)
{
    seg_t        *seg = &w->segs[s];
    redisReply   *keys = seg->reply->element[1], *k;
    item_t       *it;
    ukey_t        uk;
    const char   *key;
    size_t        len;
    char          buf[USER_KEY_MAX];

    while (seg->next < seg_len(w, seg)
           && b->nitems < (size_t) w->run->cf->batch)
    {
        if (w->index) {
            k = keys->element[2 * seg->next];
            w->changed = scan_time(keys->element[2 * seg->next + 1]);
            seg->next++;
            if (index_key(w, k, buf, &len) != 0) {
                continue;
            }
            key = buf;
        } else {
            k = keys->element[seg->next++];
            if (k->type != REDIS_REPLY_STRING) {
                continue;
            }
            key = k->str;
            len = k->len;
        }
        if (ukey_parse(key, len, &uk) != 0
            || !seen_add(&w->seen, seen_hash('k', key, len), 0, NULL))
        {
            continue;
        }
        grow(&b->items, &b->cap_items, b->nitems + 1, sizeof(item_t));
        it = &b->items[b->nitems];
        it->cmd = b->cb.ncmds;
        it->seg = w->seg_base + s;
        if (w->key(w, &uk, it)) {
            b->nitems++;
            seg->pending++;
        }
    }
}


/*
 * The next batch: the commands of up to --batch keys, and the next SCAN
 * when the keys at hand run short.  After a signal, no key of a SCAN not
 * begun and no SCAN more: the run ends at a SCAN boundary.  The number of
 * commands.
 */
static size_t
walk_fill(walk_t *w, batch_t *b)
{
    size_t  s;

    cb_reset(&b->cb);
    b->nitems = 0;
    b->scan = 0;
    w->cb = &b->cb;
    snprintf(w->now, sizeof(w->now), "%lld", (long long)
             (w->run->cf->now ? w->run->cf->now : time(NULL)));

    for (s = 0; s < w->nsegs && b->nitems < (size_t) w->run->cf->batch; s++)
    {
        if (stop_signal && w->segs[s].next == 0) {
            break;
        }
        walk_fill_seg(w, b, s);
    }
    if (!w->scan_sent && !w->scan_done && !stop_signal
        && walk_unsent(w) < (size_t) w->run->cf->batch)
    {
        cb_scan(w, w->next_cursor);
        b->scan = 1;
        w->scan_sent = 1;
    }
    grow(&b->replies, &b->cap_replies, b->cb.ncmds, sizeof(redisReply *));
    return b->cb.ncmds;
}


/* the keys of the SCAN that came back with batch b: a new segment */
static int
walk_scanned(walk_t *w, batch_t *b)
{
    redisReply  *r = b->replies[b->cb.ncmds - 1], *keys;
    seg_t       *seg;
    size_t       i, got;

    if (!scan_ok(w, r)) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", w->index ? "HSCAN"
                : "SCAN", r->type == REDIS_REPLY_ERROR ? r->str
                                                       : "unexpected reply");
        return -1;
    }
    grow(&w->segs, &w->cap_segs, w->nsegs + 1, sizeof(seg_t));
    seg = &w->segs[w->nsegs++];
    seg->cursor = w->next_cursor;
    seg->reply = r;
    seg->next = 0;
    seg->pending = 0;
    b->replies[b->cb.ncmds - 1] = NULL;

    w->next_cursor = scan_cursor(r);
    w->scan_done = w->next_cursor == 0;
    w->scan_sent = 0;
    keys = r->element[1];
    got = keys->elements;
    if (w->index) {
        for (i = 1, got = 0; i < keys->elements; i += 2) {
            got += scan_time(keys->element[i]) >= w->since;
        }
    }
    scan_adapt(w, got);
    return 0;
}


/*
 * The replies of the oldest batch.  A NOSCRIPT among them: the batches
 * behind it are read first, then each sends its failed commands again.
 */
static int
walk_recv(walk_t *w, batch_t *b)
{
    size_t  i, k;
    int     n;

    n = batch_recv(w->c, &b->cb, b->replies);
    for (i = 1; n > 0 && i < w->inflight; i++) {
        k = (w->first + i) % PIPELINE_DEPTH;
        if (batch_recv(w->c, &w->b[k].cb, w->b[k].replies) < 0) {
            return -1;
        }
    }
    for (i = 0; n > 0 && i < w->inflight; i++) {
        k = (w->first + i) % PIPELINE_DEPTH;
        if (batch_retry(w->c, &w->b[k].cb, w->b[k].replies) != 0) {
            return -1;
        }
    }
    return n < 0 ? -1 : 0;
}


/*
 * The oldest batch done: its users counted, its SCAN's keys queued, the
 * SCANs whose keys are all done dropped, and the state saved with the
 * cursor of the first SCAN not done.
 */
static int
walk_done(walk_t *w, batch_t *b)
{
    seg_t   *seg;
    size_t   i;

    w->cur = b;
    for (i = 0; i < b->nitems; i++) {
        w->reply(w, &b->items[i], b->replies + b->items[i].cmd);
        w->segs[b->items[i].seg - w->seg_base].pending--;
        w->run->done++;
    }
    if (b->scan && walk_scanned(w, b) != 0) {
        return -1;
    }
    free_replies(b->replies, b->cb.ncmds);

    while (w->nsegs) {
        seg = &w->segs[0];
        if (seg->next < seg_len(w, seg) || seg->pending) {
            break;
        }
        freeReplyObject(seg->reply);
        memmove(w->segs, w->segs + 1, --w->nsegs * sizeof(seg_t));
        w->seg_base++;
    }
    w->cursor = w->nsegs ? w->segs[0].cursor : w->next_cursor;
    w->run->finished = w->cursor == 0 && w->scan_done;
    return state_save(w->run, w->cursor);
}


/*
 * The loop of rollback, suspend, stats, export and reindex: SCAN (or
 * HSCAN of the index), and pipelined batches of commands for the keys it
 * returns, the next SCAN riding with them.  The state names the first
 * SCAN whose keys are not all done: resuming there loses nothing and does
 * nothing twice (and what SCAN returns again, the seen set passes over).
 * 0 done or stopped, -1 Redis failed.
 */
static int
walk(walk_t *w)
{
    batch_t  *b;

    scan_adapt(w, 0);
    w->next_cursor = w->cursor;

    for ( ;; ) {
        while (w->inflight < PIPELINE_DEPTH) {
            b = &w->b[(w->first + w->inflight) % PIPELINE_DEPTH];
            if (walk_fill(w, b) == 0) {
                break;
            }
            batch_send(w->c, &b->cb, b->replies);
            w->inflight++;
        }
        if (w->inflight == 0) {
            break;
        }
        b = &w->b[w->first];
        if (walk_recv(w, b) != 0 || walk_done(w, b) != 0) {
            return -1;
        }
        w->first = (w->first + 1) % PIPELINE_DEPTH;
        w->inflight--;
        run_progress(w->run, 0);
    }
    w->run->interrupted = !w->run->finished;
    return 0;
}


static void
walk_free(walk_t *w)
{
    size_t  i;

    for (i = 0; i < PIPELINE_DEPTH; i++) {
        free_replies(w->b[i].replies, w->b[i].cb.ncmds);
        free(w->b[i].replies);
        free(w->b[i].items);
        cb_free(&w->b[i].cb);
    }
    for (i = 0; i < w->nsegs; i++) {
        freeReplyObject(w->segs[i].reply);
    }
    free(w->segs);
    seen_free(&w->seen);
}


static const char *
reply_str(const redisReply *r, size_t i)
{
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements
        || r->element[i]->type != REDIS_REPLY_STRING)
    {
        return "";
    }
    return r->element[i]->str;
}


static long long
reply_int(const redisReply *r, size_t i)
{
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements
        || r->element[i]->type != REDIS_REPLY_INTEGER)
    {
        return 0;
    }
    return r->element[i]->integer;
}


/* the user an item is about, for messages */
static const char *
item_user(walk_t *w, const item_t *it, size_t *len)
{
    return cb_get(&w->cur->cb, it->tag, len);
}


/* a reply that is none of the script's: the user counts as failed */
static void
item_failed(walk_t *w, const item_t *it, const redisReply *r, int counter)
{
    const char  *u;
    size_t       n;

    u = item_user(w, it, &n);
    fprintf(stderr, "webauthn-admin: user %.*s: %s\n", (int) n, u,
            r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    w->run->count[counter]++;
}


static void
item_verbose(walk_t *w, const item_t *it, const char *what)
{
    const char  *u;
    size_t       n;

    if (w->run->cf->verbose) {
        u = item_user(w, it, &n);
        fprintf(stderr, "webauthn-admin: user %.*s: %s\n", (int) n, u, what);
    }
}


/*
 * The common head of the shared scripts' commands: the user's name from
 * its key, or 0 (counted as failed) when the key only looks like a user's.
 */
static int
user_item(walk_t *w, const ukey_t *k, char *name, int scanned, int failed)
{
    size_t  n;

    if (!ukey_is(k, "user")) {
        return 0;
    }
    w->run->count[scanned]++;
    if (ukey_user(k, name, &n) != 0) {
        fprintf(stderr, "webauthn-admin: key %.*s: not the key of a user "
                "name\n", (int) (k->plen + k->slen), k->key);
        w->run->count[failed]++;
        return 0;
    }
    return 1;
}


#define GLOBAL_AUDIT    1           /* user_cmd(): the audit stream */
#define GLOBAL_INDEX    2           /* the index of changed users */

/*
 * EVALSHA of a script on the user's keys of the suffixes given, then the
 * audit stream and the index of changed users when it writes them
 * (globals); 0 when the key is not a user's.
 */
static int
user_cmd(walk_t *w, const ukey_t *k, int script, const char *const *keys,
    int globals, char *name, int scanned, int failed)
{
    int  n;

    if (!user_item(w, k, name, scanned, failed)) {
        return 0;
    }
    for (n = 0; keys[n]; n++) {
        /* count them */
    }
    cb_evalsha(w->cb, script, n + !!(globals & GLOBAL_AUDIT)
                              + !!(globals & GLOBAL_INDEX));
    for (n = 0; keys[n]; n++) {
        cb_arg2(w->cb, k->key, k->plen, keys[n]);
    }
    if (globals & GLOBAL_AUDIT) {
        cb_str(w->cb, AUDIT_KEY);
    }
    if (globals & GLOBAL_INDEX) {
        cb_str(w->cb, CHANGED_KEY);
    }
    return 1;
}


/*
 * The arguments every script takes in this order: the key prefix of the
 * passkey hashes and the user; the shared ones then the actor, the
 * stream cap and the mode.
 */
static void
user_argv(walk_t *w, const ukey_t *k, item_t *it, const char *name,
    int shared)
{
    const conf_t  *cf = w->run->cf;

    cb_arg2(w->cb, k->key, k->plen, "cred:");
    it->tag = w->cb->nargs;
    cb_str(w->cb, name);
    if (shared) {
        cb_str(w->cb, cf->actor);
        cb_num(w->cb, cf->audit_maxlen);
        cb_str(w->cb, cf->dry_run ? "dry" : "apply");
    }
}


/* ---- rollback --------------------------------------------------------- */

enum {
    RB_SCANNED = 0, RB_UNCHANGED, RB_ROLLED_BACK, RB_AT_LKG, RB_NO_SNAPSHOT,
    RB_GONE, RB_FAILED, RB_RESTORED, RB_REMOVED, RB_SKIPPED, RB_N
};

static const char *const  rollback_names[] = {
    "users_scanned", "users_unchanged", "users_rolled_back", "users_at_lkg",
    "users_no_snapshot", "users_gone", "users_failed",
    "credentials_restored", "credentials_removed", "credentials_skipped"
};


/*
 * A user of the index changed before the time is counted, and nothing
 * more: its time in the index is its "changed".
 */
static int
rollback_key(walk_t *w, const ukey_t *k, item_t *it)
{
    static const char *const  keys[] = {
        "user", "creds", "lkg", "epoch", "events", NULL
    };
    const conf_t  *cf = w->run->cf;
    char           name[USER_MAX + 4];

    if (w->index && w->changed < w->since) {
        if (!user_item(w, k, name, RB_SCANNED, RB_FAILED)) {
            return 0;
        }
        w->run->count[RB_UNCHANGED]++;
        return 0;
    }
    if (!user_cmd(w, k, SCRIPT_ROLLBACK, keys, GLOBAL_AUDIT | GLOBAL_INDEX,
                  name, RB_SCANNED, RB_FAILED))
    {
        return 0;
    }
    cb_num(w->cb, cf->since);
    cb_str(w->cb, w->now);
    user_argv(w, k, it, name, 1);
    cb_num(w->cb, cf->since);
    cb_str(w->cb, cf->reason ? cf->reason : "");
    return 1;
}


static void
rollback_reply(walk_t *w, item_t *it, redisReply **rp)
{
    redisReply  *r = rp[0];
    uint64_t    *n = w->run->count;
    const char  *s = reply_str(r, 0);
    long long    restored, removed;

    if (strcmp(s, "ok") == 0 && r->elements >= 7) {
        restored = reply_int(r, 1);
        removed = reply_int(r, 2);
        n[RB_RESTORED] += restored;
        n[RB_REMOVED] += removed;
        n[RB_SKIPPED] += reply_int(r, 4);
        if (restored + removed > 0) {
            n[RB_ROLLED_BACK]++;
            item_verbose(w, it, w->run->cf->dry_run ? "would roll back"
                                                     : "rolled back");
        } else {
            n[RB_AT_LKG]++;
        }
    } else if (strcmp(s, "unchanged") == 0) {
        n[RB_UNCHANGED]++;
    } else if (strcmp(s, "no_snapshot") == 0) {
        n[RB_NO_SNAPSHOT]++;
        item_verbose(w, it, "no snapshot from before that time");
    } else if (strcmp(s, "user_unknown") == 0) {
        n[RB_GONE]++;
    } else {
        item_failed(w, it, r, RB_FAILED);
    }
}


/* ---- suspend ---------------------------------------------------------- */

enum {
    SU_SCANNED = 0, SU_SUSPENDED, SU_GONE, SU_FAILED, SU_CREDS, SU_N
};

static const char *const  suspend_names[] = {
    "users_scanned", "users_suspended", "users_gone", "users_failed",
    "credentials_suspended"
};


static int
suspend_key(walk_t *w, const ukey_t *k, item_t *it)
{
    static const char *const  keys[] = {
        "user", "creds", "epoch", "events", NULL
    };
    const conf_t  *cf = w->run->cf;
    char           name[USER_MAX + 4];

    if (!user_cmd(w, k, SCRIPT_SUSPEND, keys, GLOBAL_AUDIT | GLOBAL_INDEX,
                  name, SU_SCANNED, SU_FAILED))
    {
        return 0;
    }
    cb_num(w->cb, cf->since);
    cb_num(w->cb, cf->before);
    cb_str(w->cb, w->now);
    user_argv(w, k, it, name, 1);
    cb_str(w->cb, cf->reason ? cf->reason : "");
    return 1;
}


static void
suspend_reply(walk_t *w, item_t *it, redisReply **rp)
{
    redisReply  *r = rp[0];
    uint64_t    *n = w->run->count;
    const char  *s = reply_str(r, 0);
    long long    k;

    if (strcmp(s, "ok") == 0) {
        k = reply_int(r, 1);
        if (k > 0) {
            n[SU_SUSPENDED]++;
            n[SU_CREDS] += k;
            item_verbose(w, it, w->run->cf->dry_run ? "would suspend"
                                                     : "suspended");
        }
    } else if (strcmp(s, "user_unknown") == 0) {
        n[SU_GONE]++;
    } else {
        item_failed(w, it, r, SU_FAILED);
    }
}


/* ---- stats ------------------------------------------------------------ */

enum {
    ST_USERS = 0, ST_WITH_PASSKEYS, ST_LOCKED, ST_GRANT, ST_ACTIVE,
    ST_REVOKED, ST_SUSPENDED, ST_REMOVED, ST_OTHER, ST_AUDIT, ST_GONE,
    ST_FAILED, ST_N
};

static const char *const  stats_names[] = {
    "users", "users_with_passkeys", "users_locked", "users_with_grant",
    "credentials_active", "credentials_revoked", "credentials_suspended",
    "credentials_removed", "credentials_other", "audit_length",
    "users_gone", "users_failed"
};


/* the command of the export and stats scripts */
static int
read_item(walk_t *w, const ukey_t *k, item_t *it, int script,
    const char *const *keys, int scanned, int failed)
{
    char  name[USER_MAX + 4];

    if (!user_cmd(w, k, script, keys, 0, name, scanned, failed)) {
        return 0;
    }
    user_argv(w, k, it, name, 0);
    return 1;
}


static int
stats_key(walk_t *w, const ukey_t *k, item_t *it)
{
    static const char *const  keys[] = {
        "user", "creds", "all", "lock", "grant", NULL
    };

    return read_item(w, k, it, SCRIPT_STATS, keys, ST_USERS, ST_FAILED);
}


static void
stats_reply(walk_t *w, item_t *it, redisReply **rp)
{
    redisReply  *r = rp[0];
    size_t       i;

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
        w->run->count[ST_GONE]++;
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 8) {
        item_failed(w, it, r, ST_FAILED);
        return;
    }
    for (i = 0; i < 8; i++) {
        w->run->count[ST_WITH_PASSKEYS + i] += reply_int(r, i);
    }
}


static int
stats_audit(redisContext *c, run_t *run)
{
    redisReply  *r;

    r = redisCommand(c, "XLEN %s", AUDIT_KEY);
    if (r == NULL) {
        fprintf(stderr, "webauthn-admin: redis: %s\n", c->errstr);
        return -1;
    }
    if (r->type == REDIS_REPLY_INTEGER) {
        run->count[ST_AUDIT] = r->integer;
    } else {
        fprintf(stderr, "webauthn-admin: XLEN %s: %s\n", AUDIT_KEY,
                r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        run->count[ST_FAILED]++;
    }
    freeReplyObject(r);
    return 0;
}


/* ---- reindex ---------------------------------------------------------- */

enum {
    RI_SCANNED = 0, RI_INDEXED, RI_NEVER, RI_GONE, RI_FAILED, RI_N
};

static const char *const  reindex_names[] = {
    "users_scanned", "users_indexed", "users_never_changed", "users_gone",
    "users_failed"
};


static int
reindex_key(walk_t *w, const ukey_t *k, item_t *it)
{
    static const char *const  keys[] = { "user", NULL };
    char                      name[USER_MAX + 4];

    if (!user_cmd(w, k, SCRIPT_REINDEX, keys, GLOBAL_INDEX, name,
                  RI_SCANNED, RI_FAILED))
    {
        return 0;
    }
    user_argv(w, k, it, name, 0);
    return 1;
}


static void
reindex_reply(walk_t *w, item_t *it, redisReply **rp)
{
    redisReply  *r = rp[0];

    if (r->type != REDIS_REPLY_INTEGER || r->integer < -1 || r->integer > 1)
    {
        item_failed(w, it, r, RI_FAILED);
        return;
    }
    w->run->count[r->integer == 1 ? RI_INDEXED
                  : r->integer == 0 ? RI_NEVER : RI_GONE]++;
}


/*
 * Every user in the index: from now on the index is complete, and
 * rollback walks it.  Not when a user failed: that one would be missing.
 */
static int
reindex_mark(redisContext *c, run_t *run)
{
    redisReply  *r;
    char         now[24];
    int          rc = 0;

    if (!run->finished) {
        return 0;
    }
    if (run->count[RI_FAILED]) {
        fprintf(stderr, "webauthn-admin: some users failed: the index of "
                "changed users is not marked complete (%s)\n", CHANGED_MARK);
        return 0;
    }
    snprintf(now, sizeof(now), "%lld", (long long)
             (run->cf->now ? run->cf->now : time(NULL)));
    r = redisCommand(c, "SET %s %s", CHANGED_MARK, now);
    if (r == NULL) {
        fprintf(stderr, "webauthn-admin: redis: %s\n", c->errstr);
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "webauthn-admin: SET %s: %s\n", CHANGED_MARK, r->str);
        rc = -1;
    }
    freeReplyObject(r);
    return rc;
}


/*
 * What a rollback walks: the index of changed users when it is complete
 * (its mark is there), else every key of the store.  A resumed run goes
 * on with the walk of its state file.  --changed-since 0 means every user,
 * also those never changed, who are not in the index.
 */
static int
rollback_walk(redisContext *c, run_t *run)
{
    redisReply  *r;

    if (run->resumed) {
        return 0;
    }
    run->index = 0;
    if (run->cf->scan || run->cf->since == 0) {
        return 0;
    }
    r = redisCommand(c, "EXISTS %s", CHANGED_MARK);
    if (r == NULL) {
        fprintf(stderr, "webauthn-admin: redis: %s\n", c->errstr);
        return -1;
    }
    if (r->type == REDIS_REPLY_INTEGER) {
        run->index = r->integer == 1;
    }
    freeReplyObject(r);
    if (!run->index) {
        fprintf(stderr, "webauthn-admin: the index of changed users is not "
                "complete (no %s: see webauthn-admin reindex): every key "
                "is scanned\n", CHANGED_MARK);
    }
    return 0;
}


/* ---- the fields of the export format ---------------------------------- */

typedef enum {
    F_STRING,           /* user name */
    F_B64,              /* base64url; decoded length in [min, max] */
    F_INT,              /* integer in [min, max] */
    F_BOOL,             /* "0" / "1" */
    F_TRANSPORTS,       /* "usb,nfc" <-> ["usb","nfc"] */
    F_AAGUID,           /* UUID text */
    F_FMT,              /* an attestation format name */
    F_SKIP              /* handled by the caller */
} ftype_e;

typedef struct {
    const char  *name;
    ftype_e      type;
    int64_t      min;
    int64_t      max;
    const char  *dflt;          /* stored when absent ("now": the time) */
    unsigned     required:1;
    unsigned     omit:1;        /* export: absent in Redis, absent here */
} field_t;

/* the order of the export lines */
static const field_t  user_fields[] = {
    { "user", F_SKIP, 0, 0, NULL, 1, 0 },
    { "handle", F_B64, 1, WA_MAX_USER_HANDLE, NULL, 1, 0 },
    { "created", F_INT, 0, TIME_MAX, "now", 0, 0 },
    { "changed", F_INT, 0, TIME_MAX, "now", 0, 1 },
    { "ver", F_INT, 0, TIME_MAX, NULL, 0, 1 },
    { "snap", F_INT, 0, TIME_MAX, NULL, 0, 1 },
    { "credentials", F_SKIP, 0, 0, NULL, 1, 0 },
    { "snapshots", F_SKIP, 0, 0, NULL, 0, 0 },
    { NULL, F_SKIP, 0, 0, NULL, 0, 0 }
};

static const field_t  cred_fields[] = {
    { "id", F_SKIP, 0, 0, NULL, 1, 0 },
    { "active", F_SKIP, 0, 0, NULL, 0, 0 },
    { "pk", F_B64, 1, PK_MAX, NULL, 1, 0 },
    { "alg", F_INT, INT32_MIN, INT32_MAX, NULL, 1, 0 },
    { "count", F_INT, 0, UINT32_MAX, "0", 0, 0 },
    { "transports", F_TRANSPORTS, 0, 0, "", 0, 0 },
    { "aaguid", F_AAGUID, 0, 0, ZERO_AAGUID, 0, 0 },
    { "be", F_BOOL, 0, 0, "0", 0, 0 },
    { "bs", F_BOOL, 0, 0, "0", 0, 0 },
    { "uv", F_BOOL, 0, 0, "0", 0, 0 },
    { "fmt", F_FMT, 0, 0, "none", 0, 0 },
    { "created", F_INT, 0, TIME_MAX, "now", 0, 0 },
    { "used", F_INT, 0, TIME_MAX, "0", 0, 0 },
    { "revoked", F_INT, 0, TIME_MAX, NULL, 0, 1 },
    { "suspended", F_INT, 0, TIME_MAX, NULL, 0, 1 },
    { "removed", F_INT, 0, TIME_MAX, NULL, 0, 1 },
    { "probation", F_INT, 0, TIME_MAX, NULL, 0, 1 },
    { NULL, F_SKIP, 0, 0, NULL, 0, 0 }
};

static const field_t  snap_fields[] = {
    { "taken", F_INT, 0, TIME_MAX, NULL, 1, 0 },
    { "changed", F_INT, 0, TIME_MAX, NULL, 1, 0 },
    { "credentials", F_SKIP, 0, 0, NULL, 1, 0 },
    { NULL, F_SKIP, 0, 0, NULL, 0, 0 }
};

/* in the order the module writes them */
static const char *const  transport_names[] = {
    "ble", "hybrid", "internal", "nfc", "smart-card", "usb", NULL
};


static int
b64_len_ok(const char *s, size_t n, int64_t min, int64_t max)
{
    uint8_t  buf[PK_MAX + 4];
    size_t   len;

    if (n > (size_t) (max + 2) / 3 * 4 + 1
        || wa_b64url_decode(s, n, buf, &len) != WA_OK)
    {
        return 0;
    }
    return (int64_t) len >= min && (int64_t) len <= max;
}


static int
is_fmt(const char *s, size_t n)
{
    size_t  i;

    if (n == 0 || n > 32) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '-'))
        {
            return 0;
        }
    }
    return 1;
}


/* a UUID in its 36-character text form, written lowercase into out */
static int
aaguid_norm(const char *s, size_t n, char *out)
{
    size_t  i;
    char    ch;

    if (n != 36) {
        return 0;
    }
    for (i = 0; i < 36; i++) {
        ch = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-') {
                return 0;
            }
        } else if (ch >= 'A' && ch <= 'F') {
            ch = (char) (ch - 'A' + 'a');
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return 0;
        }
        out[i] = ch;
    }
    out[36] = '\0';
    return 1;
}


/* a JSON array of transport names, each once, as the stored list */
static int
transports_norm(json_t *a, char *out, size_t size)
{
    unsigned  bits = 0, bit;
    size_t    i, k, len = 0;
    json_t   *v;

    if (!json_is_array(a)) {
        return 0;
    }
    json_array_foreach(a, i, v) {
        for (k = 0; transport_names[k]; k++) {
            if (json_is_string(v)
                && strcmp(json_string_value(v), transport_names[k]) == 0)
            {
                break;
            }
        }
        bit = 1u << k;
        if (transport_names[k] == NULL || (bits & bit)) {
            return 0;
        }
        bits |= bit;
    }
    out[0] = '\0';
    for (k = 0; transport_names[k]; k++) {
        if (bits & (1u << k)) {
            len += snprintf(out + len, size - len, "%s%s", len ? "," : "",
                            transport_names[k]);
        }
    }
    return 1;
}


/*
 * Import: the JSON value v of field f as the string Redis stores, in out.
 * NULL when fine, else what is wrong with it.
 */
static const char *
field_to_store(const field_t *f, json_t *v, char *out, size_t size)
{
    const char  *s = json_string_value(v);
    size_t       n = json_is_string(v) ? json_string_length(v) : 0;
    json_int_t   i;

    switch (f->type) {
    case F_B64:
        if (s == NULL || !b64_len_ok(s, n, f->min, f->max)) {
            return "not base64url (unpadded, - and _) of the right length";
        }
        if (n >= size) {
            return "too long";
        }
        memcpy(out, s, n + 1);
        return NULL;
    case F_INT:
        if (!json_is_integer(v)) {
            return "not an integer";
        }
        i = json_integer_value(v);
        if (i < f->min || i > f->max) {
            return "out of range";
        }
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, i);
        return NULL;
    case F_BOOL:
        if (!json_is_boolean(v)) {
            return "not true or false";
        }
        strcpy(out, json_is_true(v) ? "1" : "0");
        return NULL;
    case F_TRANSPORTS:
        return transports_norm(v, out, size) ? NULL
               : "not an array of distinct transports (ble, hybrid, "
                 "internal, nfc, smart-card, usb)";
    case F_AAGUID:
        return s && aaguid_norm(s, n, out) ? NULL : "not a UUID";
    case F_FMT:
        if (s == NULL || !is_fmt(s, n)) {
            return "not an attestation format name";
        }
        memcpy(out, s, n + 1);
        return NULL;
    default:
        return "internal error";
    }
}


/* Export: the stored string s of field f as JSON; NULL when malformed */
static json_t *
field_from_store(const field_t *f, const char *s, size_t n)
{
    json_t     *a;
    long long   v;
    const char *comma;

    switch (f->type) {
    case F_INT:
        return parse_ll(s, n, f->min, f->max, &v) == 0 ? json_integer(v)
                                                         : NULL;
    case F_BOOL:
        return n == 1 && (s[0] == '0' || s[0] == '1')
               ? json_boolean(s[0] == '1') : NULL;
    case F_TRANSPORTS:
        a = json_array();
        while (n) {
            comma = memchr(s, ',', n);
            if (comma == NULL) {
                comma = s + n;
            }
            json_array_append_new(a, json_stringn(s, comma - s));
            n -= comma - s;
            s = comma;
            if (n) {
                s++;
                n--;
            }
        }
        return a;
    default:
        return json_stringn(s, n);
    }
}


/* only the members the format names */
static const char *
members_known(json_t *o, const field_t *fields)
{
    const char  *name;
    json_t      *v;
    size_t       k;

    json_object_foreach(o, name, v) {
        for (k = 0; fields[k].name; k++) {
            if (strcmp(name, fields[k].name) == 0) {
                break;
            }
        }
        if (fields[k].name == NULL) {
            return name;
        }
    }
    return NULL;
}


/* ---- export ----------------------------------------------------------- */

enum {
    EX_USERS = 0, EX_EXPORTED, EX_CREDS, EX_GONE, EX_FAILED, EX_N
};

static const char *const  export_names[] = {
    "users_scanned", "users_exported", "credentials_exported", "users_gone",
    "users_failed"
};


static int
export_key(walk_t *w, const ukey_t *k, item_t *it)
{
    static const char *const  keys[] = {
        "user", "creds", "all", "lkg", NULL
    };

    return read_item(w, k, it, SCRIPT_EXPORT, keys, EX_USERS, EX_FAILED);
}


/* the value of field name in an HGETALL reply */
static const redisReply *
hash_get(const redisReply *h, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < h->elements; i += 2) {
        if (strcmp(h->element[i]->str, name) == 0) {
            return h->element[i + 1];
        }
    }
    return NULL;
}


/* the fields of one hash into o, in the order of the format */
static const char *
export_fields(json_t *o, const field_t *fields, const redisReply *h)
{
    const redisReply  *v;
    const char        *s;
    json_t            *j;
    size_t             k;

    for (k = 0; fields[k].name; k++) {
        if (fields[k].type == F_SKIP) {
            continue;
        }
        v = hash_get(h, fields[k].name);
        if (v == NULL && (fields[k].omit || fields[k].dflt == NULL)) {
            if (fields[k].required) {
                return fields[k].name;
            }
            continue;
        }

        /* absent: the default of an import, 0 for "now" (unknown) */
        s = v ? v->str : strcmp(fields[k].dflt, "now") ? fields[k].dflt : "0";
        j = field_from_store(&fields[k], s, v ? v->len : strlen(s));
        if (j == NULL) {
            return fields[k].name;
        }
        json_object_set_new(o, fields[k].name, j);
    }
    return NULL;
}


/* "TAKEN CHANGED ID,ID" as a snapshot object */
static json_t *
export_snapshot(const char *s)
{
    long long    taken, changed;
    const char  *sp1, *sp2, *p, *comma;
    json_t      *o, *ids;

    sp1 = strchr(s, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp2 == NULL || strchr(sp2 + 1, ' ')
        || parse_ll(s, sp1 - s, 0, TIME_MAX, &taken) != 0
        || parse_ll(sp1 + 1, sp2 - sp1 - 1, 0, TIME_MAX, &changed) != 0)
    {
        return NULL;
    }
    ids = json_array();
    for (p = sp2 + 1; *p; p = *comma ? comma + 1 : comma) {
        comma = strchr(p, ',');
        if (comma == NULL) {
            comma = p + strlen(p);
        }
        json_array_append_new(ids, json_stringn(p, comma - p));
    }
    o = json_object();
    json_object_set_new(o, "taken", json_integer(taken));
    json_object_set_new(o, "changed", json_integer(changed));
    json_object_set_new(o, "credentials", ids);
    return o;
}


static int
cred_cmp(const void *a, const void *b)
{
    const redisReply  *x = *(redisReply *const *) a;
    const redisReply  *y = *(redisReply *const *) b;

    return strcmp(x->element[0]->str, y->element[0]->str);
}


/* the passkeys, sorted by id (byte order, whatever Redis' locale) */
static const char *
export_credentials(json_t *o, redisReply *list, uint64_t *ncreds)
{
    redisReply  *e;
    const char  *bad;
    json_t      *a, *c;
    size_t       i;

    for (i = 0; i < list->elements; i++) {
        e = list->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements != 3
            || e->element[0]->type != REDIS_REPLY_STRING)
        {
            return "credentials";
        }
    }
    qsort(list->element, list->elements, sizeof(redisReply *), cred_cmp);

    a = json_array();
    json_object_set_new(o, "credentials", a);
    for (i = 0; i < list->elements; i++) {
        e = list->element[i];
        if (e->element[2]->elements == 0) {
            continue;               /* an id with no passkey hash */
        }
        c = json_object();
        json_array_append_new(a, c);
        json_object_set_new(c, "id", json_string(e->element[0]->str));
        json_object_set_new(c, "active",
                            json_boolean(e->element[1]->integer == 1));
        bad = export_fields(c, cred_fields, e->element[2]);
        if (bad) {
            return bad;
        }
        (*ncreds)++;
    }
    return NULL;
}


/* one user's line from the export script's reply; NULL: *why says */
static json_t *
export_user(const char *name, size_t nlen, redisReply *r, uint64_t *ncreds,
    const char **why)
{
    json_t  *o, *a, *s;
    size_t   i;

    o = json_object();
    s = json_stringn(name, nlen);
    if (s == NULL) {
        *why = "the user name is not UTF-8 text";
        goto fail;
    }
    json_object_set_new(o, "user", s);
    *why = export_fields(o, user_fields, r->element[0]);
    if (*why == NULL) {
        *why = export_credentials(o, r->element[1], ncreds);
    }
    if (*why) {
        goto fail;
    }
    a = json_array();
    json_object_set_new(o, "snapshots", a);
    for (i = 0; i < r->element[2]->elements; i++) {
        s = export_snapshot(r->element[2]->element[i]->str);
        if (s == NULL) {
            *why = "snapshots";
            goto fail;
        }
        json_array_append_new(a, s);
    }
    return o;

fail:

    json_decref(o);
    return NULL;
}


static void
export_reply(walk_t *w, item_t *it, redisReply **rp)
{
    redisReply  *r = rp[0];
    const char  *name, *why = NULL;
    char        *line;
    size_t       n;
    json_t      *o;

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
        w->run->count[EX_GONE]++;
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
        item_failed(w, it, r, EX_FAILED);
        return;
    }
    name = item_user(w, it, &n);
    o = export_user(name, n, r, &w->run->count[EX_CREDS], &why);
    line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (line == NULL) {
        fprintf(stderr, "webauthn-admin: user %.*s: %s%s\n", (int) n, name,
                why ? "malformed field " : "", why ? why : "out of memory");
        w->run->count[EX_FAILED]++;
        return;
    }
    fprintf(w->data, "%s\n", line);
    free(line);
    w->run->count[EX_EXPORTED]++;
}


static int
cmd_export(run_t *run, walk_t *w)
{
    FILE  *out = stdout;
    int    rc;

    if (run->cf->output && (out = fopen(run->cf->output, "w")) == NULL) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", run->cf->output,
                strerror(errno));
        return EXIT_USAGE;
    }
    w->key = export_key;
    w->reply = export_reply;
    w->data = out;
    rc = walk(w);
    if ((fflush(out) != 0 || ferror(out)) && rc == 0) {
        fprintf(stderr, "webauthn-admin: writing the export: %s\n",
                strerror(errno));
        rc = -1;
    }
    if (out != stdout) {
        fclose(out);
    }
    return rc;
}


/* ---- import ----------------------------------------------------------- */

enum {
    IM_LINES = 0, IM_IMPORTED, IM_CREDS, IM_REFUSED, IM_N
};

static const char *const  import_names[] = {
    "lines_read", "users_imported", "credentials_imported", "lines_refused"
};


/* a name of the line that no other line of the file may use */
typedef struct {
    char         tag;           /* 'u' user, 'h' handle, 'c' passkey id */
    const char  *s;
    size_t       n;
    uint64_t     h;
} taken_t;

typedef struct {
    json_t      *o;
    uint32_t     line;
} im_item_t;

typedef struct {
    run_t       *run;
    cmdbuf_t     cb;
    seen_t       file;          /* the names of the file so far: line */
    seen_t       line;          /* the names of this line */
    seen_t       snap;          /* the ids of one snapshot */
    taken_t     *taken;
    size_t       ntaken;
    size_t       cap_taken;
    im_item_t   *items;
    size_t       nitems;
    size_t       cap_items;
    char         why[600];
    char         now[24];
} import_t;


static int
import_fail(import_t *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
import_fail(import_t *im, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(im->why, sizeof(im->why), fmt, ap);
    va_end(ap);
    return -1;
}


static const char *
taken_what(char tag)
{
    return tag == 'u' ? "user" : tag == 'h' ? "handle" : "credential id";
}


/* a name of the line, once in it; the file is checked when the line is
 * whole */
static int
import_take(import_t *im, char tag, const char *s, size_t n)
{
    taken_t  *t;
    uint64_t  h = seen_hash(tag, s, n);

    if (!seen_add(&im->line, h, 0, NULL)) {
        return import_fail(im, "%s %.*s twice in the line", taken_what(tag),
                           (int) n, s);
    }
    grow(&im->taken, &im->cap_taken, im->ntaken + 1, sizeof(taken_t));
    t = &im->taken[im->ntaken++];
    t->tag = tag;
    t->s = s;
    t->n = n;
    t->h = h;
    return 0;
}


/* the field/value pairs of one object as triples "tag field value" */
static int
import_fields(import_t *im, json_t *o, const field_t *fields, const char *tag,
    const char *where)
{
    char         val[PK_MAX * 2];
    const char  *bad, *dflt;
    json_t      *v;
    size_t       k;

    for (k = 0; fields[k].name; k++) {
        if (fields[k].type == F_SKIP) {
            continue;
        }
        v = json_object_get(o, fields[k].name);
        if (v == NULL) {
            if (fields[k].required) {
                return import_fail(im, "%s%s is missing", where,
                                   fields[k].name);
            }
            dflt = fields[k].dflt;
            if (dflt == NULL) {
                continue;
            }
            snprintf(val, sizeof(val), "%s",
                     strcmp(dflt, "now") ? dflt : im->now);
        } else {
            bad = field_to_store(&fields[k], v, val, sizeof(val));
            if (bad) {
                return import_fail(im, "%s%s: %s", where, fields[k].name,
                                   bad);
            }
        }
        cb_str(&im->cb, tag);
        cb_str(&im->cb, fields[k].name);
        cb_str(&im->cb, val);
    }
    return 0;
}


/* a credential id (a string of base64url) of 1 to 1023 bytes */
static const char *
cred_id(json_t *v, size_t *n)
{
    const char  *id = json_string_value(v);

    *n = id ? json_string_length(v) : 0;
    return id && b64_len_ok(id, *n, 1, WA_MAX_CREDENTIAL_ID) ? id : NULL;
}


static int
import_credential(import_t *im, json_t *c, size_t i)
{
    char         where[64];
    const char  *bad, *id;
    json_t      *active;
    size_t       n;

    snprintf(where, sizeof(where), "credentials[%zu].", i);
    if (!json_is_object(c)) {
        return import_fail(im, "credentials[%zu]: not an object", i);
    }
    bad = members_known(c, cred_fields);
    if (bad) {
        return import_fail(im, "credentials[%zu]: unknown member \"%s\"", i,
                           bad);
    }
    id = cred_id(json_object_get(c, "id"), &n);
    if (id == NULL) {
        return import_fail(im, "%sid: missing, or not base64url (unpadded, "
                           "- and _) of 1 to %d bytes", where,
                           WA_MAX_CREDENTIAL_ID);
    }
    if (import_take(im, 'c', id, n) != 0) {
        return -1;
    }
    active = json_object_get(c, "active");
    if (active && !json_is_boolean(active)) {
        return import_fail(im, "%sactive: not true or false", where);
    }
    if (!json_is_false(active) && json_object_get(c, "revoked")) {
        return import_fail(im, "%sactive: a revoked credential is never "
                           "active", where);
    }
    cb_str(&im->cb, "C");
    cb_str(&im->cb, id);
    cb_str(&im->cb, json_is_false(active) ? "0" : "1");
    return import_fields(im, c, cred_fields, "F", where);
}


/* one snapshot as the module stores it: "TAKEN CHANGED ID,ID" */
static int
import_snapshot(import_t *im, json_t *s, size_t i)
{
    char         num[2][24];
    const char  *bad, *id;
    json_t      *ids, *v;
    size_t       k, n;

    if (!json_is_object(s)) {
        return import_fail(im, "snapshots[%zu]: not an object", i);
    }
    bad = members_known(s, snap_fields);
    if (bad) {
        return import_fail(im, "snapshots[%zu]: unknown member \"%s\"", i,
                           bad);
    }
    for (k = 0; k < 2; k++) {
        v = json_object_get(s, snap_fields[k].name);
        bad = v ? field_to_store(&snap_fields[k], v, num[k], sizeof(num[k]))
                : "missing";
        if (bad) {
            return import_fail(im, "snapshots[%zu].%s: %s", i,
                               snap_fields[k].name, bad);
        }
    }
    ids = json_object_get(s, "credentials");
    if (!json_is_array(ids)) {
        return import_fail(im, "snapshots[%zu].credentials: missing or not "
                           "an array", i);
    }

    /* one argument: the ids joined by commas */
    cb_str(&im->cb, "S");
    cb_str(&im->cb, num[0]);
    cb_cat(&im->cb, " ", 1);
    cb_cat(&im->cb, num[1], strlen(num[1]));
    cb_cat(&im->cb, " ", 1);
    seen_clear(&im->snap);
    json_array_foreach(ids, k, v) {
        id = cred_id(v, &n);
        if (id == NULL || !seen_add(&im->snap, seen_hash('s', id, n), 0, NULL))
        {
            return import_fail(im, "snapshots[%zu].credentials[%zu]: %s", i,
                               k, id ? "twice in the snapshot"
                                     : "not a credential id");
        }
        if (k) {
            cb_cat(&im->cb, ",", 1);
        }
        cb_cat(&im->cb, id, n);
    }
    cb_str(&im->cb, "");
    return 0;
}


/* no control characters: the admin API refuses such names too (jansson
 * has made sure of UTF-8) */
static int
printable(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }
    return 1;
}


/* the JSON object of one line as an IMPORT command; -1: im->why says */
static int
import_user(import_t *im, json_t *o)
{
    const conf_t  *cf = im->run->cf;
    const char    *bad, *user, *handle;
    char           U[(USER_MAX + 2) / 3 * 4 + 2], prefix[sizeof(U) + 16];
    size_t         n, ulen, k;
    json_t        *v;

    if (!json_is_object(o)) {
        return import_fail(im, "not a JSON object");
    }
    bad = members_known(o, user_fields);
    if (bad) {
        return import_fail(im, "unknown member \"%s\"", bad);
    }
    v = json_object_get(o, "user");
    user = json_string_value(v);
    ulen = user ? json_string_length(v) : 0;
    if (user == NULL || ulen == 0 || ulen > USER_MAX
        || !printable(user, ulen))
    {
        return import_fail(im, "user: missing, or not printable text of 1 "
                           "to %d bytes", USER_MAX);
    }
    handle = json_string_value(json_object_get(o, "handle"));
    if (handle == NULL) {
        return import_fail(im, "handle: missing or not a string");
    }
    if (import_take(im, 'u', user, ulen) != 0
        || import_take(im, 'h', handle, strlen(handle)) != 0)
    {
        return -1;
    }

    wa_b64url_encode((const uint8_t *) user, ulen, U);
    n = (size_t) snprintf(prefix, sizeof(prefix), "wa:{u:%s}:", U);
    cb_evalsha(&im->cb, SCRIPT_IMPORT, 9);
    cb_arg2(&im->cb, prefix, n, "user");
    cb_arg2(&im->cb, prefix, n, "creds");
    cb_arg2(&im->cb, prefix, n, "all");
    cb_arg2(&im->cb, prefix, n, "lkg");
    cb_arg2(&im->cb, prefix, n, "events");
    cb_str(&im->cb, AUDIT_KEY);
    cb_arg2(&im->cb, "wa:{h:", 6, handle);
    cb_cat(&im->cb, "}", 1);
    cb_arg2(&im->cb, prefix, n, "epoch");
    cb_str(&im->cb, CHANGED_KEY);
    cb_arg(&im->cb, user, ulen);
    cb_str(&im->cb, cf->dry_run ? "dry" : "apply");
    cb_arg2(&im->cb, prefix, n, "cred:");
    cb_str(&im->cb, cf->actor);
    cb_num(&im->cb, cf->audit_maxlen);
    cb_str(&im->cb, im->now);

    if (import_fields(im, o, user_fields, "U", "") != 0) {
        return -1;
    }
    v = json_object_get(o, "credentials");
    if (!json_is_array(v)) {
        return import_fail(im, "credentials: missing or not an array");
    }
    for (k = 0; k < json_array_size(v); k++) {
        if (import_credential(im, json_array_get(v, k), k) != 0) {
            return -1;
        }
    }
    v = json_object_get(o, "snapshots");
    if (v && (!json_is_array(v) || json_array_size(v) > WA_STORE_LKG_KEPT)) {
        return import_fail(im, "snapshots: not an array of at most %d",
                           WA_STORE_LKG_KEPT);
    }
    for (k = 0; v && k < json_array_size(v); k++) {
        if (import_snapshot(im, json_array_get(v, k), k) != 0) {
            return -1;
        }
    }
    return 0;
}


/*
 * No two lines of one file may name the same user, handle or passkey:
 * Redis would refuse the second line anyway, but a dry run writes nothing
 * and could not tell.
 */
static int
import_unique(import_t *im, uint32_t line)
{
    uint32_t  other;
    size_t    i;

    for (i = 0; i < im->ntaken; i++) {
        if (seen_find(&im->file, im->taken[i].h, &other)) {
            return import_fail(im, "%s %.*s is also on line %" PRIu32,
                               taken_what(im->taken[i].tag),
                               (int) im->taken[i].n, im->taken[i].s, other);
        }
    }
    for (i = 0; i < im->ntaken; i++) {
        seen_add(&im->file, im->taken[i].h, line, NULL);
    }
    return 0;
}


/* one line, at most max bytes kept: 1, 0 at the end, -1 too long */
static int
read_line(FILE *f, char *buf, size_t max, size_t *len)
{
    size_t  n = 0;
    int     c, over = 0;

    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (n < max) {
            buf[n++] = (char) c;
        } else {
            over = 1;
        }
    }
    if (c == EOF && n == 0) {
        return 0;
    }
    *len = n;
    return over ? -1 : 1;
}


static void
import_refuse(import_t *im, uint32_t line)
{
    fprintf(stderr, "webauthn-admin: line %" PRIu32 ": %s\n", line, im->why);
    im->run->count[IM_REFUSED]++;
}


/* one line into the batch, or refused */
static void
import_line(import_t *im, const char *buf, size_t len, uint32_t line)
{
    json_error_t   err;
    json_t        *o;
    cbmark_t       m;

    im->run->count[IM_LINES]++;
    im->run->done++;
    if (len == 0) {
        return;
    }
    o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (o == NULL) {
        import_fail(im, "not JSON: %s (column %d)", err.text, err.column);
        import_refuse(im, line);
        return;
    }
    m = cb_mark(&im->cb);
    im->ntaken = 0;
    seen_clear(&im->line);
    if (import_user(im, o) != 0 || import_unique(im, line) != 0) {
        cb_rewind(&im->cb, m);
        json_decref(o);
        import_refuse(im, line);
        return;
    }
    grow(&im->items, &im->cap_items, im->nitems + 1, sizeof(im_item_t));
    im->items[im->nitems].o = o;
    im->items[im->nitems].line = line;
    im->nitems++;
}


static void
import_reply(import_t *im, im_item_t *it, redisReply *r)
{
    const char  *s = reply_str(r, 0), *user;

    user = json_string_value(json_object_get(it->o, "user"));
    if (strcmp(s, "ok") == 0) {
        im->run->count[IM_IMPORTED]++;
        im->run->count[IM_CREDS] += reply_int(r, 1);
        if (im->run->cf->verbose) {
            fprintf(stderr, "webauthn-admin: line %" PRIu32 ": user %s %s\n",
                    it->line, user, im->run->cf->dry_run ? "would be imported"
                                                        : "imported");
        }
        return;
    }
    if (strcmp(s, "user_exists") == 0) {
        import_fail(im, "user %s already exists", user);
    } else if (strcmp(s, "handle_claimed") == 0) {
        import_fail(im, "handle %s belongs to another user",
                    json_string_value(json_object_get(it->o, "handle")));
    } else if (strcmp(s, "credential_claimed") == 0) {
        import_fail(im, "credential id %s belongs to another user",
                    reply_str(r, 1));
    } else {
        import_fail(im, "redis: %s", r->type == REDIS_REPLY_ERROR ? r->str
                                                                  : "?");
    }
    import_refuse(im, it->line);
}


static int
import_batch(redisContext *c, import_t *im, redisReply ***r, size_t *cap_r)
{
    size_t  i;
    int     rc = 0;

    if (im->nitems) {
        grow(r, cap_r, im->cb.ncmds, sizeof(redisReply *));
        rc = exchange(c, &im->cb, *r);
    }
    for (i = 0; i < im->nitems; i++) {
        if (rc == 0) {
            import_reply(im, &im->items[i], (*r)[i]);
        }
        json_decref(im->items[i].o);
    }
    if (rc == 0) {
        free_replies(*r, im->cb.ncmds);
    }
    im->nitems = 0;
    cb_reset(&im->cb);
    return rc;
}


static int
cmd_import(redisContext *c, run_t *run)
{
    import_t      im;
    FILE         *f = stdin;
    char         *buf;
    size_t        len, cap_r = 0;
    uint32_t      line = 0;
    redisReply  **r = NULL;
    int           rc = 0, got;

    if (run->cf->input && (f = fopen(run->cf->input, "r")) == NULL) {
        fprintf(stderr, "webauthn-admin: %s: %s\n", run->cf->input,
                strerror(errno));
        return EXIT_USAGE;
    }
    buf = malloc(LINE_MAX_BYTES);
    if (buf == NULL) {
        die_oom();
    }
    memset(&im, 0, sizeof(im));
    im.run = run;
    snprintf(im.now, sizeof(im.now), "%lld", (long long)
             (run->cf->now ? run->cf->now : time(NULL)));

    while (rc == 0) {
        got = read_line(f, buf, LINE_MAX_BYTES, &len);
        if (got == 0) {
            break;
        }
        line++;
        if (got < 0) {
            run->count[IM_LINES]++;
            import_fail(&im, "longer than %d bytes", LINE_MAX_BYTES);
            import_refuse(&im, line);
        } else {
            import_line(&im, buf, len, line);
        }
        if (im.nitems == (size_t) run->cf->batch) {
            rc = import_batch(c, &im, &r, &cap_r);
            run_progress(run, 0);
            if (stop_signal) {
                run->interrupted = 1;
                break;
            }
        }
    }
    if (rc == 0) {
        rc = import_batch(c, &im, &r, &cap_r);
        run->finished = !run->interrupted;
    }
    if (ferror(f)) {
        fprintf(stderr, "webauthn-admin: reading the input: %s\n",
                strerror(errno));
        rc = -1;
    }
    if (f != stdin) {
        fclose(f);
    }
    free(buf);
    free(r);
    free(im.taken);
    free(im.items);
    seen_free(&im.file);
    seen_free(&im.line);
    seen_free(&im.snap);
    cb_free(&im.cb);
    return rc;
}


/* ---- the commands ----------------------------------------------------- */

static int
cmd_walk_state(run_t *run, walk_t *w)
{
    int  rc;

    rc = state_load(run, &w->cursor);
    if (rc != 0) {
        return rc;
    }
    if (run->cmd == CMD_ROLLBACK && rollback_walk(w->c, run) != 0) {
        return -1;
    }
    w->index = run->index;
    w->since = run->cf->since;
    if (run->finished) {
        fprintf(stderr, "webauthn-admin: the run of state file %s is "
                "finished; remove the file to run again\n", run->cf->state);
        return 0;
    }
    return walk(w) == 0 ? 0 : -1;
}


static int
cmd_run(redisContext *c, run_t *run)
{
    walk_t  w;
    int     rc;

    memset(&w, 0, sizeof(w));
    w.c = c;
    w.run = run;
    w.match = USER_MATCH;

    switch (run->cmd) {
    case CMD_ROLLBACK:
        w.key = rollback_key;
        w.reply = rollback_reply;
        rc = cmd_walk_state(run, &w);
        break;
    case CMD_SUSPEND:
        w.key = suspend_key;
        w.reply = suspend_reply;
        rc = cmd_walk_state(run, &w);
        break;
    case CMD_STATS:
        w.key = stats_key;
        w.reply = stats_reply;
        rc = walk(&w);
        if (rc == 0 && !run->interrupted) {
            rc = stats_audit(c, run);
        }
        break;
    case CMD_EXPORT:
        rc = cmd_export(run, &w);
        break;
    case CMD_REINDEX:
        w.key = reindex_key;
        w.reply = reindex_reply;
        rc = cmd_walk_state(run, &w);
        if (rc == 0) {
            rc = reindex_mark(c, run);
        }
        break;
    default:
        rc = cmd_import(c, run);
        break;
    }
    walk_free(&w);
    return rc;
}


static void
run_init(run_t *run, const conf_t *cf)
{
    static const struct {
        const char *const  *names;
        size_t              n;
        int                 failed;
    } cmds[] = {
        { rollback_names, RB_N, RB_FAILED },
        { suspend_names, SU_N, SU_FAILED },
        { export_names, EX_N, EX_FAILED },
        { import_names, IM_N, IM_REFUSED },
        { stats_names, ST_N, ST_FAILED },
        { reindex_names, RI_N, RI_FAILED },
    };

    memset(run, 0, sizeof(*run));
    run->cmd = cf->cmd;
    run->cf = cf;
    run->names = cmds[cf->cmd].names;
    run->n = cmds[cf->cmd].n;
    run->failed = cmds[cf->cmd].failed;
    run->start = now_mono();
    run->last_progress = run->start;

    /* what a state file must match: the times are already unix seconds */
    if (cf->cmd == CMD_ROLLBACK) {
        snprintf(run->args, sizeof(run->args),
                 "changed-since=%" PRId64 " dry-run=%d db=%ld", cf->since,
                 cf->dry_run, cf->db);
    } else if (cf->cmd == CMD_REINDEX) {
        snprintf(run->args, sizeof(run->args), "db=%ld", cf->db);
    } else {
        snprintf(run->args, sizeof(run->args), "registered-since=%" PRId64
                 " registered-before=%" PRId64 " dry-run=%d db=%ld",
                 cf->since, cf->before, cf->dry_run, cf->db);
    }
}


/* ---- options ---------------------------------------------------------- */

enum {
    O_REDIS = 256, O_DB, O_PASSWORD_FILE, O_ACTOR, O_REASON, O_AUDIT_MAXLEN,
    O_NOW,
    O_PROGRESS, O_VERBOSE, O_HELP, O_CHANGED_SINCE, O_REG_SINCE,
    O_REG_BEFORE, O_DRY_RUN, O_STATE, O_BATCH, O_OUTPUT, O_INPUT, O_SCAN,
    O_END
};

#define OPT(o)  (1u << ((o) - O_CHANGED_SINCE))

/* the options of each command, beyond the global ones */
static const unsigned  cmd_options[] = {
    OPT(O_CHANGED_SINCE) | OPT(O_DRY_RUN) | OPT(O_STATE) | OPT(O_BATCH)
        | OPT(O_SCAN),
    OPT(O_REG_SINCE) | OPT(O_REG_BEFORE) | OPT(O_DRY_RUN) | OPT(O_STATE)
        | OPT(O_BATCH),
    OPT(O_OUTPUT) | OPT(O_BATCH),
    OPT(O_INPUT) | OPT(O_DRY_RUN) | OPT(O_BATCH),
    OPT(O_BATCH),
    OPT(O_STATE) | OPT(O_BATCH)
};

static const struct option  longopts[] = {
    { "redis", required_argument, NULL, O_REDIS },
    { "db", required_argument, NULL, O_DB },
    { "password-file", required_argument, NULL, O_PASSWORD_FILE },
    { "actor", required_argument, NULL, O_ACTOR },
    { "reason", required_argument, NULL, O_REASON },
    { "audit-maxlen", required_argument, NULL, O_AUDIT_MAXLEN },
    { "now", required_argument, NULL, O_NOW },
    { "progress", no_argument, NULL, O_PROGRESS },
    { "verbose", no_argument, NULL, O_VERBOSE },
    { "help", no_argument, NULL, O_HELP },
    { "changed-since", required_argument, NULL, O_CHANGED_SINCE },
    { "registered-since", required_argument, NULL, O_REG_SINCE },
    { "registered-before", required_argument, NULL, O_REG_BEFORE },
    { "dry-run", no_argument, NULL, O_DRY_RUN },
    { "state", required_argument, NULL, O_STATE },
    { "batch", required_argument, NULL, O_BATCH },
    { "output", required_argument, NULL, O_OUTPUT },
    { "input", required_argument, NULL, O_INPUT },
    { "scan", no_argument, NULL, O_SCAN },
    { NULL, 0, NULL, 0 }
};


static const char *
opt_name(int opt)
{
    size_t  i;

    for (i = 0; longopts[i].name; i++) {
        if (longopts[i].val == opt) {
            return longopts[i].name;
        }
    }
    return "?";
}


static int
opt_time(const char *arg, int opt, int64_t *out)
{
    if (parse_time(arg, out) != 0) {
        return fail_usage("--%s: \"%s\" is not a TIME: unix seconds or "
                          "YYYY-MM-DDTHH:MM:SSZ (UTC)", opt_name(opt), arg);
    }
    return 0;
}


static int
opt_long(const char *arg, int opt, long long lo, long long hi, long long *out)
{
    if (parse_ll(arg, strlen(arg), lo, hi, out) != 0) {
        return fail_usage("--%s: an integer from %lld to %lld", opt_name(opt),
                          lo, hi);
    }
    return 0;
}


/* one option into cf; *seen collects the command options given */
static int
parse_option(conf_t *cf, int opt, const char *arg, unsigned *seen)
{
    long long  v;
    int        rc = 0;

    if (opt >= O_CHANGED_SINCE && opt < O_END) {
        *seen |= OPT(opt);
    }
    switch (opt) {
    case O_REDIS:         cf->redis = arg; break;
    case O_PASSWORD_FILE: cf->password_file = arg; break;
    case O_ACTOR:         cf->actor = arg; break;
    case O_REASON:        cf->reason = arg; break;
    case O_PROGRESS:      cf->progress = 1; break;
    case O_VERBOSE:       cf->verbose = 1; break;
    case O_DRY_RUN:       cf->dry_run = 1; break;
    case O_SCAN:          cf->scan = 1; break;
    case O_STATE:         cf->state = arg; break;
    case O_OUTPUT:        cf->output = arg; break;
    case O_INPUT:         cf->input = arg; break;
    case O_NOW:           rc = opt_time(arg, opt, &cf->now); break;
    case O_CHANGED_SINCE:
    case O_REG_SINCE:     rc = opt_time(arg, opt, &cf->since); break;
    case O_REG_BEFORE:    rc = opt_time(arg, opt, &cf->before); break;
    case O_DB:
        rc = opt_long(arg, opt, 0, INT_MAX, &v);
        cf->db = (long) v;
        break;
    case O_AUDIT_MAXLEN:
        rc = opt_long(arg, opt, 1, LLONG_MAX, &v);
        cf->audit_maxlen = v;
        break;
    case O_BATCH:
        rc = opt_long(arg, opt, 1, BATCH_MAX, &v);
        cf->batch = (long) v;
        break;
    default:
        rc = EXIT_USAGE;
    }
    return rc;
}


static int
parse_command(conf_t *cf, const char *name, unsigned seen)
{
    size_t    i;
    unsigned  bad;

    for (i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++) {
        if (strcmp(name, cmd_names[i]) == 0) {
            break;
        }
    }
    if (i == sizeof(cmd_names) / sizeof(cmd_names[0])) {
        return fail_usage("unknown command \"%s\"", name);
    }
    cf->cmd = (cmd_e) i;
    bad = seen & ~cmd_options[i];
    if (bad) {
        for (i = O_CHANGED_SINCE; !(bad & OPT(i)); i++) {
            /* the first one */
        }
        return fail_usage("--%s is not an option of %s", opt_name((int) i),
                          name);
    }
    if (cf->cmd == CMD_ROLLBACK && !(seen & OPT(O_CHANGED_SINCE))) {
        return fail_usage("rollback needs --changed-since TIME");
    }
    if (cf->cmd == CMD_SUSPEND && !(seen & OPT(O_REG_SINCE))) {
        return fail_usage("suspend needs --registered-since TIME");
    }
    if (cf->cmd == CMD_SUSPEND && cf->before <= cf->since) {
        return fail_usage("--registered-before must come after "
                          "--registered-since");
    }
    return 0;
}


static int
parse_args(conf_t *cf, int argc, char **argv, char *actor, size_t size)
{
    struct passwd  *pw;
    const char     *user;
    unsigned        seen = 0;
    int             opt, rc;

    cf->redis = "127.0.0.1:6379";
    cf->audit_maxlen = AUDIT_MAXLEN;
    cf->batch = BATCH_DEFAULT;
    cf->before = TIME_MAX + 1;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        if (opt == O_HELP) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (opt == ':') {
            return fail_usage("option %s needs a value", argv[optind - 1]);
        }
        if (opt == '?') {
            return fail_usage("unknown option %s", argv[optind - 1]);
        }
        rc = parse_option(cf, opt, optarg, &seen);
        if (rc != 0) {
            return rc;
        }
    }
    if (optind != argc - 1) {
        return fail_usage(optind == argc ? "a COMMAND is needed"
                                         : "one COMMAND only");
    }
    if (cf->actor == NULL) {
        user = getenv("USER");
        if (user == NULL || *user == '\0') {
            pw = getpwuid(getuid());
            user = pw ? pw->pw_name : "unknown";
        }
        snprintf(actor, size, "cli:%s", user);
        cf->actor = actor;
    }
    if (*cf->actor == '\0') {
        return fail_usage("--actor: a name is needed");
    }
    if (cf->reason && strlen(cf->reason) > 256) {
        return fail_usage("--reason: at most 256 bytes");
    }
    if (isatty(STDERR_FILENO)) {
        cf->progress = 1;
    }
    return parse_command(cf, argv[optind], seen);
}


static int
load_scripts(redisContext *c, cmd_e cmd)
{
    static const int  need[] = {
        SCRIPT_ROLLBACK, SCRIPT_SUSPEND, SCRIPT_EXPORT, SCRIPT_IMPORT,
        SCRIPT_STATS, SCRIPT_REINDEX
    };

    return script_load(c, &scripts[need[cmd]]);
}


int
main(int argc, char **argv)
{
    struct sigaction   sa;
    redisContext      *c;
    conf_t             cf;
    run_t              run;
    char               actor[300];
    int                rc;

    memset(&cf, 0, sizeof(cf));
    rc = parse_args(&cf, argc, argv, actor, sizeof(actor));
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }

    c = store_connect(&cf);
    if (c == NULL) {
        return EXIT_USAGE;
    }
    if (load_scripts(c, cf.cmd) != 0) {
        redisFree(c);
        return EXIT_USAGE;
    }

    /* a signal ends the run after the batch under way, state saved */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    run_init(&run, &cf);
    rc = cmd_run(c, &run);
    redisFree(c);
    if (rc > 0) {
        return rc;
    }
    if ((stop_signal || rc < 0) && !run.finished) {
        run.interrupted = 1;
    }
    run_progress(&run, 1);
    run_summary(&run, cf.cmd == CMD_EXPORT && cf.output == NULL ? stderr
                                                                 : stdout);
    return rc < 0 ? EXIT_USAGE : run_status(&run);
}
