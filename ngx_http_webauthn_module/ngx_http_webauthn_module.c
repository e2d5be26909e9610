
/*
 * ngx_http_webauthn_module: WebAuthn passkeys in front of HTTP locations.
 *
 * This file holds the directives, their validation at configuration time,
 * the shared memory zone, the request context and its variables; the
 * other ngx_http_webauthn_*.c files are listed in ngx_http_webauthn_module.h.
 * Passkey verification itself lives in the wa core (include/wa.h) and
 * knows nothing of nginx.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_http_webauthn_module.h"


typedef struct {
    ngx_conf_post_handler_pt    post_handler;
    time_t                      low;
    time_t                      high;
    char                       *text;        /* the range, for messages */
} ngx_http_webauthn_sec_bounds_t;


/* a "number | off" directive: its range and what the number counts */
typedef struct {
    ngx_int_t                   max;
    char                       *what;        /* "telemetry limit" */
    char                       *unit;        /* "reports a minute" */
} ngx_http_webauthn_count_t;


/* One line of a secrets file: NGX_OK with out set, or NGX_ERROR with a
 * message in err (NGX_MAX_ERROR_STR bytes). */
typedef ngx_int_t (*ngx_http_webauthn_secret_pt)(ngx_conf_t *cf,
    u_char *p, size_t len, ngx_str_t *out, u_char *err);


static ngx_int_t ngx_http_webauthn_level_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webauthn_string_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static char *ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_redis_address(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value);
static ngx_int_t ngx_http_webauthn_parse_port(u_char *p, size_t len,
    in_port_t *port);
