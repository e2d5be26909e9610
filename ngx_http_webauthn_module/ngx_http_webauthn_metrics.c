
/*
 * Metrics: counters in the webauthn_zone, shown by "webauthn_endpoint
 * metrics" in the Prometheus text exposition format (version 0.0.4).
 *
 * The request path takes no lock.  A counter is a slot of an open
 * addressing table in shared memory: its key packs the metric and the
 * indexes of its label values into 64 bits, claimed once with a
 * compare-and-swap and counted with an atomic add ever after.  A series
 * exists once it has been counted, so the table holds what traffic
 * produced, not every combination of labels.  When the table is full (or
 * a probe runs too long) the count goes to webauthn_metrics_dropped_total
 * instead of being lost silently.
 *
 * Label values are bounded by construction: every label is an index in a
 * fixed table (reasons, platforms), or in the authenticator names the
 * operator listed (webauthn_aaguid_names), copied into the zone so that
 * they keep their meaning across a reload that changes the file.
 *
 * Histograms (store latency, client-side elapsed time) and the store's
 * per-worker state are small fixed arrays in the zone's head.
 *
 * The zone is kept across reloads (its head is found again by
 * ngx_http_webauthn_metrics_init_zone()), so counters only start again
 * at zero when nginx restarts; webauthn_metrics_start_time_seconds says
 * when.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_webauthn_module.h"


/* a series' key is 64 bits, claimed and counted with ngx_atomic_t */
#if (NGX_PTR_SIZE < 8)
#error "ngx_http_webauthn_module needs a 64-bit platform (64-bit atomics)"
#endif


/* the layout of the zone's head; a zone of another layout is not used */
#define NGX_HTTP_WEBAUTHN_METRICS_MAGIC   0x7761536d65747231ULL

/* probes of the series table before a count is dropped */
#define NGX_HTTP_WEBAUTHN_PROBES          64

/* the share of the zone given to the series table */
#define NGX_HTTP_WEBAUTHN_SERIES_SHARE    2

#define NGX_HTTP_WEBAUTHN_WORKERS_MAX     64

/* webauthn_aaguid_names: the file, a name, distinct names */
#define NGX_HTTP_WEBAUTHN_AAGUID_FILE_MAX  (4 * 1024 * 1024)
#define NGX_HTTP_WEBAUTHN_NAME_MAX        64
#define NGX_HTTP_WEBAUTHN_NAMES_MAX       1000


/* the metrics (a key's top byte); 0 is an empty slot */
#define NGX_HTTP_WEBAUTHN_M_CEREMONIES    1
#define NGX_HTTP_WEBAUTHN_M_STARTED       2
#define NGX_HTTP_WEBAUTHN_M_GATE          3
#define NGX_HTTP_WEBAUTHN_M_STORE_ERRORS  4
#define NGX_HTTP_WEBAUTHN_M_CONNECTS      5
#define NGX_HTTP_WEBAUTHN_M_LOCKOUTS      6
#define NGX_HTTP_WEBAUTHN_M_ADMIN         7
#define NGX_HTTP_WEBAUTHN_M_CLIENT        8
#define NGX_HTTP_WEBAUTHN_M_TELEMETRY     9
#define NGX_HTTP_WEBAUTHN_M_SESSION_CACHE 10
#define NGX_HTTP_WEBAUTHN_M_COUNT         11

/* what a label's index means */
#define NGX_HTTP_WEBAUTHN_L_CEREMONY      0
#define NGX_HTTP_WEBAUTHN_L_RESULT        1
#define NGX_HTTP_WEBAUTHN_L_REASON        2
#define NGX_HTTP_WEBAUTHN_L_PLATFORM      3
#define NGX_HTTP_WEBAUTHN_L_AUTHENTICATOR 4
#define NGX_HTTP_WEBAUTHN_L_GATE          5
#define NGX_HTTP_WEBAUTHN_L_LEVEL         6
#define NGX_HTTP_WEBAUTHN_L_OUTCOME       7
#define NGX_HTTP_WEBAUTHN_L_STORE_ERROR   8
#define NGX_HTTP_WEBAUTHN_L_CONNECT       9
#define NGX_HTTP_WEBAUTHN_L_ACTION        10
#define NGX_HTTP_WEBAUTHN_L_HYBRID        11
#define NGX_HTTP_WEBAUTHN_L_ADMIN_RESULT  12    /* a reason, 0 is "ok" */
#define NGX_HTTP_WEBAUTHN_L_REPORT        13    /* a reason, 0 "accepted" */
#define NGX_HTTP_WEBAUTHN_L_CACHE         14

/* platforms: fixed names, then "android-N" and "ios-N" in a range */
#define NGX_HTTP_WEBAUTHN_P_OTHER         0
#define NGX_HTTP_WEBAUTHN_P_LINUX         1
#define NGX_HTTP_WEBAUTHN_P_MACOS         2
#define NGX_HTTP_WEBAUTHN_P_CHROMEOS      3
#define NGX_HTTP_WEBAUTHN_P_WINDOWS       4
#define NGX_HTTP_WEBAUTHN_P_WINDOWS_10    5
#define NGX_HTTP_WEBAUTHN_P_WINDOWS_11    6
#define NGX_HTTP_WEBAUTHN_P_ANDROID       7
#define NGX_HTTP_WEBAUTHN_P_IOS           8
#define NGX_HTTP_WEBAUTHN_P_ANDROID_N     9
#define NGX_HTTP_WEBAUTHN_ANDROID_MIN     5
#define NGX_HTTP_WEBAUTHN_ANDROID_MAX     30
#define NGX_HTTP_WEBAUTHN_P_IOS_N                                             \
    (NGX_HTTP_WEBAUTHN_P_ANDROID_N                                            \
     + NGX_HTTP_WEBAUTHN_ANDROID_MAX - NGX_HTTP_WEBAUTHN_ANDROID_MIN + 1)
#define NGX_HTTP_WEBAUTHN_IOS_MIN         10
#define NGX_HTTP_WEBAUTHN_IOS_MAX         40

/* histogram buckets */
#define NGX_HTTP_WEBAUTHN_STORE_BUCKETS   11
#define NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS  9

/* the client errors: the DOMException names, "unsupported", "other" */
#define NGX_HTTP_WEBAUTHN_CLIENT_ERRORS   14


#define ngx_http_webauthn_key(m, a, b, c, d, e)                               \
    (((uint64_t) (m) << 56) | ((uint64_t) (a) << 48)                          \
     | ((uint64_t) (b) << 40) | ((uint64_t) (c) << 32)                        \
     | ((uint64_t) (d) << 24) | (uint64_t) (e))

#define ngx_http_webauthn_key_label(key, i)                                   \
    ((i) < 4 ? (ngx_uint_t) (((key) >> (48 - 8 * (i))) & 0xff)                \
             : (ngx_uint_t) ((key) & 0xffffff))


typedef struct {
    ngx_atomic_t                key;
    ngx_atomic_t                value;
} ngx_http_webauthn_series_t;


typedef struct {
    ngx_atomic_t                pid;
    ngx_atomic_t                up;
} ngx_http_webauthn_worker_t;


/*
 * The head of the zone.  rbtree and queue hold the telemetry limits
 * (ngx_http_webauthn_telemetry.c) under the zone's mutex; the rest is
 * read and written with atomics only.
 */
struct ngx_http_webauthn_shctx_s {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 queue;

    uint64_t                    magic;
    time_t                      started;
    ngx_atomic_t                dropped;

    ngx_uint_t                  mask;
    ngx_http_webauthn_series_t *series;

    /* authenticator names; index 0 is "other" and has no entry */
    ngx_atomic_t                nnames;
    u_char                     *names[NGX_HTTP_WEBAUTHN_NAMES_MAX + 1];

