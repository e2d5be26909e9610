
/*
 * What the files of the nginx glue share: constants, the configuration
 * and request context types, and the functions one file offers the
 * others.  The wa core has its own public header, include/wa.h, and knows
 * nothing of this one.
 *
 *   ngx_http_webauthn_module.c     directives, configuration, variables
 *   ngx_http_webauthn_json.c       JSON answers and errors
 *   ngx_http_webauthn_store.c      Redis through hiredis on nginx events
 *   ngx_http_webauthn_cache.c      the worker's session cache (a table)
 *   ngx_http_webauthn_session.c    the session cookie
 *   ngx_http_webauthn_gate.c       the access phase gate
 *   ngx_http_webauthn_endpoints.c  the ceremony endpoints
 *   ngx_http_webauthn_admin.c      the admin API (recovery)
 *   ngx_http_webauthn_scripts.c    the store's Lua scripts
 *   ngx_http_webauthn_metrics.c    counters in the zone, the metrics text
 *   ngx_http_webauthn_telemetry.c  what pages report of failed ceremonies
 */


#ifndef _NGX_HTTP_WEBAUTHN_MODULE_H_INCLUDED_
#define _NGX_HTTP_WEBAUTHN_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include <wa.h>


#define NGX_HTTP_WEBAUTHN_GATE_OFF          0
#define NGX_HTTP_WEBAUTHN_GATE_PASSWORD     1
#define NGX_HTTP_WEBAUTHN_GATE_PASSKEY      2
#define NGX_HTTP_WEBAUTHN_GATE_TRANSACTION  3

#define NGX_HTTP_WEBAUTHN_UV_REQUIRED       0
#define NGX_HTTP_WEBAUTHN_UV_PREFERRED      1
#define NGX_HTTP_WEBAUTHN_UV_DISCOURAGED    2

#define NGX_HTTP_WEBAUTHN_ENROLL_PASSKEY    0
#define NGX_HTTP_WEBAUTHN_ENROLL_OPEN       1

#define NGX_HTTP_WEBAUTHN_LEVEL_NONE        0
#define NGX_HTTP_WEBAUTHN_LEVEL_PASSWORD    1
#define NGX_HTTP_WEBAUTHN_LEVEL_PASSKEY     2

/* webauthn_session_cache: the default, and the most allowed */
#define NGX_HTTP_WEBAUTHN_SESSION_CACHE     10000
#define NGX_HTTP_WEBAUTHN_SESSION_CACHE_MAX 1000000

#define NGX_HTTP_WEBAUTHN_ORIGIN_HTTPS      0
#define NGX_HTTP_WEBAUTHN_ORIGIN_DEV        1
#define NGX_HTTP_WEBAUTHN_ORIGIN_ANDROID    2

/* what a gate or an endpoint cannot work without */
#define NGX_HTTP_WEBAUTHN_NEED_RP_ID        0x01
#define NGX_HTTP_WEBAUTHN_NEED_ORIGIN       0x02
#define NGX_HTTP_WEBAUTHN_NEED_REDIS        0x04
#define NGX_HTTP_WEBAUTHN_NEED_SESSION_KEY  0x08
#define NGX_HTTP_WEBAUTHN_NEED_ZONE         0x10
#define NGX_HTTP_WEBAUTHN_NEED_IDENTITY     0x20
#define NGX_HTTP_WEBAUTHN_NEED_ADMIN_TOKEN  0x40

#define NGX_HTTP_WEBAUTHN_NEED_CEREMONY                                       \
    (NGX_HTTP_WEBAUTHN_NEED_RP_ID|NGX_HTTP_WEBAUTHN_NEED_ORIGIN               \
     |NGX_HTTP_WEBAUTHN_NEED_REDIS|NGX_HTTP_WEBAUTHN_NEED_SESSION_KEY)

#define NGX_HTTP_WEBAUTHN_NEED_SESSION                                        \
    (NGX_HTTP_WEBAUTHN_NEED_REDIS|NGX_HTTP_WEBAUTHN_NEED_SESSION_KEY)

#define NGX_HTTP_WEBAUTHN_REDIS_PORT        6379
#define NGX_HTTP_WEBAUTHN_REDIS_TIMEOUT     1000