static char *ngx_http_webauthn_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_rp_id(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static const char *ngx_http_webauthn_check_domain(ngx_str_t *name);
static char *ngx_http_webauthn_rp_name(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_parse_origin(ngx_conf_t *cf,
    ngx_str_t *value, ngx_http_webauthn_origin_t *origin);
static ngx_int_t ngx_http_webauthn_check_apk_hash(u_char *p, size_t len);
static char *ngx_http_webauthn_session_key(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webauthn_session_key_line(ngx_conf_t *cf,
    u_char *p, size_t len, ngx_str_t *out, u_char *err);
static char *ngx_http_webauthn_admin_token(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webauthn_admin_token_line(ngx_conf_t *cf,
    u_char *p, size_t len, ngx_str_t *out, u_char *err);
static char *ngx_http_webauthn_read_secrets(ngx_conf_t *cf, ngx_str_t *name,
    ngx_http_webauthn_secret_pt parse, ngx_array_t **secrets);
static void ngx_http_webauthn_zero_secrets(void *data);
static char *ngx_http_webauthn_identity(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_set_enum(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_check_sec_bounds(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_webauthn_gate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

static char *ngx_http_webauthn_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_hints(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_count(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_webauthn_lockout(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_webauthn_init_process(ngx_cycle_t *cycle);
static void ngx_http_webauthn_exit_process(ngx_cycle_t *cycle);
static char *ngx_http_webauthn_init_policy(ngx_conf_t *cf,
    ngx_http_webauthn_srv_conf_t *conf);
static u_char *ngx_http_webauthn_strdup0(ngx_pool_t *pool, ngx_str_t *s);

static ngx_int_t ngx_http_webauthn_add_variables(ngx_conf_t *cf);
static void *ngx_http_webauthn_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_webauthn_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child);
static void *ngx_http_webauthn_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_webauthn_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_webauthn_check_needs(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *conf, ngx_uint_t needs, ngx_str_t *what,
    u_char *file, ngx_uint_t line);
static ngx_int_t ngx_http_webauthn_init(ngx_conf_t *cf);


static ngx_conf_enum_t  ngx_http_webauthn_uv[] = {
    { ngx_string("required"), NGX_HTTP_WEBAUTHN_UV_REQUIRED },
    { ngx_string("preferred"), NGX_HTTP_WEBAUTHN_UV_PREFERRED },
    { ngx_string("discouraged"), NGX_HTTP_WEBAUTHN_UV_DISCOURAGED },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_webauthn_enroll[] = {
    { ngx_string("passkey"), NGX_HTTP_WEBAUTHN_ENROLL_PASSKEY },
    { ngx_string("open"), NGX_HTTP_WEBAUTHN_ENROLL_OPEN },
    { ngx_null_string, 0 }
};


/* indexed by NGX_HTTP_WEBAUTHN_GATE_* */
ngx_conf_enum_t  ngx_http_webauthn_gates[] = {
    { ngx_string("off"), NGX_HTTP_WEBAUTHN_GATE_OFF },
    { ngx_string("password"), NGX_HTTP_WEBAUTHN_GATE_PASSWORD },
    { ngx_string("passkey"), NGX_HTTP_WEBAUTHN_GATE_PASSKEY },
    { ngx_string("transaction"), NGX_HTTP_WEBAUTHN_GATE_TRANSACTION },
    { ngx_null_string, 0 }
};


/* indexed by NGX_HTTP_WEBAUTHN_LEVEL_*: the values of $webauthn_level */
ngx_str_t  ngx_http_webauthn_levels[] = {
    ngx_string("none"),
    ngx_string("password"),
    ngx_string("passkey")
};


/* Index 0 means "no endpoint": a location's endpoint is an index here. */
ngx_http_webauthn_endpoint_t  ngx_http_webauthn_endpoints[] = {
    { ngx_null_string, 0 },
    { ngx_string("register_options"), NGX_HTTP_WEBAUTHN_NEED_CEREMONY },
    { ngx_string("register"), NGX_HTTP_WEBAUTHN_NEED_CEREMONY },
    { ngx_string("login_options"), NGX_HTTP_WEBAUTHN_NEED_CEREMONY },
    { ngx_string("login"), NGX_HTTP_WEBAUTHN_NEED_CEREMONY },
    { ngx_string("transaction_options"), NGX_HTTP_WEBAUTHN_NEED_CEREMONY },
    { ngx_string("credentials"), NGX_HTTP_WEBAUTHN_NEED_SESSION },
    { ngx_string("logout"), NGX_HTTP_WEBAUTHN_NEED_SESSION },
    { ngx_string("admin"), NGX_HTTP_WEBAUTHN_NEED_REDIS
                           |NGX_HTTP_WEBAUTHN_NEED_ADMIN_TOKEN },
    { ngx_string("metrics"), NGX_HTTP_WEBAUTHN_NEED_ZONE },
    { ngx_string("telemetry"), NGX_HTTP_WEBAUTHN_NEED_ZONE
                               |NGX_HTTP_WEBAUTHN_NEED_ORIGIN },
    { ngx_null_string, 0 }
};


static ngx_http_webauthn_sec_bounds_t  ngx_http_webauthn_session_ttl_bounds =
    { ngx_http_webauthn_check_sec_bounds, 60, 30 * 86400, "1m and 30d" };

static ngx_http_webauthn_sec_bounds_t  ngx_http_webauthn_challenge_ttl_bounds =
    { ngx_http_webauthn_check_sec_bounds, 10, 3600, "10s and 1h" };

static ngx_http_webauthn_sec_bounds_t  ngx_http_webauthn_probation_bounds =
    { ngx_http_webauthn_check_sec_bounds, 0, 365 * 86400, "0 and 365d" };

static ngx_http_webauthn_sec_bounds_t  ngx_http_webauthn_grant_ttl_bounds =
    { ngx_http_webauthn_check_sec_bounds, 60, 30 * 86400, "1m and 30d" };


static ngx_http_webauthn_count_t  ngx_http_webauthn_telemetry_count = {
    10000, "telemetry limit", "reports a minute"
};

static ngx_http_webauthn_count_t  ngx_http_webauthn_session_cache_count = {
    NGX_HTTP_WEBAUTHN_SESSION_CACHE_MAX, "session cache size",
    "a number of sessions"
};


static ngx_command_t  ngx_http_webauthn_commands[] = {

    { ngx_string("webauthn_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_rp_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_rp_id,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_webauthn_srv_conf_t, rp_id),
      NULL },

    { ngx_string("webauthn_rp_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_rp_name,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_webauthn_srv_conf_t, rp_name),
      NULL },

    { ngx_string("webauthn_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_origin,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_session_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_session_key,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_session_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_webauthn_srv_conf_t, session_ttl),
      &ngx_http_webauthn_session_ttl_bounds },

    { ngx_string("webauthn_session_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_cookie,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_hints"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_hints,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_challenge_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_webauthn_srv_conf_t, challenge_ttl),
      &ngx_http_webauthn_challenge_ttl_bounds },

    { ngx_string("webauthn_identity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_identity,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_user_verification"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, user_verification),
      &ngx_http_webauthn_uv },

    { ngx_string("webauthn_enroll"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_set_enum,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, enroll),
      &ngx_http_webauthn_enroll },

    { ngx_string("webauthn_gate"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_webauthn_gate,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_endpoint"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_endpoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_admin_token"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_admin_token,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_probation"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, probation),
      &ngx_http_webauthn_probation_bounds },

    { ngx_string("webauthn_grant_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, grant_ttl),
      &ngx_http_webauthn_grant_ttl_bounds },

    { ngx_string("webauthn_lockout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_webauthn_lockout,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_aaguid_names"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_aaguid_names,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webauthn_telemetry_limit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_count,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webauthn_loc_conf_t, telemetry_limit),
      &ngx_http_webauthn_telemetry_count },

    { ngx_string("webauthn_session_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_webauthn_count,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_webauthn_main_conf_t, session_cache),
      &ngx_http_webauthn_session_cache_count },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webauthn_module_ctx = {
    ngx_http_webauthn_add_variables,       /* preconfiguration */
    ngx_http_webauthn_init,                /* postconfiguration */

    ngx_http_webauthn_create_main_conf,    /* create main configuration */
    ngx_http_webauthn_init_main_conf,      /* init main configuration */

    ngx_http_webauthn_create_srv_conf,     /* create server configuration */
    ngx_http_webauthn_merge_srv_conf,      /* merge server configuration */

    ngx_http_webauthn_create_loc_conf,     /* create location configuration */
    ngx_http_webauthn_merge_loc_conf       /* merge location configuration */
};


ngx_module_t  ngx_http_webauthn_module = {
    NGX_MODULE_V1,
    &ngx_http_webauthn_module_ctx,         /* module context */
    ngx_http_webauthn_commands,            /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_webauthn_init_process,        /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_webauthn_exit_process,        /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_webauthn_vars[] = {

    { ngx_string("webauthn_user"), NULL,
      ngx_http_webauthn_string_variable,
      offsetof(ngx_http_webauthn_ctx_t, user),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_level"), NULL,
      ngx_http_webauthn_level_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_credential"), NULL,
      ngx_http_webauthn_string_variable,
      offsetof(ngx_http_webauthn_ctx_t, credential),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_reason"), NULL,
      ngx_http_webauthn_string_variable,
      offsetof(ngx_http_webauthn_ctx_t, reason),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webauthn_aaguid"), NULL,
      ngx_http_webauthn_string_variable,
      offsetof(ngx_http_webauthn_ctx_t, aaguid),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_http_webauthn_ctx_t *
ngx_http_webauthn_get_ctx(ngx_http_request_t *r)
{
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webauthn_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        /* ngx_pcalloc() set level to NGX_HTTP_WEBAUTHN_LEVEL_NONE */

        ngx_http_set_ctx(r, ctx, ngx_http_webauthn_module);
    }

    return ctx;
}


/*
 * A request header that nginx keeps no pointer to (Origin, the Client
 * Hints), by name, case-insensitively: the first one, or NULL; *n, when
 * n is not NULL, is set to how many the request has.
 */

ngx_table_elt_t *
ngx_http_webauthn_header_in(ngx_http_request_t *r, const char *name,
    ngx_uint_t *n)
{
    size_t            len;
    ngx_uint_t        i, count;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    len = ngx_strlen(name);
    found = NULL;
    count = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            if (found == NULL) {
                found = &h[i];
            }

            count++;
        }
    }

    if (n) {
        *n = count;
    }

    return found;
}


/* variables: computed from the request context, "none" or not found until
 * the gate or an endpoint has set something */


static ngx_int_t
ngx_http_webauthn_level_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                *level;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webauthn_module);

    level = &ngx_http_webauthn_levels[ctx ? ctx->level
                                          : NGX_HTTP_WEBAUTHN_LEVEL_NONE];

    v->len = level->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = level->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_string_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                *s;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webauthn_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


/* shared memory */


/* directives */


/*
 * webauthn_redis 127.0.0.1:6379 | [::1]:6379 | unix:/path
 *                [db=N] [password=...] [timeout=time];
 *
 * Host names are refused: resolving them with the system resolver would
 * block a worker, and the store connects from workers.
 */

static char *
ngx_http_webauthn_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    ngx_int_t                        n;
    ngx_str_t                       *value, s;
    ngx_uint_t                       i;
    ngx_http_webauthn_redis_conf_t  *rcf;

    if (wmcf->redis) {
        return "is duplicate";
    }

    rcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_redis_conf_t));
    if (rcf == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_http_webauthn_redis_address(cf, rcf, &value[1]) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    rcf->db = NGX_CONF_UNSET_UINT;
    rcf->timeout = NGX_CONF_UNSET_MSEC;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {

            if (rcf->db != NGX_CONF_UNSET_UINT) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"db\" parameter");
                return NGX_CONF_ERROR;
            }

            n = ngx_atoi(value[i].data + 3, value[i].len - 3);

            if (n == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\", the database must be "
                                   "a non-negative number", &value[i]);
                return NGX_CONF_ERROR;
            }

            rcf->db = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {

            if (rcf->password.data) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"password\" parameter");
                return NGX_CONF_ERROR;
            }

            rcf->password.len = value[i].len - 9;
            rcf->password.data = value[i].data + 9;

            if (rcf->password.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "empty \"password\" parameter");
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {

            if (rcf->timeout != NGX_CONF_UNSET_MSEC) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate \"timeout\" parameter");
                return NGX_CONF_ERROR;
            }

            s.len = value[i].len - 8;
            s.data = value[i].data + 8;

            n = ngx_parse_time(&s, 0);

            if (n == NGX_ERROR || n == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\", the timeout must be "
                                   "a positive time, like 500ms or 2s",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            rcf->timeout = (ngx_msec_t) n;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\", use db=, password= "
                           "or timeout=", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (rcf->db == NGX_CONF_UNSET_UINT) {
        rcf->db = 0;
    }

    if (rcf->timeout == NGX_CONF_UNSET_MSEC) {
        rcf->timeout = NGX_HTTP_WEBAUTHN_REDIS_TIMEOUT;
    }

    wmcf->redis = rcf;

    return NGX_CONF_OK;
}


static char *
ngx_http_webauthn_redis_address(ngx_conf_t *cf,
    ngx_http_webauthn_redis_conf_t *rcf, ngx_str_t *value)
{
    u_char     *p, *last, *colon;
    size_t      len;
    ngx_str_t   host;
#if (NGX_HAVE_INET6)
    u_char      addr6[16];
#endif
#if (NGX_HAVE_UNIX_DOMAIN)
    struct sockaddr_un  *saun;
#endif

    rcf->name = *value;
    rcf->port = NGX_HTTP_WEBAUTHN_REDIS_PORT;

    p = value->data;
    last = p + value->len;

    if (value->len >= 5 && ngx_strncmp(p, "unix:", 5) == 0) {

#if (NGX_HAVE_UNIX_DOMAIN)

        len = value->len - 5;

        if (len == 0 || p[5] != '/') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", the unix "
                               "socket path must be absolute", value);
            return NGX_CONF_ERROR;
        }

        if (len >= sizeof(saun->sun_path)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", the unix "
                               "socket path is too long", value);
            return NGX_CONF_ERROR;
        }

        rcf->path.len = len;
        rcf->path.data = ngx_pnalloc(cf->pool, len + 1);
        if (rcf->path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(rcf->path.data, p + 5, len);
        rcf->path.data[len] = '\0';
        rcf->port = 0;

        return NGX_CONF_OK;

#else

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unix domain sockets are not supported "
                           "on this platform");
        return NGX_CONF_ERROR;

#endif
    }

    if (*p == '[') {

        colon = ngx_strlchr(p, last, ']');

        if (colon == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", "
                               "no closing \"]\"", value);
            return NGX_CONF_ERROR;
        }

        host.data = p + 1;
        host.len = colon - host.data;

#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(host.data, host.len, addr6) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", \"%V\" is "
                               "not an IPv6 address", value, &host);
            return NGX_CONF_ERROR;
        }
#else
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid redis address \"%V\", IPv6 is not "
                           "supported on this platform", value);
        return NGX_CONF_ERROR;
#endif

        p = colon + 1;

        if (p < last) {
            if (*p != ':'
                || ngx_http_webauthn_parse_port(p + 1, last - p - 1,
                                                &rcf->port)
                   != NGX_OK)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid redis address \"%V\", "
                                   "invalid port", value);
                return NGX_CONF_ERROR;
            }
        }

    } else {

        colon = ngx_strlchr(p, last, ':');

        if (colon && ngx_strlchr(colon + 1, last, ':')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", write IPv6 "
                               "addresses in brackets, like [::1]:6379",
                               value);
            return NGX_CONF_ERROR;
        }

        host.data = p;
        host.len = (colon ? colon : last) - p;

        if (host.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", no address",
                               value);
            return NGX_CONF_ERROR;
        }

        if (ngx_inet_addr(host.data, host.len) == INADDR_NONE) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\": use an IP "
                               "address or unix: socket, name resolution "
                               "would block", value);
            return NGX_CONF_ERROR;
        }

        if (colon
            && ngx_http_webauthn_parse_port(colon + 1, last - colon - 1,
                                            &rcf->port)
               != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid redis address \"%V\", invalid port",
                               value);
            return NGX_CONF_ERROR;
        }
    }

    rcf->host.len = host.len;
    rcf->host.data = ngx_pnalloc(cf->pool, host.len + 1);
    if (rcf->host.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(rcf->host.data, host.data, host.len);
    rcf->host.data[host.len] = '\0';

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webauthn_parse_port(u_char *p, size_t len, in_port_t *port)
{
    ngx_int_t  n;

    if (len == 0 || len > 5 || *p == '0') {
        return NGX_ERROR;
    }

    n = ngx_atoi(p, len);

    if (n < 1 || n > 65535) {
        return NGX_ERROR;
    }

    *port = (in_port_t) n;

    return NGX_OK;
}


/* webauthn_zone name:size; */

static char *
ngx_http_webauthn_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_main_conf_t *wmcf = conf;

    u_char     *p;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (wmcf->shm_zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\", use name:size, "
                           "like webauthn:10m", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is too small, "
                           "it must be at least %uz bytes",
                           &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    wmcf->shm_zone = ngx_shared_memory_add(cf, &name, size,
                                           &ngx_http_webauthn_module);
    if (wmcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (wmcf->shm_zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is already used", &name);
        return NGX_CONF_ERROR;
    }

    wmcf->shm_zone->init = ngx_http_webauthn_metrics_init_zone;
    wmcf->shm_zone->data = wmcf;

    return NGX_CONF_OK;
}


/* webauthn_rp_id example.com; */

static char *
ngx_http_webauthn_rp_id(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    ngx_str_t   *value;
    const char  *err;

    if (wscf->rp_id.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    err = ngx_http_webauthn_check_domain(&value[1]);

    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_rp_id \"%V\": %s",
                           &value[1], err);
        return NGX_CONF_ERROR;
    }

    wscf->rp_id = value[1];

    return NGX_CONF_OK;
}


/*
 * A WebAuthn RP ID, or the host of an https origin: a lowercase domain name
 * as browsers serialize it (IDNs in their xn-- form).  Returns NULL or why
 * the name is refused.
 */

static const char *
ngx_http_webauthn_check_domain(ngx_str_t *name)
{
    u_char      *p, *last, *label;
    ngx_uint_t   digits;
#if (NGX_HAVE_INET6)
    u_char       addr6[16];
#endif

    if (name->len == 0) {
        return "it is empty";
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(name->data, name->len, addr6) == NGX_OK) {
        return "it is an IP address, a domain name is required";
    }
#endif

    if (name->len > NGX_HTTP_WEBAUTHN_RP_ID_MAX) {
        return "it is longer than 253 characters";
    }

    last = name->data + name->len;

    if (last[-1] == '.') {
        return "it must not end with a dot";
    }

    label = name->data;
    digits = 1;

    for (p = name->data; p < last; p++) {

        if (*p >= 'A' && *p <= 'Z') {
            return "it must be lowercase";
        }

        if (*p == ':' || *p == '/' || *p == '[' || *p == ']' || *p == '@') {
            return "only the domain name is expected, "
                   "without scheme, port or path";
        }

        if (*p == '.') {
            if (p == label) {
                return "it has an empty label";
            }

            if (p - label > NGX_HTTP_WEBAUTHN_LABEL_MAX) {
                return "it has a label longer than 63 characters";
            }

            if (*label == '-' || p[-1] == '-') {
                return "a label starts or ends with \"-\"";
            }

            label = p + 1;
            digits = 1;
            continue;
        }

        if (*p >= '0' && *p <= '9') {
            continue;
        }

        digits = 0;

        if ((*p >= 'a' && *p <= 'z') || *p == '-') {
            continue;
        }

        return "it has a character that is not a-z, 0-9, \"-\" or \".\" "
               "(write internationalized names in their xn-- form)";
    }

    if (p - label > NGX_HTTP_WEBAUTHN_LABEL_MAX) {
        return "it has a label longer than 63 characters";
    }

    if (*label == '-' || p[-1] == '-') {
        return "a label starts or ends with \"-\"";
    }

    if (digits) {
        if (ngx_inet_addr(name->data, name->len) != INADDR_NONE) {
            return "it is an IP address, a domain name is required";
        }

        return "its last label is numeric, browsers would read it "
               "as an IPv4 address";
    }

    return NULL;
}


/* webauthn_rp_name "Example Securities"; */

static char *
ngx_http_webauthn_rp_name(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    u_char     *p, *last;
    uint32_t    u;
    ngx_str_t  *value;

    if (wscf->rp_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > NGX_HTTP_WEBAUTHN_RP_NAME_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_rp_name \"%V\", it must have "
                           "1 to %d bytes", &value[1],
                           NGX_HTTP_WEBAUTHN_RP_NAME_MAX);
        return NGX_CONF_ERROR;
    }

    p = value[1].data;
    last = p + value[1].len;

    while (p < last) {
        u = ngx_http_webauthn_utf8_next(&p, last);

        if (u == NGX_HTTP_WEBAUTHN_UTF8_INVALID || u < 0x20 || u == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid webauthn_rp_name \"%V\", it must be "
                               "UTF-8 text without control characters",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    wscf->rp_name = value[1];

    return NGX_CONF_OK;
}


/* webauthn_origin https://example.com android:apk-key-hash:... ...; */

static char *
ngx_http_webauthn_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    ngx_str_t                   *value;
    ngx_uint_t                   i, j;
    ngx_http_webauthn_origin_t  *origin, *o;

    if (wscf->origins == NGX_CONF_UNSET_PTR) {
        wscf->origins = ngx_array_create(cf->pool, 4,
                                         sizeof(ngx_http_webauthn_origin_t));
        if (wscf->origins == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        o = wscf->origins->elts;

        for (j = 0; j < wscf->origins->nelts; j++) {
            if (o[j].origin.len == value[i].len
                && ngx_strncmp(o[j].origin.data, value[i].data, value[i].len)
                   == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "duplicate webauthn_origin \"%V\"",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        origin = ngx_array_push(wscf->origins);
        if (origin == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_webauthn_parse_origin(cf, &value[i], origin)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * Origins are compared byte for byte with clientDataJSON.origin, so only
 * the exact serialization a client sends can ever match: scheme and host in
 * lowercase, no default port, no path, no trailing slash.
 */

static char *
ngx_http_webauthn_parse_origin(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_webauthn_origin_t *origin)
{
    u_char      *p, *last, *colon;
    in_port_t    port;
    ngx_str_t    host;
    const char  *err;

    static u_char  apk[] = "android:apk-key-hash:";

    origin->origin = *value;
    origin->file = cf->conf_file->file.name.data;
    origin->line = cf->conf_file->line;

    p = value->data;
    last = p + value->len;

    if (value->len > sizeof(apk) - 1
        && ngx_strncmp(p, apk, sizeof(apk) - 1) == 0)
    {
        if (ngx_http_webauthn_check_apk_hash(p + sizeof(apk) - 1,
                                             value->len - (sizeof(apk) - 1))
            != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid webauthn_origin \"%V\", the key hash "
                               "must be the unpadded base64url SHA-256 of "
                               "the APK signing certificate (43 characters)",
                               value);
            return NGX_CONF_ERROR;
        }

        origin->type = NGX_HTTP_WEBAUTHN_ORIGIN_ANDROID;
        ngx_str_null(&origin->host);

        return NGX_CONF_OK;
    }

    if (value->len > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        origin->type = NGX_HTTP_WEBAUTHN_ORIGIN_HTTPS;
        p += 8;

    } else if (value->len > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        origin->type = NGX_HTTP_WEBAUTHN_ORIGIN_DEV;
        p += 7;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_origin \"%V\", use "
                           "https://host[:port], http://localhost[:port], "
                           "http://127.0.0.1[:port] or "
                           "android:apk-key-hash:<hash>", value);
        return NGX_CONF_ERROR;
    }

    if (ngx_strlchr(p, last, '/') || ngx_strlchr(p, last, '?')
        || ngx_strlchr(p, last, '#'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_origin \"%V\", an origin has "
                           "no path, query or trailing slash", value);
        return NGX_CONF_ERROR;
    }

    if (ngx_strlchr(p, last, '@')) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_origin \"%V\", an origin has "
                           "no user information", value);
        return NGX_CONF_ERROR;
    }

    colon = ngx_strlchr(p, last, ':');

    host.data = p;
    host.len = (colon ? colon : last) - p;

    if (colon) {
        if (ngx_http_webauthn_parse_port(colon + 1, last - colon - 1, &port)
            != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid webauthn_origin \"%V\", "
                               "invalid port", value);
            return NGX_CONF_ERROR;
        }

        if ((origin->type == NGX_HTTP_WEBAUTHN_ORIGIN_HTTPS && port == 443)
            || (origin->type == NGX_HTTP_WEBAUTHN_ORIGIN_DEV && port == 80))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid webauthn_origin \"%V\", omit the "
                               "default port: clients send the origin "
                               "without it", value);
            return NGX_CONF_ERROR;
        }
    }

    origin->host = host;

    if (origin->type == NGX_HTTP_WEBAUTHN_ORIGIN_DEV) {

        if ((host.len == sizeof("localhost") - 1
             && ngx_strncmp(host.data, "localhost", host.len) == 0)
            || (host.len == sizeof("127.0.0.1") - 1
                && ngx_strncmp(host.data, "127.0.0.1", host.len) == 0))
        {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "webauthn_origin \"%V\" is plain http, "
                               "for development only", value);
            return NGX_CONF_OK;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_origin \"%V\", use https: "
                           "http is accepted for localhost and 127.0.0.1 "
                           "only", value);
        return NGX_CONF_ERROR;
    }

    err = ngx_http_webauthn_check_domain(&host);

    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_origin \"%V\", the host is "
                           "invalid: %s", value, err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * 43 characters of base64url without padding: 32 bytes.  The last
 * character carries 2 unused bits, which must be zero in the canonical
 * encoding that Android produces.
 */