    /* histograms: the buckets, the one past the last bound, the sum (us,
     * ms); the count is their total.  The client's by ceremony and error */
    ngx_atomic_t                store[NGX_HTTP_WEBAUTHN_STORE_BUCKETS + 2];
    ngx_atomic_t                client[2][NGX_HTTP_WEBAUTHN_CLIENT_ERRORS]
                                      [NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS + 2];

    ngx_http_webauthn_worker_t  workers[NGX_HTTP_WEBAUTHN_WORKERS_MAX];
};


typedef struct {
    const char                 *name;
    const char                 *type;
    const char                 *help;
    ngx_uint_t                  nlabels;
    const char                 *labels[5];
    ngx_uint_t                  kinds[5];
} ngx_http_webauthn_metric_t;


/* webauthn_aaguid_names: an AAGUID and the index of its name */
typedef struct {
    u_char                      aaguid[16];
    ngx_uint_t                  name;
} ngx_http_webauthn_aaguid_t;


static ngx_int_t ngx_http_webauthn_metrics_names(ngx_conf_t *cf,
    ngx_http_webauthn_main_conf_t *wmcf, json_t *root, ngx_str_t *file);
static ngx_int_t ngx_http_webauthn_parse_aaguid(u_char *p, size_t len,
    u_char *out);
static int ngx_libc_cdecl ngx_http_webauthn_aaguid_cmp(const void *a,
    const void *b);
static ngx_int_t ngx_http_webauthn_name_valid(u_char *p, size_t len);
static ngx_uint_t ngx_http_webauthn_zone_name(ngx_slab_pool_t *shpool,
    ngx_http_webauthn_shctx_t *sh, ngx_str_t *name);
static void ngx_http_webauthn_metric_inc(uint64_t key);
static ngx_uint_t ngx_http_webauthn_authenticator(ngx_http_request_t *r,
    ngx_str_t *aaguid);
static ngx_uint_t ngx_http_webauthn_platform_ch(ngx_str_t *platform,
    ngx_str_t *version, ngx_str_t *ua);
static ngx_uint_t ngx_http_webauthn_platform_ua(ngx_str_t *ua);
static ngx_int_t ngx_http_webauthn_version_major(u_char *p, u_char *last);
static ngx_uint_t ngx_http_webauthn_platform_versioned(ngx_uint_t family,
    ngx_int_t major);
static void ngx_http_webauthn_log_ceremony(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_uint_t endpoint);
static void ngx_http_webauthn_log_gate(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_loc_conf_t *wlcf);
static ngx_uint_t ngx_http_webauthn_result(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static int ngx_libc_cdecl ngx_http_webauthn_series_cmp(const void *a,
    const void *b);
static u_char *ngx_http_webauthn_label(u_char *p, u_char *last,
    ngx_http_webauthn_shctx_t *sh, ngx_uint_t kind, ngx_uint_t i);
static u_char *ngx_http_webauthn_out_histogram(u_char *p, u_char *last,
    const char *name, u_char *labels, ngx_atomic_t *h,
    const uint64_t *bounds, ngx_uint_t n, ngx_uint_t scale);
static u_char *ngx_http_webauthn_out_fixed(u_char *p, u_char *last,
    uint64_t v, ngx_uint_t scale);


static const char  *ngx_http_webauthn_ceremonies[] = { "register", "login" };
static const char  *ngx_http_webauthn_results[] = { "success", "failure" };
static const char  *ngx_http_webauthn_gate_names[] = {
    "off", "password", "passkey", "transaction"
};
static const char  *ngx_http_webauthn_outcomes[] = {
    "none", "allow", "read", "refuse"
};
static const char  *ngx_http_webauthn_store_errors[] = {
    "unavailable", "timeout", "error", "lost"
};
static const char  *ngx_http_webauthn_connects[] = { "ok", "failed" };
static const char  *ngx_http_webauthn_actions[] = {
    "other", "user", "reset", "rollback", "grant", "unlock"
};
static const char  *ngx_http_webauthn_hybrids[] = {
    "unknown", "false", "true"
};
static const char  *ngx_http_webauthn_cache_results[] = {
    "hit", "miss", "bypass"
};

static const char  *ngx_http_webauthn_platforms[] = {
    "other", "linux", "macos", "chromeos", "windows", "windows-10",
    "windows-11", "android", "ios"
};


/*
 * The reason label: "none", every code of docs/errors.md, the DOMException
 * names a browser rejects a ceremony with (client telemetry), "other".
 * Extend, never reorder within a running nginx (the zone keeps indexes).
 */
static ngx_str_t  ngx_http_webauthn_reasons[] = {
    ngx_string("none"),

    ngx_string("identity_required"), ngx_string("passkey_required"),
    ngx_string("session_expired"), ngx_string("transaction_mismatch"),
    ngx_string("probation"), ngx_string("enrollment_not_allowed"),
    ngx_string("policy_denied"), ngx_string("rate_limited"),
    ngx_string("grant_invalid"), ngx_string("store_unavailable"),
    ngx_string("malformed_request"), ngx_string("payload_too_large"),
    ngx_string("type_mismatch"), ngx_string("method_not_allowed"),
    ngx_string("not_implemented"), ngx_string("unauthorized"),
    ngx_string("not_found"), ngx_string("user_unknown"),
    ngx_string("no_snapshot"), ngx_string("challenge_expired"),
    ngx_string("challenge_unknown"), ngx_string("challenge_mismatch"),
    ngx_string("origin_mismatch"), ngx_string("cross_origin_refused"),
    ngx_string("top_origin_mismatch"), ngx_string("rp_id_mismatch"),
    ngx_string("user_presence_missing"),
    ngx_string("user_verification_required"),
    ngx_string("backup_state_invalid"),
    ngx_string("backup_eligibility_changed"), ngx_string("signature_invalid"),
    ngx_string("counter_regression"), ngx_string("credential_unknown"),
    ngx_string("credential_revoked"), ngx_string("credential_suspended"),
    ngx_string("credential_exists"), ngx_string("credential_id_mismatch"),
    ngx_string("user_mismatch"), ngx_string("algorithm_unsupported"),
    ngx_string("key_invalid"), ngx_string("attestation_invalid"),
    ngx_string("attestation_untrusted"),
    ngx_string("attestation_format_unsupported"), ngx_string("internal_error"),

    /* the client errors, in this order up to "other", which ends both */
    ngx_string("NotAllowedError"), ngx_string("AbortError"),
    ngx_string("InvalidStateError"), ngx_string("SecurityError"),
    ngx_string("NotSupportedError"), ngx_string("ConstraintError"),
    ngx_string("UnknownError"), ngx_string("TimeoutError"),
    ngx_string("NetworkError"), ngx_string("EncodingError"),
    ngx_string("DataError"), ngx_string("TypeError"),
    ngx_string("unsupported"),

    ngx_string("other")
};

#define NGX_HTTP_WEBAUTHN_REASONS                                             \
    (sizeof(ngx_http_webauthn_reasons) / sizeof(ngx_http_webauthn_reasons[0]))

/* where the client errors begin in the reasons */
#define NGX_HTTP_WEBAUTHN_CLIENT_FIRST                                        \
    (NGX_HTTP_WEBAUTHN_REASONS - NGX_HTTP_WEBAUTHN_CLIENT_ERRORS)


static ngx_http_webauthn_metric_t  ngx_http_webauthn_metrics[] = {
    { NULL, NULL, NULL, 0, { NULL }, { 0 } },

    { "webauthn_ceremonies_total", "counter",
      "Passkey ceremonies that ended, by outcome and why they failed.",
      5, { "ceremony", "result", "reason", "platform", "authenticator" },
      { NGX_HTTP_WEBAUTHN_L_CEREMONY, NGX_HTTP_WEBAUTHN_L_RESULT,
        NGX_HTTP_WEBAUTHN_L_REASON, NGX_HTTP_WEBAUTHN_L_PLATFORM,
        NGX_HTTP_WEBAUTHN_L_AUTHENTICATOR } },

    { "webauthn_ceremonies_started_total", "counter",
      "Ceremony options handed out (a challenge issued).",
      2, { "ceremony", "platform" },
      { NGX_HTTP_WEBAUTHN_L_CEREMONY, NGX_HTTP_WEBAUTHN_L_PLATFORM } },

    { "webauthn_gate_decisions_total", "counter",
      "Access phase gate decisions: allow, read (fallback) or refuse.",
      4, { "gate", "level", "outcome", "reason" },
      { NGX_HTTP_WEBAUTHN_L_GATE, NGX_HTTP_WEBAUTHN_L_LEVEL,
        NGX_HTTP_WEBAUTHN_L_OUTCOME, NGX_HTTP_WEBAUTHN_L_REASON } },

    { "webauthn_store_errors_total", "counter",
      "Store commands that got no answer.",
      1, { "kind" }, { NGX_HTTP_WEBAUTHN_L_STORE_ERROR } },

    { "webauthn_store_connects_total", "counter",
      "Connections to Redis made by the workers.",
      1, { "result" }, { NGX_HTTP_WEBAUTHN_L_CONNECT } },

    { "webauthn_lockouts_total", "counter",
      "Users whose passkey ceremonies were locked after failures.",
      0, { NULL }, { 0 } },

    { "webauthn_admin_requests_total", "counter",
      "Admin API requests, by action and result.",
      2, { "action", "result" },
      { NGX_HTTP_WEBAUTHN_L_ACTION, NGX_HTTP_WEBAUTHN_L_ADMIN_RESULT } },

    { "webauthn_client_failures_total", "counter",
      "Ceremonies that failed in the browser, as the page reported them.",
      4, { "ceremony", "error", "platform", "hybrid" },
      { NGX_HTTP_WEBAUTHN_L_CEREMONY, NGX_HTTP_WEBAUTHN_L_REASON,
        NGX_HTTP_WEBAUTHN_L_PLATFORM, NGX_HTTP_WEBAUTHN_L_HYBRID } },

    { "webauthn_telemetry_reports_total", "counter",
      "Client telemetry reports, accepted or refused.",
      1, { "result" }, { NGX_HTTP_WEBAUTHN_L_REPORT } },

    { "webauthn_session_cache_total", "counter",
      "Gate session checks: from the session cache, or asked of Redis.",
      1, { "result" }, { NGX_HTTP_WEBAUTHN_L_CACHE } }
};


/* upper bounds: store latency in microseconds, client time in ms */
static const uint64_t  ngx_http_webauthn_store_bounds[] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000
};