#define NGX_HTTP_WEBAUTHN_SESSION_TTL       1800
#define NGX_HTTP_WEBAUTHN_CHALLENGE_TTL     300
#define NGX_HTTP_WEBAUTHN_GRANT_TTL         900
#define NGX_HTTP_WEBAUTHN_LOCKOUT_ATTEMPTS  5
#define NGX_HTTP_WEBAUTHN_LOCKOUT_WINDOW    900
#define NGX_HTTP_WEBAUTHN_LOCKOUT_BACKOFF   60
#define NGX_HTTP_WEBAUTHN_LOCKOUT_MAX       3600
/* the audit stream (include/wa_store_lua.h writes it) */
#define NGX_HTTP_WEBAUTHN_AUDIT_KEY         "wa:audit"
/* entries the audit stream keeps, roughly (XADD MAXLEN ~) */
#define NGX_HTTP_WEBAUTHN_AUDIT_MAX         "1000000"

#define NGX_HTTP_WEBAUTHN_RP_ID_MAX         253
#define NGX_HTTP_WEBAUTHN_LABEL_MAX         63
#define NGX_HTTP_WEBAUTHN_RP_NAME_MAX       256

#define NGX_HTTP_WEBAUTHN_SESSION_KEY_MIN   32      /* bytes */
#define NGX_HTTP_WEBAUTHN_ADMIN_TOKEN_MIN   32      /* characters */
#define NGX_HTTP_WEBAUTHN_SECRET_FILE_MAX   65536

/* base64url of a SHA-256 digest, unpadded */
#define NGX_HTTP_WEBAUTHN_APK_HASH_LEN      43

#define NGX_HTTP_WEBAUTHN_UTF8_INVALID      0xffffffff


/* what the gate decided, for the metrics; 0: it did not run */
#define NGX_HTTP_WEBAUTHN_OUTCOME_ALLOW     1
#define NGX_HTTP_WEBAUTHN_OUTCOME_READ      2
#define NGX_HTTP_WEBAUTHN_OUTCOME_REFUSE    3

/* a gate's session check, for the metrics: what the session cache did */
#define NGX_HTTP_WEBAUTHN_CACHE_HIT         0
#define NGX_HTTP_WEBAUTHN_CACHE_MISS        1
#define NGX_HTTP_WEBAUTHN_CACHE_BYPASS      2   /* on, but not trusted now */

/* store commands that got no answer, for the metrics */
#define NGX_HTTP_WEBAUTHN_STORE_UNAVAILABLE 0
#define NGX_HTTP_WEBAUTHN_STORE_TIMEOUT     1
#define NGX_HTTP_WEBAUTHN_STORE_ERROR       2
#define NGX_HTTP_WEBAUTHN_STORE_LOST        3

#define NGX_HTTP_WEBAUTHN_TELEMETRY_LIMIT   10      /* a minute */

#define NGX_HTTP_WEBAUTHN_SAMESITE_STRICT   0
#define NGX_HTTP_WEBAUTHN_SAMESITE_LAX      1
#define NGX_HTTP_WEBAUTHN_SAMESITE_NONE     2

/* the index of an endpoint in ngx_http_webauthn_endpoints */
#define NGX_HTTP_WEBAUTHN_EP_REGISTER_OPTIONS     1
#define NGX_HTTP_WEBAUTHN_EP_REGISTER             2
#define NGX_HTTP_WEBAUTHN_EP_LOGIN_OPTIONS        3
#define NGX_HTTP_WEBAUTHN_EP_LOGIN                4
#define NGX_HTTP_WEBAUTHN_EP_TRANSACTION_OPTIONS  5
#define NGX_HTTP_WEBAUTHN_EP_CREDENTIALS          6
#define NGX_HTTP_WEBAUTHN_EP_LOGOUT               7
#define NGX_HTTP_WEBAUTHN_EP_ADMIN                8
#define NGX_HTTP_WEBAUTHN_EP_METRICS              9
#define NGX_HTTP_WEBAUTHN_EP_TELEMETRY            10