static ngx_int_t
ngx_http_webauthn_check_apk_hash(u_char *p, size_t len)
{
    u_char      c;
    size_t      i;
    ngx_uint_t  v;

    if (len != NGX_HTTP_WEBAUTHN_APK_HASH_LEN) {
        return NGX_ERROR;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;

        } else if (c == '-') {
            v = 62;

        } else if (c == '_') {
            v = 63;

        } else {
            return NGX_ERROR;
        }
    }

    if (v & 0x3) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* webauthn_session_key file; */

static char *
ngx_http_webauthn_session_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    ngx_str_t  *value;

    if (wscf->session_keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_webauthn_read_secrets(cf, &value[1],
                                       ngx_http_webauthn_session_key_line,
                                       &wscf->session_keys)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return ngx_http_webauthn_session_macs(cf, wscf->session_keys,
                                          &wscf->session_macs);
}


static ngx_int_t
ngx_http_webauthn_session_key_line(ngx_conf_t *cf, u_char *p, size_t len,
    ngx_str_t *out, u_char *err)
{
    u_char  c, *d;
    size_t  i;

    for (i = 0; i < len; i++) {
        c = p[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F')))
        {
            ngx_sprintf(err, "a key is hex digits only, without spaces or "
                        "comments%Z");
            return NGX_ERROR;
        }
    }

    if (len % 2) {
        ngx_sprintf(err, "odd number of hex digits%Z");
        return NGX_ERROR;
    }

    if (len / 2 < NGX_HTTP_WEBAUTHN_SESSION_KEY_MIN) {
        ngx_sprintf(err, "the key is %uz bytes, at least %d are required "
                    "(generate one with \"openssl rand -hex 32\")%Z",
                    len / 2, NGX_HTTP_WEBAUTHN_SESSION_KEY_MIN);
        return NGX_ERROR;
    }

    out->len = len / 2;
    out->data = ngx_pnalloc(cf->pool, out->len);
    if (out->data == NULL) {
        ngx_sprintf(err, "out of memory%Z");
        return NGX_ERROR;
    }

    d = out->data;

    for (i = 0; i < len; i += 2) {
        *d++ = (u_char) ngx_hextoi(&p[i], 2);
    }

    return NGX_OK;
}


/* webauthn_admin_token file; */

static char *
ngx_http_webauthn_admin_token(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_str_t  *value;

    if (wlcf->admin_tokens != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_webauthn_read_secrets(cf, &value[1],
                                          ngx_http_webauthn_admin_token_line,
                                          &wlcf->admin_tokens);
}


/* a bearer token: the b64token syntax of RFC 6750 */

static ngx_int_t
ngx_http_webauthn_admin_token_line(ngx_conf_t *cf, u_char *p, size_t len,
    ngx_str_t *out, u_char *err)
{
    u_char        c;
    size_t        i, end;
    unsigned int  md_len;

    end = len;

    while (end > 0 && p[end - 1] == '=') {
        end--;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if (i >= end && c == '=') {
            continue;
        }

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_'
              || c == '~' || c == '+' || c == '/'))
        {
            ngx_sprintf(err, "a token is A-Z a-z 0-9 - . _ ~ + / "
                        "and trailing \"=\" only%Z");
            return NGX_ERROR;
        }
    }

    if (len < NGX_HTTP_WEBAUTHN_ADMIN_TOKEN_MIN) {
        ngx_sprintf(err, "the token is %uz characters, at least %d are "
                    "required (generate one with \"openssl rand -hex 32\")%Z",
                    len, NGX_HTTP_WEBAUTHN_ADMIN_TOKEN_MIN);
        return NGX_ERROR;
    }

    /*
     * Only the token's SHA-256 is kept: the admin API compares digests,
     * and the tokens themselves need not stay in the workers' memory.
     */

    out->data = ngx_pnalloc(cf->pool, EVP_MAX_MD_SIZE);
    if (out->data == NULL) {
        ngx_sprintf(err, "out of memory%Z");
        return NGX_ERROR;
    }

    if (EVP_Digest(p, len, out->data, &md_len, EVP_sha256(), NULL) != 1) {
        ngx_sprintf(err, "SHA-256 failed%Z");
        return NGX_ERROR;
    }

    out->len = md_len;

    return NGX_OK;
}