static const uint64_t  ngx_http_webauthn_client_bounds[] = {
    1000, 2000, 5000, 10000, 20000, 30000, 60000, 120000, 300000
};


/* the zone in this worker; NULL without webauthn_zone */
static ngx_http_webauthn_shctx_t  *ngx_http_webauthn_sh;
static ngx_slab_pool_t            *ngx_http_webauthn_shpool;


/* webauthn_aaguid_names file; */

char *
ngx_http_webauthn_aaguid_names(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    u_char            *buf;
    off_t              size;
    json_t            *root;
    ssize_t            n;
    ngx_str_t         *value, file;
    ngx_file_t         f;
    json_error_t       err;
    ngx_file_info_t    fi;

    if (wmcf->aaguids) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&f, sizeof(ngx_file_t));
    f.name = file;
    f.log = cf->log;

    f.fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (f.fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &file);
        return NGX_CONF_ERROR;
    }

    root = NULL;
    buf = NULL;

    if (ngx_fd_info(f.fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &file);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size > NGX_HTTP_WEBAUTHN_AAGUID_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is larger than %d bytes",
                           &file, NGX_HTTP_WEBAUTHN_AAGUID_FILE_MAX);
        goto failed;
    }

    buf = ngx_pnalloc(cf->temp_pool, (size_t) size + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = ngx_read_file(&f, buf, (size_t) size, 0);
    if (n != (ssize_t) size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_file_n " \"%V\" failed", &file);
        goto failed;
    }

    root = json_loadb((const char *) buf, (size_t) size,
                      JSON_REJECT_DUPLICATES, &err);

    if (root == NULL || !json_is_object(root)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not a JSON object of AAGUIDs and "
                           "names: %s (line %d)", &file,
                           root ? "not an object" : err.text,
                           root ? 1 : err.line);
        goto failed;
    }

    if (ngx_http_webauthn_metrics_names(cf, wmcf, root, &file) != NGX_OK) {
        goto failed;
    }

    json_decref(root);

    if (ngx_close_file(f.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &file);
    }

    return NGX_CONF_OK;

failed:

    json_decref(root);

    if (ngx_close_file(f.fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, cf->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &file);
    }

    return NGX_CONF_ERROR;
}


/*
 * {"<aaguid>": "Name", ...} or, as the community list of passkey providers
 * has it, {"<aaguid>": {"name": "Name", ...}, ...}.  The names become
 * label values: short, printable, and few.
 */