/* random bytes of a challenge and of a session id */
#define NGX_HTTP_WEBAUTHN_CHALLENGE_LEN     32
#define NGX_HTTP_WEBAUTHN_SID_LEN           16
#define NGX_HTTP_WEBAUTHN_HANDLE_LEN        32

/* enrolment grants: random bytes, the longest code accepted, the digest */
#define NGX_HTTP_WEBAUTHN_GRANT_LEN         16
#define NGX_HTTP_WEBAUTHN_GRANT_MAX         64
#define NGX_HTTP_WEBAUTHN_GRANT_DIGEST_LEN  64      /* hex SHA-256 */
/* user names: what webauthn_identity may evaluate to */
#define NGX_HTTP_WEBAUTHN_USER_MAX          256


/* A session cookie, as the gate and the endpoints read it. */
typedef struct {
    ngx_str_t                   user;
    ngx_str_t                   credential;  /* base64url */
    ngx_str_t                   sid;         /* base64url */
    uint64_t                    epoch;
    time_t                      expires;
    /* from the store's record: when the passkey's probation began, or 0 */
    time_t                      probation;
} ngx_http_webauthn_session_t;


typedef struct {
    ngx_str_t                   name;        /* as written, for logs */
    ngx_str_t                   host;        /* IP address, NUL-terminated */
    ngx_str_t                   path;        /* unix socket, NUL-terminated */
    in_port_t                   port;
    ngx_uint_t                  db;
    ngx_str_t                   password;
    ngx_msec_t                  timeout;
} ngx_http_webauthn_redis_conf_t;


/* the head of the webauthn_zone (ngx_http_webauthn_metrics.c) */
typedef struct ngx_http_webauthn_shctx_s  ngx_http_webauthn_shctx_t;


typedef struct {
    ngx_http_webauthn_redis_conf_t  *redis;
    ngx_shm_zone_t                  *shm_zone;

    /* webauthn_session_cache: sessions a worker remembers, 0: off */
    ngx_uint_t                       session_cache;

    /* webauthn_aaguid_names: AAGUIDs sorted, their names, and the
     * names' label indexes in the zone */
    ngx_array_t                     *aaguids;
    ngx_array_t                     *aaguid_names;   /* ngx_str_t */
    ngx_uint_t                      *aaguid_label;
} ngx_http_webauthn_main_conf_t;


typedef struct {
    ngx_str_t                   origin;
    ngx_str_t                   host;        /* empty for android: origins */
    ngx_uint_t                  type;        /* NGX_HTTP_WEBAUTHN_ORIGIN_* */
    u_char                     *file;
    ngx_uint_t                  line;
} ngx_http_webauthn_origin_t;


typedef struct {
    ngx_str_t                   rp_id;
    ngx_str_t                   rp_name;
    ngx_array_t                *origins;     /* ngx_http_webauthn_origin_t */
    ngx_array_t                *session_keys;   /* ngx_str_t, raw bytes */
    ngx_array_t                *session_macs;   /* EVP_MAC_CTX *, keyed */
    time_t                      session_ttl;
    time_t                      challenge_ttl;

    ngx_str_t                   cookie_name;
    ngx_str_t                   cookie_path;
    ngx_str_t                   cookie_domain;
    ngx_uint_t                  cookie_samesite;
    ngx_array_t                *hints;       /* ngx_str_t */

    /* webauthn_lockout: attempts 0 is off */
    ngx_uint_t                  lockout_attempts;
    time_t                      lockout_window;
    time_t                      lockout_backoff;
    time_t                      lockout_max;

    /* what the wa core checks a ceremony against: rp_id and the origins,
     * NUL-terminated; require_uv is set per location */
    wa_policy_t                 policy;
} ngx_http_webauthn_srv_conf_t;


typedef struct {
    ngx_http_complex_value_t   *identity;
    ngx_uint_t                  user_verification;
    ngx_uint_t                  enroll;
    ngx_uint_t                  gate;
    ngx_flag_t                  fallback_read;
    ngx_array_t                *admin_tokens;   /* ngx_str_t, SHA-256 */
    time_t                      probation;
    time_t                      grant_ttl;
    ngx_uint_t                  telemetry_limit;   /* reports a minute */

    /* an index in ngx_http_webauthn_endpoints, never inherited */
    ngx_uint_t                  endpoint;

    /* where the gate and the endpoint were set, for merge-time errors */
    u_char                     *gate_file;
    ngx_uint_t                  gate_line;
    u_char                     *endpoint_file;
    ngx_uint_t                  endpoint_line;
} ngx_http_webauthn_loc_conf_t;