/*
 * Reads a file of secrets, one per line; blank lines and lines starting
 * with "#" are skipped, surrounding blanks ignored.  The file is read into
 * a heap buffer that is zeroed before it is freed; the parsed secrets are
 * zeroed when the configuration cycle is destroyed.
 */

static char *
ngx_http_webauthn_read_secrets(ngx_conf_t *cf, ngx_str_t *name,
    ngx_http_webauthn_secret_pt parse, ngx_array_t **secrets)
{
    u_char             *buf, *p, *last, *eol, *start, *end;
    off_t               size;
    char               *rv;
    ssize_t             n;
    ngx_fd_t            fd;
    ngx_str_t           file, *secret, *s;
    ngx_uint_t          line, i;
    ngx_array_t        *a;
    ngx_file_info_t     fi;
    ngx_pool_cleanup_t *cln;
    u_char              err[NGX_MAX_ERROR_STR];

    file = *name;

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    a = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (a == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_webauthn_zero_secrets;
    cln->data = a;

    fd = ngx_open_file(file.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", file.data);
        return NGX_CONF_ERROR;
    }

    buf = NULL;
    size = 0;
    rv = NGX_CONF_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", file.data);
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is not a regular file", file.data);
        goto done;
    }

    if (ngx_file_access(&fi) & S_IROTH) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "\"%s\" is readable by every user, secrets "
                           "should not be (chmod o-r)", file.data);
    }

    size = ngx_file_size(&fi);

    if (size > NGX_HTTP_WEBAUTHN_SECRET_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" is too large, %O bytes", file.data, size);
        goto done;
    }

    if (size == 0) {
        goto empty;
    }

    buf = ngx_alloc((size_t) size, cf->log);
    if (buf == NULL) {
        goto done;
    }

    for (p = buf; p < buf + size; p += n) {
        n = ngx_read_fd(fd, p, buf + size - p);

        if (n == -1) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               ngx_read_fd_n " \"%s\" failed", file.data);
            goto done;
        }

        if (n == 0) {
            /* the file was truncated under us: use what was read */
            size = p - buf;
            break;
        }
    }

    line = 0;
    last = buf + size;

    for (p = buf; p < last; p = eol + 1) {
        line++;

        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        start = p;
        end = eol;

        while (start < end && (*start == ' ' || *start == '\t')) {
            start++;
        }

        while (end > start
               && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        {
            end--;
        }

        if (start == end || *start == '#') {
            continue;
        }

        secret = ngx_array_push(a);
        if (secret == NULL) {
            goto done;
        }

        ngx_str_null(secret);

        if (parse(cf, start, end - start, secret, err) != NGX_OK) {
            a->nelts--;
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%s\", line %ui: %s", file.data, line, err);
            goto done;
        }

        s = a->elts;

        for (i = 0; i < a->nelts - 1; i++) {
            if (s[i].len == secret->len
                && ngx_memcmp(s[i].data, secret->data, secret->len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%s\", line %ui: the same secret "
                                   "appears twice", file.data, line);
                goto done;
            }
        }
    }