static ngx_int_t
ngx_http_webauthn_metrics_names(ngx_conf_t *cf,
    ngx_http_webauthn_main_conf_t *wmcf, json_t *root, ngx_str_t *file)
{
    json_t                      *v;
    size_t                       len;
    ngx_str_t                   *name, s;
    ngx_uint_t                   i;
    const char                  *key;
    ngx_http_webauthn_aaguid_t  *a;

    wmcf->aaguids = ngx_array_create(cf->pool, json_object_size(root) + 1,
                                     sizeof(ngx_http_webauthn_aaguid_t));
    wmcf->aaguid_names = ngx_array_create(cf->pool, 16, sizeof(ngx_str_t));

    if (wmcf->aaguids == NULL || wmcf->aaguid_names == NULL) {
        return NGX_ERROR;
    }

    json_object_foreach(root, key, v) {

        if (json_is_object(v)) {
            v = json_object_get(v, "name");
        }

        if (!json_is_string(v)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": the name of \"%s\" is not a string",
                               file, key);
            return NGX_ERROR;
        }

        a = ngx_array_push(wmcf->aaguids);
        if (a == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_webauthn_parse_aaguid((u_char *) key, ngx_strlen(key),
                                           a->aaguid)
            != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%s\" is not an AAGUID "
                               "(8-4-4-4-12 hexadecimal digits)", file, key);
            return NGX_ERROR;
        }

        s.data = (u_char *) json_string_value(v);
        s.len = json_string_length(v);

        if (ngx_http_webauthn_name_valid(s.data, s.len) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": the name of \"%s\" must be 1 to %d "
                               "bytes of printable UTF-8", file, key,
                               NGX_HTTP_WEBAUTHN_NAME_MAX);
            return NGX_ERROR;
        }

        /* one label value per distinct name */

        name = wmcf->aaguid_names->elts;

        for (i = 0; i < wmcf->aaguid_names->nelts; i++) {
            if (name[i].len == s.len
                && ngx_strncmp(name[i].data, s.data, s.len) == 0)
            {
                break;
            }
        }

        if (i == wmcf->aaguid_names->nelts) {
            if (i == NGX_HTTP_WEBAUTHN_NAMES_MAX) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" has more than %d distinct names",
                                   file, NGX_HTTP_WEBAUTHN_NAMES_MAX);
                return NGX_ERROR;
            }

            name = ngx_array_push(wmcf->aaguid_names);
            if (name == NULL) {
                return NGX_ERROR;
            }

            len = s.len;
            name->data = ngx_pstrdup(cf->pool, &s);
            name->len = len;

            if (name->data == NULL) {
                return NGX_ERROR;
            }
        }

        a->name = i;
    }

    ngx_qsort(wmcf->aaguids->elts, wmcf->aaguids->nelts,
              sizeof(ngx_http_webauthn_aaguid_t),
              ngx_http_webauthn_aaguid_cmp);

    /* the same AAGUID in upper and in lower case */

    a = wmcf->aaguids->elts;

    for (i = 1; i < wmcf->aaguids->nelts; i++) {
        if (ngx_memcmp(a[i - 1].aaguid, a[i].aaguid, 16) == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": an AAGUID is written twice",
                               file);
            return NGX_ERROR;
        }
    }

    /* the zone's index of each name, from init_zone */

    wmcf->aaguid_label = ngx_pcalloc(cf->pool, (wmcf->aaguid_names->nelts + 1)
                                               * sizeof(ngx_uint_t));
    if (wmcf->aaguid_label == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_parse_aaguid(u_char *p, size_t len, u_char *out)
{
    ngx_int_t   hi, lo;
    ngx_uint_t  i, j;

    if (len != 36) {
        return NGX_ERROR;
    }

    for (i = 0, j = 0; i < 36; j++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (p[i] != '-') {
                return NGX_ERROR;
            }

            i++;
        }

        hi = ngx_hextoi(&p[i], 1);
        lo = ngx_hextoi(&p[i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return NGX_ERROR;
        }

        out[j] = (u_char) (hi << 4 | lo);
        i += 2;
    }

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_webauthn_aaguid_cmp(const void *a, const void *b)
{
    return ngx_memcmp(a, b, 16);
}


/* 1..64 bytes of UTF-8 without control characters */

static ngx_int_t
ngx_http_webauthn_name_valid(u_char *p, size_t len)
{
    uint32_t   c;
    u_char    *last;

    if (len == 0 || len > NGX_HTTP_WEBAUTHN_NAME_MAX) {
        return NGX_ERROR;
    }

    last = p + len;

    while (p < last) {
        c = ngx_http_webauthn_utf8_next(&p, last);

        if (c == NGX_HTTP_WEBAUTHN_UTF8_INVALID || c < 0x20 || c == 0x7f) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the zone: its head made, or found again on a reload */

ngx_int_t
ngx_http_webauthn_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_webauthn_shctx_t  *octx = data;

    size_t                          len, n;
    ngx_str_t                      *name;
    ngx_uint_t                      i;
    ngx_slab_pool_t                *shpool;
    ngx_http_webauthn_shctx_t      *sh;
    ngx_http_webauthn_main_conf_t  *wmcf;

    /* until now the zone's data is the configuration that made it */
    wmcf = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx) {
        sh = octx;

    } else if (shm_zone->shm.exists) {
        sh = shpool->data;

    } else {
        sh = ngx_slab_calloc(shpool, sizeof(ngx_http_webauthn_shctx_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        ngx_rbtree_init(&sh->rbtree, &sh->sentinel,
                        ngx_rbtree_insert_value);
        ngx_queue_init(&sh->queue);

        /* the largest power of two within its share of the zone */

        len = shm_zone->shm.size / NGX_HTTP_WEBAUTHN_SERIES_SHARE
              / sizeof(ngx_http_webauthn_series_t);

        for (n = 1; n * 2 <= len; n *= 2) { /* void */ }

        sh->series = ngx_slab_calloc(shpool,
                                     n * sizeof(ngx_http_webauthn_series_t));
        if (sh->series == NULL) {
            return NGX_ERROR;
        }

        sh->mask = n - 1;
        sh->started = ngx_time();
        sh->magic = NGX_HTTP_WEBAUTHN_METRICS_MAGIC;

        shpool->data = sh;

        len = sizeof(" in webauthn zone \"\"") + shm_zone->shm.name.len;

        shpool->log_ctx = ngx_slab_alloc(shpool, len);
        if (shpool->log_ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(shpool->log_ctx, " in webauthn zone \"%V\"%Z",
                    &shm_zone->shm.name);
    }

    if (sh->magic != NGX_HTTP_WEBAUTHN_METRICS_MAGIC) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "webauthn zone \"%V\" was made by another version of "
                      "the module: restart nginx, or name another zone",
                      &shm_zone->shm.name);
        return NGX_ERROR;
    }

    shm_zone->data = sh;

    if (wmcf->aaguid_names == NULL) {
        return NGX_OK;
    }

    name = wmcf->aaguid_names->elts;

    for (i = 0; i < wmcf->aaguid_names->nelts; i++) {
        wmcf->aaguid_label[i] = ngx_http_webauthn_zone_name(shpool, sh,
                                                            &name[i]);
    }

    return NGX_OK;
}


/*
 * The zone's label index of an authenticator name, added when new.  Old
 * workers may be reading the names meanwhile: the name is written before
 * the count that makes it visible.  0 ("other") when the table is full.
 */

static ngx_uint_t
ngx_http_webauthn_zone_name(ngx_slab_pool_t *shpool,
    ngx_http_webauthn_shctx_t *sh, ngx_str_t *name)
{
    u_char      *p;
    ngx_uint_t   i, n;

    n = sh->nnames;

    for (i = 1; i <= n; i++) {
        if (ngx_strlen(sh->names[i]) == name->len
            && ngx_strncmp(sh->names[i], name->data, name->len) == 0)
        {
            return i;
        }
    }

    if (n == NGX_HTTP_WEBAUTHN_NAMES_MAX) {
        return 0;
    }

    p = ngx_slab_alloc(shpool, name->len + 1);
    if (p == NULL) {
        return 0;
    }

    ngx_memcpy(p, name->data, name->len);
    p[name->len] = '\0';

    sh->names[n + 1] = p;
    ngx_memory_barrier();
    sh->nnames = n + 1;

    return n + 1;
}


ngx_int_t
ngx_http_webauthn_metrics_init_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_worker_t     *w;
    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_http_webauthn_sh = NULL;
    ngx_http_webauthn_shpool = NULL;

    wmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_webauthn_module);

    if (wmcf == NULL || wmcf->shm_zone == NULL) {
        return NGX_OK;
    }

    ngx_http_webauthn_sh = wmcf->shm_zone->data;
    ngx_http_webauthn_shpool = (ngx_slab_pool_t *) wmcf->shm_zone->shm.addr;

    /* a worker, or nginx as one process (master_process off), that has a
     * store to be connected to */

    if (wmcf->redis
        && (ngx_process == NGX_PROCESS_WORKER
         || ngx_process == NGX_PROCESS_SINGLE)
        && ngx_worker < NGX_HTTP_WEBAUTHN_WORKERS_MAX)
    {
        w = &ngx_http_webauthn_sh->workers[ngx_worker];
        w->up = 0;
        w->pid = ngx_pid;
    }

    return NGX_OK;
}


void
ngx_http_webauthn_metrics_exit_process(void)
{
    ngx_http_webauthn_worker_t  *w;

    if (ngx_http_webauthn_sh == NULL
        || ngx_worker >= NGX_HTTP_WEBAUTHN_WORKERS_MAX)
    {
        return;
    }

    /* a new worker of the same number may have taken the slot already */

    w = &ngx_http_webauthn_sh->workers[ngx_worker];
    (void) ngx_atomic_cmp_set(&w->pid, ngx_pid, 0);
}


/* the telemetry limits' tree, under the zone's mutex */

ngx_slab_pool_t *
ngx_http_webauthn_metrics_pool(void)
{
    return ngx_http_webauthn_shpool;
}


ngx_rbtree_t *
ngx_http_webauthn_metrics_rbtree(void)
{
    return &ngx_http_webauthn_sh->rbtree;
}


ngx_queue_t *
ngx_http_webauthn_metrics_queue(void)
{
    return &ngx_http_webauthn_sh->queue;
}


/* counting */


static void
ngx_http_webauthn_metric_inc(uint64_t key)
{
    ngx_uint_t                   i, h;
    ngx_atomic_uint_t            k;
    ngx_http_webauthn_shctx_t   *sh;
    ngx_http_webauthn_series_t  *s;

    sh = ngx_http_webauthn_sh;

    if (sh == NULL) {
        return;
    }

    /* a 64-bit mix of the key: neighbouring label values spread out */

    h = (ngx_uint_t) ((key * 0x9e3779b97f4a7c15ULL) >> 32);

    for (i = 0; i < NGX_HTTP_WEBAUTHN_PROBES; i++) {
        s = &sh->series[(h + i) & sh->mask];
        k = s->key;

        if (k == 0) {
            if (!ngx_atomic_cmp_set(&s->key, 0, (ngx_atomic_uint_t) key)) {
                k = s->key;
            } else {
                k = key;
            }
        }

        if (k == key) {
            (void) ngx_atomic_fetch_add(&s->value, 1);
            return;
        }
    }

    (void) ngx_atomic_fetch_add(&sh->dropped, 1);
}


/* the store: each command's round trip, and what went wrong */

void
ngx_http_webauthn_metric_store_latency(uint64_t us)
{
    ngx_uint_t                  i;
    ngx_http_webauthn_shctx_t  *sh;

    sh = ngx_http_webauthn_sh;

    if (sh == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_WEBAUTHN_STORE_BUCKETS; i++) {
        if (us <= ngx_http_webauthn_store_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&sh->store[i], 1);
    (void) ngx_atomic_fetch_add(&sh->store[NGX_HTTP_WEBAUTHN_STORE_BUCKETS
                                           + 1], (ngx_atomic_int_t) us);
}


void
ngx_http_webauthn_metric_store_error(ngx_uint_t kind)
{
    ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
        NGX_HTTP_WEBAUTHN_M_STORE_ERRORS, kind, 0, 0, 0, 0));
}