typedef struct {
    ngx_uint_t                  level;       /* NGX_HTTP_WEBAUTHN_LEVEL_* */
    ngx_str_t                   user;
    ngx_str_t                   credential;
    ngx_str_t                   reason;
    ngx_str_t                   aaguid;

    /* the access phase gate, across its store round trip */
    ngx_http_webauthn_session_t  session;
    ngx_str_t                   identity;
    unsigned                    gate_pending:1;
    unsigned                    gate_done:1;
    ngx_int_t                   gate_rc;

    /* refusals carry "fallback":"read" */
    unsigned                    fallback_read:1;

    /* for the metrics: what the gate decided (NGX_HTTP_WEBAUTHN_OUTCOME_*),
     * which admin action was asked for (1 + its index, 0 unknown) */
    ngx_uint_t                  gate_outcome;
    ngx_uint_t                  admin_action;

    /* the state of an endpoint (ngx_http_webauthn_endpoints.c) */
    void                       *endpoint;
} ngx_http_webauthn_ctx_t;


typedef struct {
    ngx_str_t                   name;
    ngx_uint_t                  needs;       /* NGX_HTTP_WEBAUTHN_NEED_* */
} ngx_http_webauthn_endpoint_t;


/* ngx_http_webauthn_module.c */

extern ngx_module_t  ngx_http_webauthn_module;
extern ngx_conf_enum_t  ngx_http_webauthn_gates[];
extern ngx_str_t  ngx_http_webauthn_levels[];
extern ngx_http_webauthn_endpoint_t  ngx_http_webauthn_endpoints[];

ngx_http_webauthn_ctx_t *ngx_http_webauthn_get_ctx(ngx_http_request_t *r);
ngx_table_elt_t *ngx_http_webauthn_header_in(ngx_http_request_t *r,
    const char *name, ngx_uint_t *n);


/* ngx_http_webauthn_json.c */

/* A JSON text under construction, in the request pool. */
typedef struct {
    ngx_http_request_t         *r;
    u_char                     *start;
    u_char                     *pos;
    u_char                     *end;
    ngx_uint_t                  failed;      /* out of memory */
} ngx_http_webauthn_out_t;

void ngx_http_webauthn_out_init(ngx_http_webauthn_out_t *o,
    ngx_http_request_t *r, size_t size);
void ngx_http_webauthn_out_raw(ngx_http_webauthn_out_t *o, const char *s);
void ngx_http_webauthn_out_json(ngx_http_webauthn_out_t *o, u_char *s,
    size_t len);
void ngx_http_webauthn_out_str(ngx_http_webauthn_out_t *o, u_char *s,
    size_t len);
void ngx_http_webauthn_out_int(ngx_http_webauthn_out_t *o, int64_t n);

/*
 * Sends the text as application/json with the given status; Set-Cookie
 * when cookie is not NULL.  Returns what a content handler returns.
 */
ngx_int_t ngx_http_webauthn_send_json(ngx_http_request_t *r,
    ngx_uint_t status, ngx_http_webauthn_out_t *o, ngx_str_t *cookie);

/*
 * Sends {"error":code,"message":message,"action":action} (action may be
 * NULL), plus "fallback":"read" when the request context says so, as
 * application/json with the given status, and records code as
 * $webauthn_reason.  code is one of the stable codes of docs/errors.md;
 * message and action are escaped.  Returns what a content handler
 * returns.
 */
ngx_int_t ngx_http_webauthn_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message,
    const char *action);

uintptr_t ngx_http_webauthn_escape_json(u_char *dst, u_char *src,
    size_t size);

/* a response header; name and value must live as long as the request */
ngx_int_t ngx_http_webauthn_add_header(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);

/* one UTF-8 character, or NGX_HTTP_WEBAUTHN_UTF8_INVALID */
uint32_t ngx_http_webauthn_utf8_next(u_char **p, u_char *last);