empty:

    if (a->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "no secrets in \"%s\", write one per line "
                           "(generate one with \"openssl rand -hex 32\")",
                           file.data);
        goto done;
    }

    *secrets = a;
    rv = NGX_CONF_OK;

done:

    if (buf) {
        ngx_explicit_memzero(buf, (size_t) size);
        ngx_free(buf);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", file.data);
    }

    return rv;
}


static void
ngx_http_webauthn_zero_secrets(void *data)
{
    ngx_array_t *a = data;

    ngx_str_t   *s;
    ngx_uint_t   i;

    s = a->elts;

    for (i = 0; i < a->nelts; i++) {
        ngx_explicit_memzero(s[i].data, s[i].len);
    }
}


/* webauthn_identity $remote_user; */

static char *
ngx_http_webauthn_identity(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_str_t                         *value;
    ngx_http_compile_complex_value_t   ccv;

    if (wlcf->identity != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '$') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_identity \"%V\", it must be "
                           "a variable, like $remote_user", &value[1]);
        return NGX_CONF_ERROR;
    }

    wlcf->identity = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (wlcf->identity == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = wlcf->identity;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* ngx_conf_set_enum_slot() with the allowed values in the message */

static char *
ngx_http_webauthn_set_enum(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char           *b, *last;
    ngx_str_t        *value;
    ngx_uint_t       *np, i;
    ngx_conf_enum_t  *e;
    u_char            buf[NGX_MAX_CONF_ERRSTR];

    np = (ngx_uint_t *) (p + cmd->offset);

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len == value[1].len
            && ngx_strcmp(e[i].name.data, value[1].data) == 0)
        {
            *np = e[i].value;
            return NGX_CONF_OK;
        }
    }

    b = buf;
    last = buf + sizeof(buf);

    for (i = 0; e[i].name.len != 0; i++) {
        b = ngx_slprintf(b, last, "%s\"%V\"",
                         i == 0 ? "" : e[i + 1].name.len ? ", " : " or ",
                         &e[i].name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\", use %*s",
                       &value[1], &cmd->name, b - buf, buf);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_webauthn_check_sec_bounds(ngx_conf_t *cf, void *post, void *data)
{
    ngx_http_webauthn_sec_bounds_t *b = post;
    time_t *sp = data;

    ngx_str_t  *value;

    if (*sp < b->low || *sp > b->high) {
        value = cf->args->elts;

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\", it must be "
                           "between %s", &value[1], &value[0], b->text);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* webauthn_gate off | password | passkey | transaction [fallback=read]; */

static char *
ngx_http_webauthn_gate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (wlcf->gate != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; ngx_http_webauthn_gates[i].name.len; i++) {
        if (ngx_http_webauthn_gates[i].name.len == value[1].len
            && ngx_strcmp(ngx_http_webauthn_gates[i].name.data,
                          value[1].data)
               == 0)
        {
            wlcf->gate = ngx_http_webauthn_gates[i].value;
            break;
        }
    }

    if (wlcf->gate == NGX_CONF_UNSET_UINT) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid webauthn_gate \"%V\", use \"off\", "
                           "\"password\", \"passkey\" or \"transaction\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    wlcf->fallback_read = 0;

    if (cf->args->nelts == 3) {

        if (value[2].len != sizeof("fallback=read") - 1
            || ngx_strcmp(value[2].data, "fallback=read") != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", "
                               "only \"fallback=read\" is known", &value[2]);
            return NGX_CONF_ERROR;
        }

        if (wlcf->gate != NGX_HTTP_WEBAUTHN_GATE_PASSKEY
            && wlcf->gate != NGX_HTTP_WEBAUTHN_GATE_TRANSACTION)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"fallback=read\" applies to the passkey "
                               "and transaction gates only");
            return NGX_CONF_ERROR;
        }

        wlcf->fallback_read = 1;
    }

    wlcf->gate_file = cf->conf_file->file.name.data;
    wlcf->gate_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/* webauthn_endpoint register_options | register | ... | telemetry; */