void
ngx_http_webauthn_metric_store_state(ngx_uint_t connected, ngx_uint_t made)
{
    ngx_http_webauthn_worker_t  *w;

    if (ngx_http_webauthn_sh == NULL) {
        return;
    }

    if (made) {
        ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
            NGX_HTTP_WEBAUTHN_M_CONNECTS, connected ? 0 : 1, 0, 0, 0, 0));
    }

    if (ngx_worker < NGX_HTTP_WEBAUTHN_WORKERS_MAX
        && (ngx_process == NGX_PROCESS_WORKER
            || ngx_process == NGX_PROCESS_SINGLE))
    {
        w = &ngx_http_webauthn_sh->workers[ngx_worker];

        if (w->pid == (ngx_atomic_uint_t) ngx_pid) {
            w->up = connected ? 1 : 0;
        }
    }
}


void
ngx_http_webauthn_metric_session_cache(ngx_uint_t result)
{
    ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
        NGX_HTTP_WEBAUTHN_M_SESSION_CACHE, result, 0, 0, 0, 0));
}


void
ngx_http_webauthn_metric_lockout(void)
{
    ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
        NGX_HTTP_WEBAUTHN_M_LOCKOUTS, 0, 0, 0, 0, 0));
}


/* a reason label: a stable code or a DOMException name, else "other" */

ngx_uint_t
ngx_http_webauthn_metric_reason(u_char *p, size_t len)
{
    ngx_uint_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 1; i < NGX_HTTP_WEBAUTHN_REASONS - 1; i++) {
        if (ngx_http_webauthn_reasons[i].len == len
            && ngx_strncmp(ngx_http_webauthn_reasons[i].data, p, len) == 0)
        {
            return i;
        }
    }

    return NGX_HTTP_WEBAUTHN_REASONS - 1;
}


/* an error label of a client report: a DOMException name or "unsupported",
 * never a server code, else "other" */

ngx_uint_t
ngx_http_webauthn_metric_client_error(u_char *p, size_t len)
{
    ngx_uint_t  i;

    i = ngx_http_webauthn_metric_reason(p, len);

    return (i >= NGX_HTTP_WEBAUTHN_CLIENT_FIRST)
           ? i : NGX_HTTP_WEBAUTHN_REASONS - 1;
}


/* an accepted client report; elapsed < 0 when the page did not say */

void
ngx_http_webauthn_metric_client(ngx_http_request_t *r, ngx_uint_t ceremony,
    ngx_uint_t error, ngx_uint_t hybrid, ngx_int_t elapsed)
{
    ngx_uint_t                  i;
    ngx_atomic_t               *h;
    ngx_http_webauthn_shctx_t  *sh;

    sh = ngx_http_webauthn_sh;

    if (sh == NULL) {
        return;
    }

    ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
        NGX_HTTP_WEBAUTHN_M_CLIENT, ceremony, error,
        ngx_http_webauthn_metric_platform(r), hybrid, 0));

    /* the time of a browser without WebAuthn means nothing */

    if (elapsed < 0 || error == NGX_HTTP_WEBAUTHN_REASONS - 2) {
        return;
    }

    h = sh->client[ceremony][error - NGX_HTTP_WEBAUTHN_CLIENT_FIRST];

    for (i = 0; i < NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS; i++) {
        if ((uint64_t) elapsed <= ngx_http_webauthn_client_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h[i], 1);
    (void) ngx_atomic_fetch_add(&h[NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS + 1],
                                (ngx_atomic_int_t) elapsed);
}


/*
 * The platform label, from User-Agent Client Hints when the browser sends
 * them (Chromium: Sec-CH-UA-Platform always, Sec-CH-UA-Platform-Version
 * when the page asked for it with Accept-CH), else from User-Agent.
 */

ngx_uint_t
ngx_http_webauthn_metric_platform(ngx_http_request_t *r)
{
    ngx_str_t         ua, platform, version;
    ngx_table_elt_t  *h;

    ngx_str_null(&ua);
    ngx_str_null(&platform);
    ngx_str_null(&version);

    if (r->headers_in.user_agent) {
        ua = r->headers_in.user_agent->value;
    }

    h = ngx_http_webauthn_header_in(r, "Sec-CH-UA-Platform", NULL);
    if (h) {
        platform = h->value;
    }

    h = ngx_http_webauthn_header_in(r, "Sec-CH-UA-Platform-Version", NULL);
    if (h) {
        version = h->value;
    }

    if (platform.len) {
        return ngx_http_webauthn_platform_ch(&platform, &version, &ua);
    }

    return ngx_http_webauthn_platform_ua(&ua);
}


/* Sec-CH-UA-Platform: "Android"; Sec-CH-UA-Platform-Version: "14.0.0" */

static ngx_uint_t
ngx_http_webauthn_platform_ch(ngx_str_t *platform, ngx_str_t *version,
    ngx_str_t *ua)
{
    u_char     *p;
    size_t      len;
    ngx_int_t   major;
    ngx_uint_t  family, n;

    if (platform->len < 2 || platform->data[0] != '"'
        || platform->data[platform->len - 1] != '"')
    {
        return NGX_HTTP_WEBAUTHN_P_OTHER;
    }

    p = platform->data + 1;
    len = platform->len - 2;

    major = -1;

    if (version->len > 2 && version->data[0] == '"'
        && version->data[version->len - 1] == '"')
    {
        major = ngx_http_webauthn_version_major(version->data + 1,
                                                version->data
                                                + version->len - 1);
    }

#define ngx_http_webauthn_is(s)                                               \
    (len == sizeof(s) - 1 && ngx_strncasecmp(p, (u_char *) s, len) == 0)

    if (ngx_http_webauthn_is("Android")) {
        family = NGX_HTTP_WEBAUTHN_P_ANDROID;

    } else if (ngx_http_webauthn_is("iOS")) {
        family = NGX_HTTP_WEBAUTHN_P_IOS;

    } else if (ngx_http_webauthn_is("Windows")) {

        /* 1..10: Windows 10, 13 and later: Windows 11 (Microsoft's rule) */

        if (major >= 13) {
            return NGX_HTTP_WEBAUTHN_P_WINDOWS_11;
        }

        if (major >= 1 && major <= 10) {
            return NGX_HTTP_WEBAUTHN_P_WINDOWS_10;
        }

        return NGX_HTTP_WEBAUTHN_P_WINDOWS;

    } else if (ngx_http_webauthn_is("macOS")) {
        return NGX_HTTP_WEBAUTHN_P_MACOS;

    } else if (ngx_http_webauthn_is("Linux")) {
        return NGX_HTTP_WEBAUTHN_P_LINUX;

    } else if (ngx_http_webauthn_is("Chrome OS")
               || ngx_http_webauthn_is("Chromium OS"))
    {
        return NGX_HTTP_WEBAUTHN_P_CHROMEOS;

    } else {
        return NGX_HTTP_WEBAUTHN_P_OTHER;
    }

#undef ngx_http_webauthn_is

    if (major < 0) {

        /* no version hint: User-Agent may still have one, of this family */

        n = ngx_http_webauthn_platform_ua(ua);

        if (family == NGX_HTTP_WEBAUTHN_P_ANDROID
            && n >= NGX_HTTP_WEBAUTHN_P_ANDROID_N
            && n < NGX_HTTP_WEBAUTHN_P_IOS_N)
        {
            return n;
        }

        if (family == NGX_HTTP_WEBAUTHN_P_IOS
            && n >= NGX_HTTP_WEBAUTHN_P_IOS_N)
        {
            return n;
        }

        return family;
    }

    return ngx_http_webauthn_platform_versioned(family, major);
}