/* ngx_http_webauthn_store.c */

/*
 * Called once per command: with the reply, or with NULL when the store
 * could not answer (not connected, an error, the timeout).  The reply is
 * freed when the handler returns.  Never called from within
 * ngx_http_webauthn_store_command() itself.
 */
typedef void (*ngx_http_webauthn_store_pt)(ngx_http_request_t *r,
    void *data, redisReply *reply);

/* the Lua scripts, run by EVALSHA (EVAL when Redis does not know them) */
#define NGX_HTTP_WEBAUTHN_SCRIPT_NONE       0
#define NGX_HTTP_WEBAUTHN_SCRIPT_USER       1
#define NGX_HTTP_WEBAUTHN_SCRIPT_REG_BEGIN  2
#define NGX_HTTP_WEBAUTHN_SCRIPT_REGISTER   3
#define NGX_HTTP_WEBAUTHN_SCRIPT_LOGIN_BEGIN  4
#define NGX_HTTP_WEBAUTHN_SCRIPT_LOGIN      5
#define NGX_HTTP_WEBAUTHN_SCRIPT_REVOKE     6
#define NGX_HTTP_WEBAUTHN_SCRIPT_FAIL       7
#define NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_USER   8
#define NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_RESET  9
#define NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_GRANT  10
#define NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_UNLOCK 11
#define NGX_HTTP_WEBAUTHN_SCRIPT_ROLLBACK   12

/* ngx_http_webauthn_scripts.c: the texts, and their SHA-1 once computed */
typedef struct {
    const char                      *text;
    u_char                           sha[41];
} ngx_http_webauthn_script_t;

extern ngx_http_webauthn_script_t  ngx_http_webauthn_scripts[];
extern ngx_uint_t  ngx_http_webauthn_nscripts;

/*
 * Sends a command (argv as redisAsyncCommandArgv() takes it) or, with a
 * script, EVALSHA sha nkeys argv...; the handler gets the reply later.
 * r may be NULL: a command no request waits for (still ordered before
 * every later command), with no timer; its handler, if not NULL, is called
 * with r NULL and the reply, or NULL when the connection went.
 * NGX_DECLINED: the store is not connected now; NGX_ERROR: no memory.
 */
ngx_int_t ngx_http_webauthn_store_command(ngx_http_request_t *r,
    ngx_http_webauthn_store_pt handler, void *data, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen);

/*
 * The MGET of keys the session cache keeps: NGX_OK with every value in
 * values (data NULL for a key that does not exist) when all are cached and
 * the cache can be trusted now, NGX_DECLINED otherwise.
 */
ngx_int_t ngx_http_webauthn_store_cached(ngx_uint_t n, ngx_str_t *keys,
    ngx_str_t *values);

/*
 * ngx_http_webauthn_store_command() for "MGET key...", whose answer the
 * session cache keeps (when it is on) and Redis then tracks.
 */
ngx_int_t ngx_http_webauthn_store_mget_cached(ngx_http_request_t *r,
    ngx_http_webauthn_store_pt handler, void *data, int argc,
    const char **argv, const size_t *argvlen);

ngx_int_t ngx_http_webauthn_store_init_process(ngx_cycle_t *cycle);
void ngx_http_webauthn_store_exit_process(ngx_cycle_t *cycle);


/* ngx_http_webauthn_cache.c */

typedef struct ngx_http_webauthn_cache_s  ngx_http_webauthn_cache_t;

ngx_http_webauthn_cache_t *ngx_http_webauthn_cache_create(ngx_uint_t max,
    ngx_log_t *log);
void ngx_http_webauthn_cache_destroy(ngx_http_webauthn_cache_t *cache);
ngx_int_t ngx_http_webauthn_cache_get(ngx_http_webauthn_cache_t *cache,
    u_char *key, size_t len, ngx_str_t *value);
void ngx_http_webauthn_cache_put(ngx_http_webauthn_cache_t *cache,
    u_char *key, size_t len, ngx_str_t *value);
void ngx_http_webauthn_cache_delete(ngx_http_webauthn_cache_t *cache,
    u_char *key, size_t len);