static char *
ngx_http_webauthn_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_loc_conf_t *wlcf = conf;

    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_http_core_loc_conf_t  *clcf;

    if (wlcf->endpoint != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; ngx_http_webauthn_endpoints[i].name.len; i++) {
        if (ngx_http_webauthn_endpoints[i].name.len == value[1].len
            && ngx_strcmp(ngx_http_webauthn_endpoints[i].name.data,
                          value[1].data)
               == 0)
        {
            break;
        }
    }

    if (ngx_http_webauthn_endpoints[i].name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown webauthn_endpoint \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    wlcf->endpoint = i;
    wlcf->endpoint_file = cf->conf_file->file.name.data;
    wlcf->endpoint_line = cf->conf_file->line;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_webauthn_endpoint_handler;

    return NGX_CONF_OK;
}


/* configuration */


/*
 * webauthn_session_cookie name [path=/p] [domain=d]
 *                         [samesite=strict|lax|none];
 *
 * The cookie is always HttpOnly and Secure: a session cookie that script
 * or plain http could read would be a passkey session for anyone who
 * reads it.
 */

static char *
ngx_http_webauthn_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    u_char      *p;
    ngx_str_t   *value, v;
    ngx_uint_t   i;

    if (wscf->cookie_name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* RFC 6265 token characters only */

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (*p <= 0x20 || *p >= 0x7f
            || ngx_strchr("()<>@,;:\\\"/[]?={}", *p) != NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid cookie name \"%V\": only the "
                               "characters of an RFC 6265 token are allowed",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (value[1].len == 0 || value[1].len > 64) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid cookie name \"%V\": 1 to 64 characters",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    wscf->cookie_name = value[1];
    ngx_str_set(&wscf->cookie_path, "/");
    wscf->cookie_samesite = NGX_HTTP_WEBAUTHN_SAMESITE_STRICT;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            v.data = value[i].data + 5;
            v.len = value[i].len - 5;

            if (v.len == 0 || v.data[0] != '/') {
                goto invalid;
            }

            for (p = v.data; p < v.data + v.len; p++) {
                if (*p <= 0x20 || *p >= 0x7f || *p == ';') {
                    goto invalid;
                }
            }

            wscf->cookie_path = v;
            continue;
        }

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            v.data = value[i].data + 7;
            v.len = value[i].len - 7;

            if (v.len == 0 || ngx_http_webauthn_check_domain(&v) != NULL) {
                goto invalid;
            }

            wscf->cookie_domain = v;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=strict") == 0) {
            wscf->cookie_samesite = NGX_HTTP_WEBAUTHN_SAMESITE_STRICT;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=lax") == 0) {
            wscf->cookie_samesite = NGX_HTTP_WEBAUTHN_SAMESITE_LAX;
            continue;
        }

        if (ngx_strcmp(value[i].data, "samesite=none") == 0) {
            wscf->cookie_samesite = NGX_HTTP_WEBAUTHN_SAMESITE_NONE;
            continue;
        }

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\": expected path=/..., "
                       "domain=name or samesite=strict|lax|none",
                       &value[i]);
    return NGX_CONF_ERROR;
}


/*
 * webauthn_telemetry_limit, webauthn_session_cache: number | off, off
 * being 0; cmd->post says the range and what the number counts.
 */

static char *
ngx_http_webauthn_count(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_int_t                   n;
    ngx_str_t                  *value;
    ngx_uint_t                 *field;
    ngx_http_webauthn_count_t  *c;

    c = cmd->post;
    field = (ngx_uint_t *) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        *field = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n < 1 || n > c->max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid %s \"%V\": use \"off\" or %s, 1 to %i",
                           c->what, &value[1], c->unit, c->max);
        return NGX_CONF_ERROR;
    }

    *field = n;

    return NGX_CONF_OK;
}


/*
 * webauthn_lockout off | attempts [window=time] [backoff=time] [max=time];
 * failed ceremonies of one user within the window lock that user's
 * ceremonies for the backoff, doubled at each further lock within a day.
 */

static char *
ngx_http_webauthn_lockout(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    time_t      *t;
    ngx_int_t    n;
    ngx_str_t   *value, s;
    ngx_uint_t   i;

    if (wscf->lockout_attempts != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    wscf->lockout_window = NGX_HTTP_WEBAUTHN_LOCKOUT_WINDOW;
    wscf->lockout_backoff = NGX_HTTP_WEBAUTHN_LOCKOUT_BACKOFF;
    wscf->lockout_max = NGX_HTTP_WEBAUTHN_LOCKOUT_MAX;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no parameters after \"off\"";
        }

        wscf->lockout_attempts = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);
    if (n < 1 || n > 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of attempts \"%V\", "
                           "it must be \"off\" or between 1 and 1000",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    wscf->lockout_attempts = n;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "window=", 7) == 0) {
            t = &wscf->lockout_window;
            s.data = value[i].data + 7;

        } else if (ngx_strncmp(value[i].data, "backoff=", 8) == 0) {
            t = &wscf->lockout_backoff;
            s.data = value[i].data + 8;

        } else if (ngx_strncmp(value[i].data, "max=", 4) == 0) {
            t = &wscf->lockout_max;
            s.data = value[i].data + 4;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        s.len = value[i].data + value[i].len - s.data;

        *t = ngx_parse_time(&s, 1);

        if (*t == (time_t) NGX_ERROR || *t < 1 || *t > 30 * 86400) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid time in \"%V\", it must be "
                               "between 1s and 30d", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (wscf->lockout_max < wscf->lockout_backoff) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"max\" must not be shorter than \"backoff\"");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* webauthn_hints security-key | client-device | hybrid ...; */