/*
 * User-Agent alone.  Chromium's reduced User-Agent says "Android 10; K"
 * whatever the version is: that is Android without a version.
 */

static ngx_uint_t
ngx_http_webauthn_platform_ua(ngx_str_t *ua)
{
    u_char     *p, *last;
    ngx_int_t   major;

    if (ua->len == 0) {
        return NGX_HTTP_WEBAUTHN_P_OTHER;
    }

    last = ua->data + ua->len;

    p = ngx_strlcasestrn(ua->data, last, (u_char *) "Android ",
                         sizeof("Android ") - 2);
    if (p) {
        p += sizeof("Android ") - 1;

        if (last - p >= 6 && ngx_strncmp(p, "10; K)", 6) == 0) {
            return NGX_HTTP_WEBAUTHN_P_ANDROID;
        }

        major = ngx_http_webauthn_version_major(p, last);

        return ngx_http_webauthn_platform_versioned(
                   NGX_HTTP_WEBAUTHN_P_ANDROID, major);
    }

    p = ngx_strlcasestrn(ua->data, last, (u_char *) "iPhone OS ",
                         sizeof("iPhone OS ") - 2);
    if (p == NULL) {
        /* an iPad: "CPU OS 17_0 like Mac OS X" */
        p = ngx_strlcasestrn(ua->data, last, (u_char *) "CPU OS ",
                             sizeof("CPU OS ") - 2);
    }

    if (p) {
        p = ngx_strlchr(p, last, ' ');

        if (p) {
            p = ngx_strlchr(p + 1, last, ' ');
        }

        if (p == NULL) {
            return NGX_HTTP_WEBAUTHN_P_IOS;
        }

        major = ngx_http_webauthn_version_major(p + 1, last);

        return ngx_http_webauthn_platform_versioned(NGX_HTTP_WEBAUTHN_P_IOS,
                                                    major);
    }

    if (ngx_strlcasestrn(ua->data, last, (u_char *) "CrOS", 3)) {
        return NGX_HTTP_WEBAUTHN_P_CHROMEOS;
    }

    /* "Windows NT 10.0" is Windows 10 and 11 alike */

    if (ngx_strlcasestrn(ua->data, last, (u_char *) "Windows", 6)) {
        return NGX_HTTP_WEBAUTHN_P_WINDOWS;
    }

    if (ngx_strlcasestrn(ua->data, last, (u_char *) "Macintosh", 8)) {
        return NGX_HTTP_WEBAUTHN_P_MACOS;
    }

    if (ngx_strlcasestrn(ua->data, last, (u_char *) "Linux", 4)
        || ngx_strlcasestrn(ua->data, last, (u_char *) "X11", 2))
    {
        return NGX_HTTP_WEBAUTHN_P_LINUX;
    }

    return NGX_HTTP_WEBAUTHN_P_OTHER;
}


/* the digits before the first '.', '_', ';' or ')': at most three */

static ngx_int_t
ngx_http_webauthn_version_major(u_char *p, u_char *last)
{
    ngx_int_t   n;
    ngx_uint_t  digits;

    n = 0;

    for (digits = 0; p < last && *p >= '0' && *p <= '9'; p++, digits++) {
        if (digits == 3) {
            return -1;
        }

        n = n * 10 + (*p - '0');
    }

    if (digits == 0) {
        return -1;
    }

    if (p < last && *p != '.' && *p != '_' && *p != ';' && *p != ')'
        && *p != ' ')
    {
        return -1;
    }

    return n;
}


/* "android-14" within the range, else the family alone */

static ngx_uint_t
ngx_http_webauthn_platform_versioned(ngx_uint_t family, ngx_int_t major)
{
    if (family == NGX_HTTP_WEBAUTHN_P_ANDROID
        && major >= NGX_HTTP_WEBAUTHN_ANDROID_MIN
        && major <= NGX_HTTP_WEBAUTHN_ANDROID_MAX)
    {
        return NGX_HTTP_WEBAUTHN_P_ANDROID_N
               + major - NGX_HTTP_WEBAUTHN_ANDROID_MIN;
    }

    if (family == NGX_HTTP_WEBAUTHN_P_IOS
        && major >= NGX_HTTP_WEBAUTHN_IOS_MIN
        && major <= NGX_HTTP_WEBAUTHN_IOS_MAX)
    {
        return NGX_HTTP_WEBAUTHN_P_IOS_N + major - NGX_HTTP_WEBAUTHN_IOS_MIN;
    }

    return family;
}


/* the authenticator label: the listed name of the AAGUID, else "other" */

static ngx_uint_t
ngx_http_webauthn_authenticator(ngx_http_request_t *r, ngx_str_t *aaguid)
{
    u_char                          raw[16];
    ngx_uint_t                      lo, hi, mid;
    ngx_int_t                       c;
    ngx_http_webauthn_aaguid_t     *a;
    ngx_http_webauthn_main_conf_t  *wmcf;

    wmcf = ngx_http_get_module_main_conf(r, ngx_http_webauthn_module);

    if (wmcf->aaguids == NULL || aaguid->len == 0
        || ngx_http_webauthn_parse_aaguid(aaguid->data, aaguid->len, raw)
           != NGX_OK)
    {
        return 0;
    }

    a = wmcf->aaguids->elts;
    lo = 0;
    hi = wmcf->aaguids->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = ngx_memcmp(raw, a[mid].aaguid, 16);

        if (c == 0) {
            return wmcf->aaguid_label[a[mid].name];
        }

        if (c < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return 0;
}


/*
 * The log phase: what a request to an endpoint or through a gate came
 * to, counted once the response is known.
 */

ngx_int_t
ngx_http_webauthn_metrics_log_handler(ngx_http_request_t *r)
{
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    if (ngx_http_webauthn_sh == NULL) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_webauthn_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (ctx->gate_outcome) {
        ngx_http_webauthn_log_gate(r, ctx, wlcf);
    }

    switch (wlcf->endpoint) {

    case NGX_HTTP_WEBAUTHN_EP_REGISTER_OPTIONS:
    case NGX_HTTP_WEBAUTHN_EP_REGISTER:
    case NGX_HTTP_WEBAUTHN_EP_LOGIN_OPTIONS:
    case NGX_HTTP_WEBAUTHN_EP_LOGIN:
        ngx_http_webauthn_log_ceremony(r, ctx, wlcf->endpoint);
        break;

    case NGX_HTTP_WEBAUTHN_EP_ADMIN:
        ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
            NGX_HTTP_WEBAUTHN_M_ADMIN, ctx->admin_action,
            ngx_http_webauthn_result(r, ctx), 0, 0, 0));
        break;

    case NGX_HTTP_WEBAUTHN_EP_TELEMETRY:
        ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
            NGX_HTTP_WEBAUTHN_M_TELEMETRY,
            ngx_http_webauthn_result(r, ctx), 0, 0, 0, 0));
        break;

    default:
        break;
    }

    return NGX_OK;
}