void ngx_http_webauthn_cache_flush(ngx_http_webauthn_cache_t *cache);
ngx_uint_t ngx_http_webauthn_cache_size(ngx_http_webauthn_cache_t *cache);


/* ngx_http_webauthn_session.c */

/*
 * Reads and checks the session cookie: NGX_OK with s filled (the mac and
 * the expiry are checked, not the store), NGX_DECLINED when there is none,
 * NGX_ABORT when it is expired, NGX_ERROR when it is forged or malformed.
 */
ngx_int_t ngx_http_webauthn_session_get(ngx_http_request_t *r,
    ngx_http_webauthn_session_t *s);
ngx_int_t ngx_http_webauthn_session_init_process(ngx_cycle_t *cycle);
void ngx_http_webauthn_session_exit_process(void);
ngx_int_t ngx_http_webauthn_session_cookie(ngx_http_request_t *r,
    ngx_http_webauthn_session_t *s, ngx_str_t *cookie);
ngx_int_t ngx_http_webauthn_session_clear_cookie(ngx_http_request_t *r,
    ngx_str_t *cookie);
char *ngx_http_webauthn_session_macs(ngx_conf_t *cf, ngx_array_t *keys,
    ngx_array_t **macs);
ngx_int_t ngx_http_webauthn_session_lookup(ngx_http_request_t *r,
    ngx_http_webauthn_session_t *s, ngx_http_webauthn_store_pt handler,
    void *data, ngx_uint_t cached);
ngx_int_t ngx_http_webauthn_session_valid(ngx_http_webauthn_session_t *s,
    redisReply *reply);

/* "wa:{u:<base64url of user>}:<suffix>" in the request pool */
ngx_int_t ngx_http_webauthn_user_key(ngx_http_request_t *r, ngx_str_t *user,
    const char *suffix, ngx_str_t *extra, ngx_str_t *key);
ngx_int_t ngx_http_webauthn_b64url(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_str_t *out);
ngx_int_t ngx_http_webauthn_random(u_char *p, size_t len);
ngx_int_t ngx_http_webauthn_parse_uint(u_char *p, size_t len,
    uint64_t *out);


/* ngx_http_webauthn_gate.c */

ngx_int_t ngx_http_webauthn_access_handler(ngx_http_request_t *r);


/* ngx_http_webauthn_metrics.c */