static char *
ngx_http_webauthn_hints(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webauthn_srv_conf_t *wscf = conf;

    ngx_str_t   *value, *h;
    ngx_uint_t   i, j;

    static ngx_str_t  known[] = {
        ngx_string("security-key"),
        ngx_string("client-device"),
        ngx_string("hybrid")
    };

    if (wscf->hints != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    wscf->hints = ngx_array_create(cf->pool, 3, sizeof(ngx_str_t));
    if (wscf->hints == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        for (j = 0; j < sizeof(known) / sizeof(known[0]); j++) {
            if (value[i].len == known[j].len
                && ngx_strncmp(value[i].data, known[j].data, known[j].len)
                   == 0)
            {
                break;
            }
        }

        if (j == sizeof(known) / sizeof(known[0])) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown hint \"%V\": expected security-key, "
                               "client-device or hybrid", &value[i]);
            return NGX_CONF_ERROR;
        }

        h = wscf->hints->elts;

        for (j = 0; j < wscf->hints->nelts; j++) {
            if (h[j].len == value[i].len
                && ngx_strncmp(h[j].data, value[i].data, h[j].len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "hint \"%V\" is listed twice", &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        h = ngx_array_push(wscf->hints);
        if (h == NULL) {
            return NGX_CONF_ERROR;
        }

        *h = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * The policy the wa core checks ceremonies against: the RP ID and the
 * origins as NUL-terminated strings, made once per server.  User
 * verification is a location's choice and is set per request.
 */

static char *
ngx_http_webauthn_init_policy(ngx_conf_t *cf,
    ngx_http_webauthn_srv_conf_t *conf)
{
    ngx_uint_t                   i;
    const char                 **origins;
    ngx_http_webauthn_origin_t  *o;

    ngx_memzero(&conf->policy, sizeof(wa_policy_t));

    conf->policy.rp_id = (const char *)
                         ngx_http_webauthn_strdup0(cf->pool, &conf->rp_id);

    o = conf->origins->elts;

    origins = ngx_pcalloc(cf->pool,
                          conf->origins->nelts * sizeof(const char *));

    if (conf->policy.rp_id == NULL || origins == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < conf->origins->nelts; i++) {
        origins[i] = (const char *)
                         ngx_http_webauthn_strdup0(cf->pool, &o[i].origin);
        if (origins[i] == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    conf->policy.origins = origins;
    conf->policy.n_origins = conf->origins->nelts;

    return NGX_CONF_OK;
}


static u_char *
ngx_http_webauthn_strdup0(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, s->data, s->len) = '\0';

    return p;
}


/* the store connects from each worker, never from the master */

static ngx_int_t
ngx_http_webauthn_init_process(ngx_cycle_t *cycle)
{
    /* the metrics first: the store counts its connection there */

    if (ngx_http_webauthn_session_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_metrics_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_webauthn_store_init_process(cycle);
}


static void
ngx_http_webauthn_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_store_exit_process(cycle);
    ngx_http_webauthn_session_exit_process();
    ngx_http_webauthn_endpoints_exit_process();
    ngx_http_webauthn_metrics_exit_process();
}


static ngx_int_t
ngx_http_webauthn_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_webauthn_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_http_webauthn_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_main_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_main_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->redis = NULL;
     *     conf->shm_zone = NULL;
     */

    conf->session_cache = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_webauthn_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_webauthn_main_conf_t  *wmcf = conf;

    ngx_conf_init_uint_value(wmcf->session_cache,
                             NGX_HTTP_WEBAUTHN_SESSION_CACHE);

    return NGX_CONF_OK;
}


static void *
ngx_http_webauthn_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_srv_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_srv_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->rp_id = { 0, NULL };
     *     conf->rp_name = { 0, NULL };
     */

    conf->origins = NGX_CONF_UNSET_PTR;
    conf->session_keys = NGX_CONF_UNSET_PTR;
    conf->session_macs = NGX_CONF_UNSET_PTR;
    conf->session_ttl = NGX_CONF_UNSET;
    conf->challenge_ttl = NGX_CONF_UNSET;
    conf->cookie_samesite = NGX_CONF_UNSET_UINT;
    conf->hints = NGX_CONF_UNSET_PTR;
    conf->lockout_attempts = NGX_CONF_UNSET_UINT;
    conf->lockout_window = NGX_CONF_UNSET;
    conf->lockout_backoff = NGX_CONF_UNSET;
    conf->lockout_max = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_webauthn_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_webauthn_srv_conf_t *prev = parent;
    ngx_http_webauthn_srv_conf_t *conf = child;

    ngx_str_t                   *host, *rp_id;
    ngx_uint_t                   i;
    ngx_http_webauthn_origin_t  *o;

    ngx_conf_merge_str_value(conf->rp_id, prev->rp_id, "");
    ngx_conf_merge_str_value(conf->rp_name, prev->rp_name, "");
    ngx_conf_merge_ptr_value(conf->origins, prev->origins, NULL);
    ngx_conf_merge_ptr_value(conf->session_keys, prev->session_keys, NULL);
    ngx_conf_merge_ptr_value(conf->session_macs, prev->session_macs, NULL);
    ngx_conf_merge_sec_value(conf->session_ttl, prev->session_ttl,
                             NGX_HTTP_WEBAUTHN_SESSION_TTL);
    ngx_conf_merge_sec_value(conf->challenge_ttl, prev->challenge_ttl,
                             NGX_HTTP_WEBAUTHN_CHALLENGE_TTL);

    /* webauthn_lockout is inherited as a whole */

    if (conf->lockout_attempts == NGX_CONF_UNSET_UINT) {
        if (prev->lockout_attempts == NGX_CONF_UNSET_UINT) {
            conf->lockout_attempts = NGX_HTTP_WEBAUTHN_LOCKOUT_ATTEMPTS;
            conf->lockout_window = NGX_HTTP_WEBAUTHN_LOCKOUT_WINDOW;
            conf->lockout_backoff = NGX_HTTP_WEBAUTHN_LOCKOUT_BACKOFF;
            conf->lockout_max = NGX_HTTP_WEBAUTHN_LOCKOUT_MAX;

        } else {
            conf->lockout_attempts = prev->lockout_attempts;
            conf->lockout_window = prev->lockout_window;
            conf->lockout_backoff = prev->lockout_backoff;
            conf->lockout_max = prev->lockout_max;
        }
    }

    /* the cookie is inherited as a whole: name with its attributes */

    if (conf->cookie_name.data == NULL) {
        if (prev->cookie_name.data) {
            conf->cookie_name = prev->cookie_name;
            conf->cookie_path = prev->cookie_path;
            conf->cookie_domain = prev->cookie_domain;
            conf->cookie_samesite = prev->cookie_samesite;

        } else {
            ngx_str_set(&conf->cookie_name, "webauthn_session");
            ngx_str_set(&conf->cookie_path, "/");
            ngx_str_null(&conf->cookie_domain);
            conf->cookie_samesite = NGX_HTTP_WEBAUTHN_SAMESITE_STRICT;
        }
    }

    ngx_conf_merge_ptr_value(conf->hints, prev->hints, NULL);

    if (conf->rp_id.len == 0 || conf->origins == NULL) {
        return NGX_CONF_OK;
    }

    if (ngx_http_webauthn_init_policy(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * A browser refuses a ceremony whose RP ID is neither the origin's host
     * nor a parent domain of it: such an origin could never succeed.
     */

    rp_id = &conf->rp_id;
    o = conf->origins->elts;

    for (i = 0; i < conf->origins->nelts; i++) {

        host = &o[i].host;

        switch (o[i].type) {

        case NGX_HTTP_WEBAUTHN_ORIGIN_ANDROID:
            continue;

        case NGX_HTTP_WEBAUTHN_ORIGIN_DEV:
            if (rp_id->len == sizeof("localhost") - 1
                && ngx_strncmp(rp_id->data, "localhost", rp_id->len) == 0)
            {
                continue;
            }

            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "webauthn_origin \"%V\" needs "
                          "\"webauthn_rp_id localhost\", not \"%V\", "
                          "in %s:%ui", &o[i].origin, rp_id,
                          o[i].file, o[i].line);
            return NGX_CONF_ERROR;

        default: /* NGX_HTTP_WEBAUTHN_ORIGIN_HTTPS */
            if (host->len == rp_id->len
                && ngx_strncmp(host->data, rp_id->data, rp_id->len) == 0)
            {
                continue;
            }

            if (host->len > rp_id->len
                && host->data[host->len - rp_id->len - 1] == '.'
                && ngx_strncmp(host->data + host->len - rp_id->len,
                               rp_id->data, rp_id->len)
                   == 0)
            {
                continue;
            }

            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "webauthn_origin \"%V\" is not within "
                          "webauthn_rp_id \"%V\": its host must be the "
                          "RP ID or a subdomain of it, in %s:%ui",
                          &o[i].origin, rp_id, o[i].file, o[i].line);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_webauthn_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_webauthn_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webauthn_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->gate_file = NULL;
     *     conf->gate_line = 0;
     *     conf->endpoint_file = NULL;
     *     conf->endpoint_line = 0;
     */

    conf->identity = NGX_CONF_UNSET_PTR;
    conf->user_verification = NGX_CONF_UNSET_UINT;
    conf->enroll = NGX_CONF_UNSET_UINT;
    conf->gate = NGX_CONF_UNSET_UINT;
    conf->fallback_read = NGX_CONF_UNSET;
    conf->admin_tokens = NGX_CONF_UNSET_PTR;
    conf->probation = NGX_CONF_UNSET;
    conf->grant_ttl = NGX_CONF_UNSET;
    conf->telemetry_limit = NGX_CONF_UNSET_UINT;
    conf->endpoint = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_webauthn_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_webauthn_loc_conf_t *prev = parent;
    ngx_http_webauthn_loc_conf_t *conf = child;

    u_char                        *p;
    ngx_str_t                      what;
    ngx_uint_t                     needs;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_webauthn_endpoint_t  *ep;
    u_char                         buf[64];

    ngx_conf_merge_ptr_value(conf->identity, prev->identity, NULL);
    ngx_conf_merge_uint_value(conf->user_verification,
                              prev->user_verification,
                              NGX_HTTP_WEBAUTHN_UV_REQUIRED);
    ngx_conf_merge_uint_value(conf->enroll, prev->enroll,
                              NGX_HTTP_WEBAUTHN_ENROLL_PASSKEY);
    ngx_conf_merge_ptr_value(conf->admin_tokens, prev->admin_tokens, NULL);
    ngx_conf_merge_sec_value(conf->probation, prev->probation, 0);
    ngx_conf_merge_sec_value(conf->grant_ttl, prev->grant_ttl,
                             NGX_HTTP_WEBAUTHN_GRANT_TTL);
    ngx_conf_merge_uint_value(conf->telemetry_limit, prev->telemetry_limit,
                              NGX_HTTP_WEBAUTHN_TELEMETRY_LIMIT);

    /* the gate is inherited as a whole, with where it was written */

    if (conf->gate == NGX_CONF_UNSET_UINT) {
        if (prev->gate == NGX_CONF_UNSET_UINT) {
            conf->gate = NGX_HTTP_WEBAUTHN_GATE_OFF;
            conf->fallback_read = 0;

        } else {
            conf->gate = prev->gate;
            conf->fallback_read = prev->fallback_read;
            conf->gate_file = prev->gate_file;
            conf->gate_line = prev->gate_line;
        }
    }

    /* an endpoint is a content handler: nested locations do not inherit it */

    if (conf->endpoint == NGX_CONF_UNSET_UINT) {
        conf->endpoint = 0;
    }

    if (conf->gate != NGX_HTTP_WEBAUTHN_GATE_OFF) {

        /*
         * With "satisfy any" the access phase ends at the first handler
         * that allows the request: a passing allow or auth_basic would
         * skip the gate, which runs after them.
         */

        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

        if (clcf->satisfy == NGX_HTTP_SATISFY_ANY) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"webauthn_gate %V\" cannot be used with "
                          "\"satisfy any\" in location \"%V\": a passing "
                          "access or auth check would skip the gate, "
                          "in %s:%ui",
                          &ngx_http_webauthn_gates[conf->gate].name,
                          &clcf->name, conf->gate_file, conf->gate_line);
            return NGX_CONF_ERROR;
        }

        switch (conf->gate) {

        case NGX_HTTP_WEBAUTHN_GATE_PASSWORD:
            needs = NGX_HTTP_WEBAUTHN_NEED_IDENTITY;
            break;

        default: /* passkey, transaction */
            needs = NGX_HTTP_WEBAUTHN_NEED_CEREMONY;

            if (conf->fallback_read) {
                needs |= NGX_HTTP_WEBAUTHN_NEED_IDENTITY;
            }
        }

        p = ngx_snprintf(buf, sizeof(buf), "webauthn_gate %V",
                         &ngx_http_webauthn_gates[conf->gate].name);
        what.data = buf;
        what.len = p - buf;

        if (ngx_http_webauthn_check_needs(cf, conf, needs, &what,
                                          conf->gate_file, conf->gate_line)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->endpoint) {
        ep = &ngx_http_webauthn_endpoints[conf->endpoint];

        p = ngx_snprintf(buf, sizeof(buf), "webauthn_endpoint %V", &ep->name);
        what.data = buf;
        what.len = p - buf;

        if (ngx_http_webauthn_check_needs(cf, conf, ep->needs, &what,
                                          conf->endpoint_file,
                                          conf->endpoint_line)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * Refuses a location whose gate or endpoint lacks something it cannot work
 * without, naming everything that is missing.  Called while merging, when
 * cf->ctx holds the enclosing server's (already merged) configuration.
 */

static char *
ngx_http_webauthn_check_needs(ngx_conf_t *cf,
    ngx_http_webauthn_loc_conf_t *conf, ngx_uint_t needs, ngx_str_t *what,
    u_char *file, ngx_uint_t line)
{
    u_char                         *p, *last;
    ngx_uint_t                      missing, i;
    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_webauthn_srv_conf_t   *wscf;
    ngx_http_webauthn_main_conf_t  *wmcf;
    u_char                          buf[256];

    static char  *names[] = {
        "webauthn_rp_id",
        "webauthn_origin",
        "webauthn_redis",
        "webauthn_session_key",
        "webauthn_zone",
        "webauthn_identity",
        "webauthn_admin_token"
    };

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);
    wscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_webauthn_module);

    missing = 0;

    if (wscf->rp_id.len == 0) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_RP_ID;
    }

    if (wscf->origins == NULL) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_ORIGIN;
    }

    if (wmcf->redis == NULL) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_REDIS;
    }

    if (wscf->session_keys == NULL) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_SESSION_KEY;
    }

    if (wmcf->shm_zone == NULL) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_ZONE;
    }

    if (conf->identity == NULL) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_IDENTITY;
    }

    if (conf->admin_tokens == NULL) {
        missing |= NGX_HTTP_WEBAUTHN_NEED_ADMIN_TOKEN;
    }

    missing &= needs;

    if (missing == 0) {
        return NGX_CONF_OK;
    }

    p = buf;
    last = buf + sizeof(buf);

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (missing & (1 << i)) {
            p = ngx_slprintf(p, last, "%s%s", p == buf ? "" : ", ", names[i]);
        }
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"%V\" in location \"%V\" needs %*s, "
                  "which %s not configured, in %s:%ui",
                  what, &clcf->name, p - buf, buf,
                  (missing & (missing - 1)) ? "are" : "is", file, line);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_webauthn_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt            *h;
    ngx_http_core_main_conf_t      *cmcf;
    ngx_http_webauthn_main_conf_t  *wmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webauthn_access_handler;

    /* with a zone, what requests came to is counted when they are done */

    wmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_webauthn_module);

    if (wmcf->shm_zone) {
        h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ngx_http_webauthn_metrics_log_handler;
    }

    return NGX_OK;
}