/*
 * Options answered are ceremonies started; a refusal at any step, or the
 * final answer, ends one.
 */

static void
ngx_http_webauthn_log_ceremony(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_uint_t endpoint)
{
    ngx_uint_t  ceremony, reason, platform;

    ceremony = (endpoint == NGX_HTTP_WEBAUTHN_EP_REGISTER_OPTIONS
                || endpoint == NGX_HTTP_WEBAUTHN_EP_REGISTER) ? 0 : 1;

    /* a wrong method is a scanner or a broken client, not a ceremony */

    if (r->headers_out.status == NGX_HTTP_NOT_ALLOWED) {
        return;
    }

    platform = ngx_http_webauthn_metric_platform(r);
    reason = ngx_http_webauthn_result(r, ctx);

    /*
     * Every options request starts a ceremony, so that started minus
     * ended is what was abandoned or failed in the browser.
     */

    if (endpoint == NGX_HTTP_WEBAUTHN_EP_REGISTER_OPTIONS
        || endpoint == NGX_HTTP_WEBAUTHN_EP_LOGIN_OPTIONS)
    {
        ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
            NGX_HTTP_WEBAUTHN_M_STARTED, ceremony, platform, 0, 0, 0));

        if (reason == 0) {
            return;
        }
    }

    ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
        NGX_HTTP_WEBAUTHN_M_CEREMONIES, ceremony, reason ? 1 : 0, reason,
        platform, ngx_http_webauthn_authenticator(r, &ctx->aaguid)));
}


static void
ngx_http_webauthn_log_gate(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_http_webauthn_loc_conf_t *wlcf)
{
    ngx_uint_t  reason;

    reason = (ctx->gate_outcome == NGX_HTTP_WEBAUTHN_OUTCOME_ALLOW)
             ? 0 : ngx_http_webauthn_metric_reason(ctx->reason.data,
                                                   ctx->reason.len);

    ngx_http_webauthn_metric_inc(ngx_http_webauthn_key(
        NGX_HTTP_WEBAUTHN_M_GATE, wlcf->gate, ctx->level, ctx->gate_outcome,
        reason, 0));
}


/* 0 ("none") for a success, else the reason label of the refusal */

static ngx_uint_t
ngx_http_webauthn_result(ngx_http_request_t *r, ngx_http_webauthn_ctx_t *ctx)
{
    ngx_uint_t  status;

    status = r->headers_out.status ? r->headers_out.status : r->err_status;

    if (status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE) {
        return 0;
    }

    if (ctx->reason.len) {
        return ngx_http_webauthn_metric_reason(ctx->reason.data,
                                               ctx->reason.len);
    }

    /*
     * nginx itself answered: a server error is the server's; anything else
     * (a client that went away, a body that never came) is "other"
     */

    if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        return ngx_http_webauthn_metric_reason((u_char *) "internal_error",
                                               sizeof("internal_error") - 1);
    }

    return NGX_HTTP_WEBAUTHN_REASONS - 1;
}


/* the metrics endpoint */