char *ngx_http_webauthn_aaguid_names(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_webauthn_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
ngx_int_t ngx_http_webauthn_metrics_init_process(ngx_cycle_t *cycle);
void ngx_http_webauthn_metrics_exit_process(void);
ngx_int_t ngx_http_webauthn_metrics_log_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_webauthn_metrics_handler(ngx_http_request_t *r);

/* the zone in this worker: the pool NULL without webauthn_zone */
ngx_slab_pool_t *ngx_http_webauthn_metrics_pool(void);
ngx_rbtree_t *ngx_http_webauthn_metrics_rbtree(void);
ngx_queue_t *ngx_http_webauthn_metrics_queue(void);

ngx_uint_t ngx_http_webauthn_metric_reason(u_char *p, size_t len);
ngx_uint_t ngx_http_webauthn_metric_client_error(u_char *p, size_t len);
ngx_uint_t ngx_http_webauthn_metric_platform(ngx_http_request_t *r);
void ngx_http_webauthn_metric_store_latency(uint64_t us);
void ngx_http_webauthn_metric_store_error(ngx_uint_t kind);
void ngx_http_webauthn_metric_store_state(ngx_uint_t connected,
    ngx_uint_t made);
void ngx_http_webauthn_metric_lockout(void);
void ngx_http_webauthn_metric_session_cache(ngx_uint_t result);
void ngx_http_webauthn_metric_client(ngx_http_request_t *r,
    ngx_uint_t ceremony, ngx_uint_t error, ngx_uint_t hybrid,
    ngx_int_t elapsed);


/* ngx_http_webauthn_telemetry.c */

ngx_int_t ngx_http_webauthn_telemetry_handler(ngx_http_request_t *r);


/* ngx_http_webauthn_endpoints.c */

ngx_int_t ngx_http_webauthn_endpoint_handler(ngx_http_request_t *r);
void ngx_http_webauthn_endpoints_exit_process(void);

/* ngx_http_webauthn_endpoints.c, also used by ngx_http_webauthn_admin.c */

/* the most arguments a command has (SCRIPT_REGISTER 37) */
#define NGX_HTTP_WEBAUTHN_ARGS_MAX          40

/*
 * The arguments of one store command, collected with the args functions:
 * the first failure (no memory, too many) is remembered and reported by
 * ngx_http_webauthn_ep_send(), so that building one needs no checks.
 */
typedef struct {
    ngx_http_request_t             *r;
    int                             n;
    ngx_uint_t                      failed;
    const char                     *v[NGX_HTTP_WEBAUTHN_ARGS_MAX];
    size_t                          len[NGX_HTTP_WEBAUTHN_ARGS_MAX];
} ngx_http_webauthn_args_t;

void ngx_http_webauthn_args_init(ngx_http_webauthn_args_t *a,
    ngx_http_request_t *r);
/* p must live until the command is sent: the store copies it then */
void ngx_http_webauthn_args_add(ngx_http_webauthn_args_t *a, const void *p,
    size_t len);
void ngx_http_webauthn_args_lit(ngx_http_webauthn_args_t *a, const char *s);
void ngx_http_webauthn_args_str(ngx_http_webauthn_args_t *a, ngx_str_t *s);
void ngx_http_webauthn_args_int(ngx_http_webauthn_args_t *a, int64_t n);
void ngx_http_webauthn_args_user_key(ngx_http_webauthn_args_t *a,
    ngx_str_t *user, const char *suffix, ngx_str_t *extra);
void ngx_http_webauthn_args_tag_key(ngx_http_webauthn_args_t *a,
    const char *tag, ngx_str_t *s);
/*
 * Sends the command; its answer goes to handler.  On a failure the request
 * is answered (500, or 503 store_unavailable) and NGX_ERROR returned.
 */
ngx_int_t ngx_http_webauthn_ep_send(ngx_http_webauthn_args_t *a,
    ngx_http_webauthn_store_pt handler, void *data, ngx_uint_t script,
    int nkeys);
/* a command nobody waits for, still sent before every later one */
void ngx_http_webauthn_args_forget(ngx_http_webauthn_args_t *a);

/*
 * The request body in one piece, NUL-terminated (from memory or its
 * temporary file): NGX_OK, or NGX_DONE when the request was answered
 * (413 payload_too_large with the message too_large over max, or 500).
 */
ngx_int_t ngx_http_webauthn_read_body(ngx_http_request_t *r, ngx_str_t *body,
    size_t max, const char *too_large);
/* NGX_OK when the Content-Type is application/json */
ngx_int_t ngx_http_webauthn_check_type(ngx_http_request_t *r);

/* a comma-separated transports text as a JSON array of strings */
void ngx_http_webauthn_out_transports(ngx_http_webauthn_out_t *o, u_char *p,
    size_t len);

/*
 * Refusals before the body is read, for a content handler to return: the
 * body is discarded, the action is "none".
 */
ngx_int_t ngx_http_webauthn_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message);
ngx_int_t ngx_http_webauthn_not_allowed(ngx_http_request_t *r,
    ngx_str_t *allow);

/* answers the request with the error and finalizes it */
void ngx_http_webauthn_ep_fail(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, const char *action);
void ngx_http_webauthn_ep_store_failed(ngx_http_request_t *r, ngx_int_t rc);
ngx_int_t ngx_http_webauthn_reply_str(redisReply *rr, ngx_str_t *s);
ngx_uint_t ngx_http_webauthn_reply_is(redisReply *rr, const char *s);
/* a copy of a string reply in the request pool */
ngx_int_t ngx_http_webauthn_reply_dup(ngx_http_request_t *r, redisReply *rr,
    ngx_str_t *s);


/* ngx_http_webauthn_admin.c */

ngx_int_t ngx_http_webauthn_admin_handler(ngx_http_request_t *r);
/* the hex SHA-256 of a grant's code, as the store keeps it */
ngx_int_t ngx_http_webauthn_grant_digest(ngx_str_t *code, u_char *hex);


#endif /* _NGX_HTTP_WEBAUTHN_MODULE_H_INCLUDED_ */