ngx_int_t
ngx_http_webauthn_metrics_handler(ngx_http_request_t *r)
{
    u_char                      *p, *last, *start;
    size_t                       size;
    uint64_t                     key, *keys, *vals, *tmp;
    ngx_int_t                    rc;
    ngx_str_t                    allow;
    ngx_buf_t                   *b;
    ngx_uint_t                   i, j, m, n, l, nslots, max, shown;
    ngx_chain_t                  out;
    ngx_http_webauthn_shctx_t   *sh;
    ngx_http_webauthn_worker_t  *w;
    ngx_atomic_t                *h;
    ngx_http_webauthn_metric_t  *mt;
    u_char                       labels[64];

    static ngx_str_t  no_store = ngx_string("no-store");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        ngx_str_set(&allow, "GET, HEAD");
        return ngx_http_webauthn_not_allowed(r, &allow);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    sh = ngx_http_webauthn_sh;
    if (sh == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a copy of the series, sorted: a metric's series come together */

    nslots = sh->mask + 1;
    max = 0;

    for (i = 0; i < nslots; i++) {
        if (sh->series[i].key != 0) {
            max++;
        }
    }

    /* series made meanwhile wait for the next scrape */

    tmp = ngx_palloc(r->pool, 2 * (max + 1) * sizeof(uint64_t));
    if (tmp == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = 0;

    for (i = 0; i < nslots && n < max; i++) {
        key = sh->series[i].key;

        if (key != 0) {
            tmp[2 * n] = key;
            tmp[2 * n + 1] = sh->series[i].value;
            n++;
        }
    }

    ngx_qsort(tmp, n, 2 * sizeof(uint64_t), ngx_http_webauthn_series_cmp);

    /* a series is at most its labels, five names of 64 bytes escaped */

    size = 16384 + n * (160 + 5 * 2 * NGX_HTTP_WEBAUTHN_NAME_MAX);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->pos;
    last = b->end;
    j = 0;

    for (m = 1; m < NGX_HTTP_WEBAUTHN_M_COUNT; m++) {
        mt = &ngx_http_webauthn_metrics[m];

        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s %s\n",
                         mt->name, mt->help, mt->name, mt->type);

        shown = 0;

        for ( /* void */ ; j < n && (tmp[2 * j] >> 56) == m; j++) {
            shown++;
            keys = &tmp[2 * j];
            vals = &tmp[2 * j + 1];

            p = ngx_slprintf(p, last, "%s", mt->name);

            for (l = 0; l < mt->nlabels; l++) {
                p = ngx_slprintf(p, last, "%s%s=\"", l ? "," : "{",
                                 mt->labels[l]);
                p = ngx_http_webauthn_label(p, last, sh, mt->kinds[l],
                                            ngx_http_webauthn_key_label(*keys,
                                                                        l));
                p = ngx_slprintf(p, last, "\"");
            }

            p = ngx_slprintf(p, last, "%s %uL\n", mt->nlabels ? "}" : "",
                             *vals);
        }

        if (mt->nlabels == 0 && shown == 0) {
            /* a counter without labels is shown from zero */
            p = ngx_slprintf(p, last, "%s 0\n", mt->name);
        }
    }

    p = ngx_slprintf(p, last,
                     "# HELP webauthn_metrics_dropped_total Counts lost "
                     "because the zone's series table was full.\n"
                     "# TYPE webauthn_metrics_dropped_total counter\n"
                     "webauthn_metrics_dropped_total %uA\n"
                     "# HELP webauthn_metrics_start_time_seconds When these "
                     "counters started (nginx started, not reloaded).\n"
                     "# TYPE webauthn_metrics_start_time_seconds gauge\n"
                     "webauthn_metrics_start_time_seconds %T\n",
                     sh->dropped, sh->started);

    p = ngx_slprintf(p, last,
                     "# HELP webauthn_store_up Whether a worker is "
                     "connected to Redis.\n"
                     "# TYPE webauthn_store_up gauge\n");

    for (i = 0; i < NGX_HTTP_WEBAUTHN_WORKERS_MAX; i++) {
        w = &sh->workers[i];

        if (w->pid) {
            p = ngx_slprintf(p, last, "webauthn_store_up{worker=\"%ui\"} "
                             "%uA\n", i, w->up);
        }
    }

    p = ngx_slprintf(p, last,
                     "# HELP webauthn_store_latency_seconds Round trips of "
                     "store commands that were answered.\n"
                     "# TYPE webauthn_store_latency_seconds histogram\n");

    p = ngx_http_webauthn_out_histogram(p, last,
                                        "webauthn_store_latency_seconds",
                                        (u_char *) "", sh->store,
                                        ngx_http_webauthn_store_bounds,
                                        NGX_HTTP_WEBAUTHN_STORE_BUCKETS,
                                        1000000);

    p = ngx_slprintf(p, last,
                     "# HELP webauthn_client_failure_seconds How long a "
                     "ceremony ran in the browser before it failed.\n"
                     "# TYPE webauthn_client_failure_seconds histogram\n");

    /* only the errors that happened: 28 empty histograms say nothing */

    for (i = 0; i < 2; i++) {
        for (l = 0; l < NGX_HTTP_WEBAUTHN_CLIENT_ERRORS; l++) {
            h = sh->client[i][l];

            for (m = 0; m <= NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS; m++) {
                if (h[m]) {
                    break;
                }
            }

            if (m > NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS) {
                continue;
            }

            ngx_snprintf(labels, sizeof(labels),
                         "ceremony=\"%s\",error=\"%V\"%Z",
                         ngx_http_webauthn_ceremonies[i],
                         &ngx_http_webauthn_reasons[
                             NGX_HTTP_WEBAUTHN_CLIENT_FIRST + l]);

            p = ngx_http_webauthn_out_histogram(p, last,
                                           "webauthn_client_failure_seconds",
                                           labels, h,
                                           ngx_http_webauthn_client_bounds,
                                           NGX_HTTP_WEBAUTHN_CLIENT_BUCKETS,
                                           1000);
        }
    }

    if (p == last) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "webauthn: the metrics text did not fit its buffer");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    start = b->pos;
    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - start;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_type_lowcase = NULL;

    /* counters of right now: never from a cache */

    if (ngx_http_webauthn_add_header(r, "Cache-Control", &no_store)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static int ngx_libc_cdecl
ngx_http_webauthn_series_cmp(const void *a, const void *b)
{
    uint64_t  x, y;

    x = *(const uint64_t *) a;
    y = *(const uint64_t *) b;

    return (x < y) ? -1 : (x > y) ? 1 : 0;
}


static u_char *
ngx_http_webauthn_label(u_char *p, u_char *last,
    ngx_http_webauthn_shctx_t *sh, ngx_uint_t kind, ngx_uint_t i)
{
    u_char      *s;
    const char  *name;

#define ngx_http_webauthn_pick(t)                                             \
    (i < sizeof(t) / sizeof(t[0]) ? t[i] : "other")

    /* the reasons are ngx_str_t literals: their data is NUL-terminated */
#define ngx_http_webauthn_reason(i)                                           \
    ((i) < NGX_HTTP_WEBAUTHN_REASONS                                          \
     ? (const char *) ngx_http_webauthn_reasons[i].data : "other")

    switch (kind) {

    case NGX_HTTP_WEBAUTHN_L_CEREMONY:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_ceremonies);
        break;

    case NGX_HTTP_WEBAUTHN_L_RESULT:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_results);
        break;

    case NGX_HTTP_WEBAUTHN_L_REASON:
        name = ngx_http_webauthn_reason(i);
        break;

    case NGX_HTTP_WEBAUTHN_L_ADMIN_RESULT:
        name = (i == 0) ? "ok" : ngx_http_webauthn_reason(i);
        break;

    case NGX_HTTP_WEBAUTHN_L_REPORT:
        name = (i == 0) ? "accepted" : ngx_http_webauthn_reason(i);
        break;

    case NGX_HTTP_WEBAUTHN_L_GATE:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_gate_names);
        break;

    case NGX_HTTP_WEBAUTHN_L_LEVEL:
        name = (i < 3) ? (const char *) ngx_http_webauthn_levels[i].data
                       : "other";
        break;

    case NGX_HTTP_WEBAUTHN_L_OUTCOME:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_outcomes);
        break;

    case NGX_HTTP_WEBAUTHN_L_STORE_ERROR:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_store_errors);
        break;

    case NGX_HTTP_WEBAUTHN_L_CONNECT:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_connects);
        break;

    case NGX_HTTP_WEBAUTHN_L_ACTION:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_actions);
        break;

    case NGX_HTTP_WEBAUTHN_L_HYBRID:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_hybrids);
        break;

    case NGX_HTTP_WEBAUTHN_L_CACHE:
        name = ngx_http_webauthn_pick(ngx_http_webauthn_cache_results);
        break;

    case NGX_HTTP_WEBAUTHN_L_PLATFORM:

        if (i < NGX_HTTP_WEBAUTHN_P_ANDROID_N) {
            name = ngx_http_webauthn_platforms[i];
            break;
        }

        if (i < NGX_HTTP_WEBAUTHN_P_IOS_N) {
            return ngx_slprintf(p, last, "android-%ui",
                                i - NGX_HTTP_WEBAUTHN_P_ANDROID_N
                                + NGX_HTTP_WEBAUTHN_ANDROID_MIN);
        }

        if (i <= NGX_HTTP_WEBAUTHN_P_IOS_N + NGX_HTTP_WEBAUTHN_IOS_MAX
                 - NGX_HTTP_WEBAUTHN_IOS_MIN)
        {
            return ngx_slprintf(p, last, "ios-%ui",
                                i - NGX_HTTP_WEBAUTHN_P_IOS_N
                                + NGX_HTTP_WEBAUTHN_IOS_MIN);
        }

        name = "other";
        break;

    default: /* NGX_HTTP_WEBAUTHN_L_AUTHENTICATOR */

        if (i == 0 || i > sh->nnames) {
            name = "other";
            break;
        }

        /* an operator's name: \, " and newline escaped as the format says */

        for (s = sh->names[i]; *s && p < last; s++) {
            if (*s == '\\' || *s == '"') {
                *p++ = '\\';

                if (p == last) {
                    break;
                }
            }

            *p++ = *s;
        }

        return p;
    }

#undef ngx_http_webauthn_pick
#undef ngx_http_webauthn_reason

    return ngx_slprintf(p, last, "%s", name);
}


/* cumulative buckets, the sum in seconds, the count; labels "" or
 * 'a="x",b="y"' */

static u_char *
ngx_http_webauthn_out_histogram(u_char *p, u_char *last, const char *name,
    u_char *labels, ngx_atomic_t *h, const uint64_t *bounds, ngx_uint_t n,
    ngx_uint_t scale)
{
    uint64_t    total;
    ngx_uint_t  i;
    const char  *sep, *open, *close;

    sep = labels[0] ? "," : "";
    open = labels[0] ? "{" : "";
    close = labels[0] ? "}" : "";

    total = 0;

    for (i = 0; i < n; i++) {
        total += h[i];

        p = ngx_slprintf(p, last, "%s_bucket{%s%sle=\"", name, labels, sep);
        p = ngx_http_webauthn_out_fixed(p, last, bounds[i], scale);
        p = ngx_slprintf(p, last, "\"} %uL\n", total);
    }

    total += h[n];

    p = ngx_slprintf(p, last, "%s_bucket{%s%sle=\"+Inf\"} %uL\n",
                     name, labels, sep, total);

    p = ngx_slprintf(p, last, "%s_sum%s%s%s ", name, open, labels, close);
    p = ngx_http_webauthn_out_fixed(p, last, h[n + 1], scale);

    return ngx_slprintf(p, last, "\n%s_count%s%s%s %uL\n",
                        name, open, labels, close, total);
}


/* v / scale in decimal, without trailing zeros: 2500 / 1e6 is 0.0025 */

static u_char *
ngx_http_webauthn_out_fixed(u_char *p, u_char *last, uint64_t v,
    ngx_uint_t scale)
{
    u_char      frac[24];
    ngx_uint_t  len;

    p = ngx_slprintf(p, last, "%uL", v / scale);

    if (v % scale == 0) {
        return p;
    }

    if (scale == 1000000) {
        len = ngx_sprintf(frac, "%06uL", v % scale) - frac;

    } else {
        len = ngx_sprintf(frac, "%03uL", v % scale) - frac;
    }

    while (len && frac[len - 1] == '0') {
        len--;
    }

    return ngx_slprintf(p, last, ".%*s", len, frac);
}
