/*
 * The admin API (webauthn_endpoint admin; docs/recovery.md): what an IVR,
 * a support tool or ops call to see a user's passkeys, reset them, roll
 * them back to the last-known-good set, grant an enrolment, or lift a
 * lockout.
 *
 *   GET  <location>users/<user>
 *   POST <location>users/<user>/reset | rollback | grant | unlock
 *
 * nginx's own allow/deny and client certificates guard the location; on
 * top, every request needs one of the webauthn_admin_token bearer tokens.
 * Each call is one Lua script on the user's keys, which also appends the
 * audit entry, so a change and its record happen together.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ngx_http_webauthn_module.h"
#include <wa_store_lua.h>


#define NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX    4096
#define NGX_HTTP_WEBAUTHN_ADMIN_NOTE_MAX    256

#define NGX_HTTP_WEBAUTHN_ADMIN_USER        0
#define NGX_HTTP_WEBAUTHN_ADMIN_RESET       1
#define NGX_HTTP_WEBAUTHN_ADMIN_ROLLBACK    2
#define NGX_HTTP_WEBAUTHN_ADMIN_GRANT       3
#define NGX_HTTP_WEBAUTHN_ADMIN_UNLOCK      4


typedef struct {
    ngx_uint_t                      action;
    ngx_str_t                       user;
    ngx_str_t                       actor;      /* "admin:<token id>" */
    ngx_str_t                       note;       /* "reason" */
    time_t                          ttl;
    int64_t                         before;
    ngx_str_t                       grant;      /* the code, base64url */
    u_char                          digest[
                                        NGX_HTTP_WEBAUTHN_GRANT_DIGEST_LEN];
    time_t                          expires;
} ngx_http_webauthn_admin_t;


static ngx_int_t ngx_http_webauthn_admin_auth(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad);
static ngx_int_t ngx_http_webauthn_admin_unauthorized(ngx_http_request_t *r,
    ngx_uint_t wrong);
static ngx_int_t ngx_http_webauthn_admin_path(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad);
static void ngx_http_webauthn_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_admin_parse(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad, ngx_str_t *body);
static void ngx_http_webauthn_admin_run(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad);
static ngx_int_t ngx_http_webauthn_admin_new_grant(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad);
static void ngx_http_webauthn_admin_args(ngx_http_webauthn_args_t *a,
    ngx_http_webauthn_admin_t *ad);
static void ngx_http_webauthn_admin_user_done(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_admin_credential(ngx_http_webauthn_out_t *o,
    redisReply *c);
static void ngx_http_webauthn_admin_snapshot(ngx_http_webauthn_out_t *o,
    redisReply *rr);
static void ngx_http_webauthn_admin_events(ngx_http_webauthn_out_t *o,
    redisReply *list);
static void ngx_http_webauthn_admin_changed(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_admin_int(ngx_http_webauthn_out_t *o,
    const char *name, redisReply *rr);
static ngx_int_t ngx_http_webauthn_admin_unknown(ngx_http_request_t *r,
    redisReply *reply);


static const char  *ngx_http_webauthn_admin_actions[] = {
    "", "reset", "rollback", "grant", "unlock", NULL
};


ngx_int_t
ngx_http_webauthn_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      allow;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_admin_t     *ad;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    ctx = ngx_http_webauthn_get_ctx(r);
    ad = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_admin_t));

    if (ctx == NULL || ad == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->endpoint = ad;
    ad->ttl = wlcf->grant_ttl;
    ad->before = -1;

    /* who asks comes first: nothing about the API is told to strangers */

    /* both answer the request themselves unless they return NGX_DECLINED */

    rc = ngx_http_webauthn_admin_auth(r, ad);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_webauthn_admin_path(r, ad);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (ad->action == NGX_HTTP_WEBAUTHN_ADMIN_USER) {
        ngx_str_set(&allow, "GET, HEAD");

        if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
            rc = ngx_http_discard_request_body(r);

            if (rc != NGX_OK) {
                return rc;
            }

            r->main->count++;
            ngx_http_webauthn_admin_run(r, ad);

            return NGX_DONE;
        }

    } else {
        ngx_str_set(&allow, "POST");

        if (r->method == NGX_HTTP_POST) {
            if (r->headers_in.content_length_n
                > NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX)
            {
                return ngx_http_webauthn_reject(r,
                           NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                           "payload_too_large",
                           "the request body is too large");
            }

            rc = ngx_http_read_client_request_body(r,
                                             ngx_http_webauthn_admin_body);

            if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
                return rc;
            }

            return NGX_DONE;
        }
    }

    return ngx_http_webauthn_not_allowed(r, &allow);
}


/*
 * Authorization: Bearer <token>, one of webauthn_admin_token's.  The
 * configuration keeps the tokens' SHA-256 digests; the given token's is
 * compared with each of them in constant time, every one tried, so that
 * neither a token's length nor its place in the file shows in the timing.
 * The actor of the audit entries is named by the first four bytes of the
 * token's digest, never by the token.
 */

static ngx_int_t
ngx_http_webauthn_admin_auth(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad)
{
    u_char                        *p;
    ngx_str_t                      token, *t;
    ngx_uint_t                     i, match;
    unsigned int                   len;
    ngx_table_elt_t               *h;
    ngx_http_webauthn_loc_conf_t  *wlcf;
    u_char                         given[EVP_MAX_MD_SIZE];

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    h = r->headers_in.authorization;

    if (h == NULL) {
        return ngx_http_webauthn_admin_unauthorized(r, 0);
    }

    token = h->value;

    if (token.len < sizeof("Bearer ") - 1
        || ngx_strncasecmp(token.data, (u_char *) "Bearer ",
                           sizeof("Bearer ") - 1)
           != 0)
    {
        return ngx_http_webauthn_admin_unauthorized(r, 1);
    }

    token.data += sizeof("Bearer ") - 1;
    token.len -= sizeof("Bearer ") - 1;

    while (token.len && token.data[0] == ' ') {
        token.data++;
        token.len--;
    }

    if (token.len == 0 || wlcf->admin_tokens == NULL
        || EVP_Digest(token.data, token.len, given, &len, EVP_sha256(), NULL)
           != 1)
    {
        return ngx_http_webauthn_admin_unauthorized(r, 1);
    }

    match = 0;
    t = wlcf->admin_tokens->elts;

    for (i = 0; i < wlcf->admin_tokens->nelts; i++) {
        match |= (t[i].len == len
                  && CRYPTO_memcmp(given, t[i].data, len) == 0);
    }

    if (!match) {
        return ngx_http_webauthn_admin_unauthorized(r, 1);
    }

    ad->actor.data = ngx_pnalloc(r->pool, sizeof("admin:") - 1 + 8);
    if (ad->actor.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(ad->actor.data, "admin:", sizeof("admin:") - 1);
    p = ngx_hex_dump(p, given, 4);

    ad->actor.len = p - ad->actor.data;

    return NGX_DECLINED;
}


/* RFC 6750: a challenge; "invalid_token" when a token was offered */

static ngx_int_t
ngx_http_webauthn_admin_unauthorized(ngx_http_request_t *r, ngx_uint_t wrong)
{
    ngx_str_t  value;

    if (wrong) {
        ngx_str_set(&value, "Bearer realm=\"webauthn-admin\", "
                            "error=\"invalid_token\"");

    } else {
        ngx_str_set(&value, "Bearer realm=\"webauthn-admin\"");
    }

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "webauthn: admin API: %s bearer token",
                  wrong ? "a wrong" : "no");

    if (ngx_http_webauthn_add_header(r, "WWW-Authenticate", &value)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_webauthn_reject(r, NGX_HTTP_UNAUTHORIZED,
                                    "unauthorized",
                                    "a valid admin bearer token is "
                                    "required");
}


/*
 * ".../users/<user>[/<action>]", read from the URI as sent, so that a
 * user name may hold any character percent-encoded, "/" included.
 */

static ngx_int_t
ngx_http_webauthn_admin_path(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad)
{
    u_char      *p, *last, *start, *end, *dst, *q;
    uint32_t     c;
    ngx_str_t    action;
    ngx_uint_t   i;

    p = r->unparsed_uri.data;
    last = p + r->unparsed_uri.len;

    q = ngx_strlchr(p, last, '?');
    if (q) {
        last = q;
    }

    start = ngx_strlcasestrn(p, last, (u_char *) "/users/",
                             sizeof("/users/") - 2);
    if (start == NULL) {
        goto not_found;
    }

    start += sizeof("/users/") - 1;

    end = ngx_strlchr(start, last, '/');

    if (end == NULL) {
        end = last;
        ngx_str_null(&action);

    } else {
        action.data = end + 1;
        action.len = last - end - 1;
    }

    for (i = 0; ngx_http_webauthn_admin_actions[i]; i++) {
        if (action.len == ngx_strlen(ngx_http_webauthn_admin_actions[i])
            && ngx_strncmp(action.data, ngx_http_webauthn_admin_actions[i],
                           action.len)
               == 0)
        {
            break;
        }
    }

    if (ngx_http_webauthn_admin_actions[i] == NULL) {
        goto not_found;
    }

    ad->action = i;

    /* for the metrics: 1 + the action, "user" the first */
    ngx_http_webauthn_get_ctx(r)->admin_action = i + 1;

    dst = ngx_pnalloc(r->pool, end - start + 1);
    if (dst == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ad->user.data = dst;
    q = start;

    /* every escape is decoded: the name is not a path */
    ngx_unescape_uri(&dst, &q, end - start, 0);

    ad->user.len = dst - ad->user.data;

    if (ad->user.len == 0 || ad->user.len > NGX_HTTP_WEBAUTHN_USER_MAX) {
        return ngx_http_webauthn_reject(r, NGX_HTTP_BAD_REQUEST,
                                        "malformed_request",
                                        "the user name is empty or "
                                        "longer than 256 bytes");
    }

    /* UTF-8 without control characters: it goes into JSON and logs */

    p = ad->user.data;

    while (p < ad->user.data + ad->user.len) {
        c = ngx_http_webauthn_utf8_next(&p, ad->user.data + ad->user.len);

        if (c == NGX_HTTP_WEBAUTHN_UTF8_INVALID || c < 0x20 || c == 0x7f) {
            return ngx_http_webauthn_reject(r, NGX_HTTP_BAD_REQUEST,
                                            "malformed_request",
                                            "the user name is not "
                                            "printable UTF-8");
        }
    }

    return NGX_DECLINED;

not_found:

    return ngx_http_webauthn_reject(r, NGX_HTTP_NOT_FOUND, "not_found",
                                    "no such admin resource: use "
                                    "users/<user>[/reset|rollback|"
                                    "grant|unlock]");
}


static void
ngx_http_webauthn_admin_body(ngx_http_request_t *r)
{
    ngx_str_t                   body;
    ngx_http_webauthn_admin_t  *ad;

    ad = ngx_http_webauthn_get_ctx(r)->endpoint;

    ngx_str_null(&body);

    if (ngx_http_webauthn_read_body(r, &body,
                                    NGX_HTTP_WEBAUTHN_ADMIN_BODY_MAX,
                                    "the request body is too large")
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_webauthn_admin_parse(r, ad, &body) != NGX_OK) {
        return;
    }

    ngx_http_webauthn_admin_run(r, ad);
}


/*
 * The body, when there is one: a JSON object with "reason" (any call),
 * "ttl" (grant, reset) and "before" (rollback); nothing else, so that a
 * misspelt member is an error rather than silently ignored.
 */

static ngx_int_t
ngx_http_webauthn_admin_parse(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad, ngx_str_t *body)
{
    json_t                        *root, *v;
    json_int_t                     n;
    const char                    *key, *why;
    json_error_t                   err;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (body->len == 0) {
        return NGX_OK;
    }

    if (ngx_http_webauthn_check_type(r) != NGX_OK) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                  "malformed_request",
                                  "the body must be application/json",
                                  "none");
        return NGX_ERROR;
    }

    root = json_loadb((const char *) body->data, body->len,
                      JSON_REJECT_DUPLICATES, &err);

    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                  "malformed_request",
                                  "the body must be a JSON object", "none");
        return NGX_ERROR;
    }

    why = NULL;

    json_object_foreach(root, key, v) {

        if (ngx_strcmp(key, "reason") == 0) {
            if (!json_is_string(v)
                || json_string_length(v) > NGX_HTTP_WEBAUTHN_ADMIN_NOTE_MAX)
            {
                why = "\"reason\" must be a string of at most 256 bytes";
                break;
            }

            ad->note.len = json_string_length(v);
            ad->note.data = ngx_pnalloc(r->pool, ad->note.len + 1);
            if (ad->note.data == NULL) {
                json_decref(root);
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return NGX_ERROR;
            }

            ngx_memcpy(ad->note.data, json_string_value(v), ad->note.len);
            continue;
        }

        if (ngx_strcmp(key, "ttl") == 0
            && (ad->action == NGX_HTTP_WEBAUTHN_ADMIN_GRANT
                || ad->action == NGX_HTTP_WEBAUTHN_ADMIN_RESET))
        {
            n = json_is_integer(v) ? json_integer_value(v) : 0;

            if (n < 60 || n > wlcf->grant_ttl) {
                why = "\"ttl\" must be a number of seconds between 60 and "
                      "webauthn_grant_ttl";
                break;
            }

            ad->ttl = (time_t) n;
            continue;
        }

        if (ngx_strcmp(key, "before") == 0
            && ad->action == NGX_HTTP_WEBAUTHN_ADMIN_ROLLBACK)
        {
            n = json_is_integer(v) ? json_integer_value(v) : -1;

            if (n < 0 || n > 253402300799) {
                why = "\"before\" must be a Unix time in seconds";
                break;
            }

            ad->before = n;
            continue;
        }

        why = "the body has a member this call does not take";
        break;
    }

    json_decref(root);

    if (why) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                  "malformed_request", why, "none");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* one script per call: arguments, then its answer's handler */

static void
ngx_http_webauthn_admin_run(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad)
{
    ngx_str_t                  handle;
    ngx_http_webauthn_args_t   a;
    u_char                     raw[NGX_HTTP_WEBAUTHN_HANDLE_LEN];

    ngx_http_webauthn_args_init(&a, r);

    switch (ad->action) {

    case NGX_HTTP_WEBAUTHN_ADMIN_USER:
        ngx_http_webauthn_args_user_key(&a, &ad->user, "user", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "all", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "creds", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "lkg", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "grant", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "lock", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "fail", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "events", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "cred:", NULL);

        (void) ngx_http_webauthn_ep_send(&a,
                                         ngx_http_webauthn_admin_user_done,
                                         ad,
                                         NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_USER,
                                         8);
        return;

    case NGX_HTTP_WEBAUTHN_ADMIN_RESET:
        if (ngx_http_webauthn_admin_new_grant(r, ad) != NGX_OK) {
            return;
        }

        ngx_http_webauthn_args_user_key(&a, &ad->user, "user", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "all", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "creds", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "epoch", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "grant", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "fail", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "lock", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "locks", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "events", NULL);
        ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);
        ngx_http_webauthn_args_lit(&a, WA_STORE_CHANGED_KEY);
        ngx_http_webauthn_args_int(&a, ngx_time());
        ngx_http_webauthn_args_user_key(&a, &ad->user, "cred:", NULL);
        ngx_http_webauthn_args_add(&a, ad->digest, sizeof(ad->digest));
        ngx_http_webauthn_args_int(&a, ad->ttl);
        ngx_http_webauthn_admin_args(&a, ad);

        (void) ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_admin_changed,
                                         ad,
                                         NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_RESET,
                                         11);
        return;

    case NGX_HTTP_WEBAUTHN_ADMIN_ROLLBACK:
        ngx_http_webauthn_args_user_key(&a, &ad->user, "user", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "creds", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "lkg", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "epoch", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "events", NULL);
        ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);
        ngx_http_webauthn_args_lit(&a, WA_STORE_CHANGED_KEY);

        /* by default the newest snapshot: of a set changed before now */
        ngx_http_webauthn_args_int(&a, ad->before >= 0 ? ad->before
                                                       : ngx_time() + 1);
        ngx_http_webauthn_args_int(&a, ngx_time());
        ngx_http_webauthn_args_user_key(&a, &ad->user, "cred:", NULL);
        ngx_http_webauthn_args_str(&a, &ad->user);
        ngx_http_webauthn_args_str(&a, &ad->actor);
        ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_MAX);
        ngx_http_webauthn_args_lit(&a, "force");
        ngx_http_webauthn_args_lit(&a, "0");
        ngx_http_webauthn_args_str(&a, &ad->note);

        (void) ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_admin_changed,
                                         ad,
                                         NGX_HTTP_WEBAUTHN_SCRIPT_ROLLBACK,
                                         7);
        return;

    case NGX_HTTP_WEBAUTHN_ADMIN_GRANT:
        if (ngx_http_webauthn_admin_new_grant(r, ad) != NGX_OK) {
            return;
        }

        /* the handle a user with no record yet gets */

        if (ngx_http_webauthn_random(raw, sizeof(raw)) != NGX_OK
            || ngx_http_webauthn_b64url(r->pool, raw, sizeof(raw), &handle)
               != NGX_OK)
        {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        ngx_http_webauthn_args_user_key(&a, &ad->user, "user", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "grant", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "events", NULL);
        ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);
        ngx_http_webauthn_args_int(&a, ngx_time());
        ngx_http_webauthn_args_str(&a, &handle);
        ngx_http_webauthn_args_add(&a, ad->digest, sizeof(ad->digest));
        ngx_http_webauthn_args_int(&a, ad->ttl);
        ngx_http_webauthn_admin_args(&a, ad);

        (void) ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_admin_changed,
                                         ad,
                                         NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_GRANT,
                                         4);
        return;

    default: /* NGX_HTTP_WEBAUTHN_ADMIN_UNLOCK */
        ngx_http_webauthn_args_user_key(&a, &ad->user, "user", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "fail", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "lock", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "locks", NULL);
        ngx_http_webauthn_args_user_key(&a, &ad->user, "events", NULL);
        ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);
        ngx_http_webauthn_args_int(&a, ngx_time());
        ngx_http_webauthn_admin_args(&a, ad);

        (void) ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_admin_changed,
                                         ad,
                                         NGX_HTTP_WEBAUTHN_SCRIPT_ADMIN_UNLOCK,
                                         6);
    }
}


/* the last arguments of the changing scripts: user, actor, cap, note */

static void
ngx_http_webauthn_admin_args(ngx_http_webauthn_args_t *a,
    ngx_http_webauthn_admin_t *ad)
{
    ngx_http_webauthn_args_str(a, &ad->user);
    ngx_http_webauthn_args_str(a, &ad->actor);
    ngx_http_webauthn_args_lit(a, NGX_HTTP_WEBAUTHN_AUDIT_MAX);
    ngx_http_webauthn_args_str(a, &ad->note);
}


/*
 * A fresh grant: 128 random bits, given to the caller once as base64url;
 * the store keeps only its digest.
 */

static ngx_int_t
ngx_http_webauthn_admin_new_grant(ngx_http_request_t *r,
    ngx_http_webauthn_admin_t *ad)
{
    u_char  raw[NGX_HTTP_WEBAUTHN_GRANT_LEN];

    if (ngx_http_webauthn_random(raw, sizeof(raw)) != NGX_OK
        || ngx_http_webauthn_b64url(r->pool, raw, sizeof(raw), &ad->grant)
           != NGX_OK
        || ngx_http_webauthn_grant_digest(&ad->grant, ad->digest) != NGX_OK)
    {
        ngx_explicit_memzero(raw, sizeof(raw));
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    ngx_explicit_memzero(raw, sizeof(raw));

    ad->expires = ngx_time() + ad->ttl;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_grant_digest(ngx_str_t *code, u_char *hex)
{
    unsigned int  len;
    u_char        md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(code->data, code->len, md, &len, EVP_sha256(), NULL) != 1
        || len * 2 != NGX_HTTP_WEBAUTHN_GRANT_DIGEST_LEN)
    {
        return NGX_ERROR;
    }

    (void) ngx_hex_dump(hex, md, len);

    return NGX_OK;
}


/* GET users/<user> */

static void
ngx_http_webauthn_admin_user_done(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_admin_t *ad = data;

    size_t                    i;
    ngx_str_t                 s;
    redisReply              **e, *u;
    ngx_http_webauthn_out_t   o;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    e = reply->element;

    if (e[0]->type != REDIS_REPLY_ARRAY) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_NOT_FOUND, "user_unknown",
                                  "no passkey record for this user", "none");
        return;
    }

    if (reply->elements != 7 || e[0]->elements != 3
        || e[1]->type != REDIS_REPLY_ARRAY
        || e[6]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    u = e[0];

    ngx_http_webauthn_out_init(&o, r, 2048);

    ngx_http_webauthn_out_raw(&o, "{\"user\":");
    ngx_http_webauthn_out_str(&o, ad->user.data, ad->user.len);
    ngx_http_webauthn_out_raw(&o, ",\"handle\":");

    if (ngx_http_webauthn_reply_str(u->element[0], &s) != NGX_OK) {
        ngx_str_null(&s);
    }

    ngx_http_webauthn_out_str(&o, s.data, s.len);
    ngx_http_webauthn_admin_int(&o, "created", u->element[1]);
    ngx_http_webauthn_admin_int(&o, "changed", u->element[2]);
    ngx_http_webauthn_out_raw(&o, ",\"credentials\":[");

    for (i = 0; i < e[1]->elements; i++) {
        if (i) {
            ngx_http_webauthn_out_raw(&o, ",");
        }

        ngx_http_webauthn_admin_credential(&o, e[1]->element[i]);
    }

    ngx_http_webauthn_out_raw(&o, "],\"lkg\":");
    ngx_http_webauthn_admin_snapshot(&o, e[2]);

    ngx_http_webauthn_out_raw(&o, ",\"grant\":");

    if (e[3]->type == REDIS_REPLY_INTEGER && e[3]->integer > 0) {
        ngx_http_webauthn_out_raw(&o, "{\"expiresAt\":");
        ngx_http_webauthn_out_int(&o, ngx_time() + e[3]->integer);
        ngx_http_webauthn_out_raw(&o, "}");

    } else {
        ngx_http_webauthn_out_raw(&o, "null");
    }

    ngx_http_webauthn_out_raw(&o, ",\"lock\":{\"locked\":");

    if (e[4]->type == REDIS_REPLY_INTEGER && e[4]->integer > 0) {
        ngx_http_webauthn_out_raw(&o, "true,\"retryAfter\":");
        ngx_http_webauthn_out_int(&o, e[4]->integer);

    } else {
        ngx_http_webauthn_out_raw(&o, "false,\"retryAfter\":0");
    }

    ngx_http_webauthn_admin_int(&o, "failures", e[5]);
    ngx_http_webauthn_out_raw(&o, "},\"events\":");
    ngx_http_webauthn_admin_events(&o, e[6]);
    ngx_http_webauthn_out_raw(&o, "}");

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &o, NULL));
}


/*
 * One passkey: {id, active, [created, used, aaguid, be, bs, transports,
 * probation, revoked, suspended, removed]}.
 */

static void
ngx_http_webauthn_admin_credential(ngx_http_webauthn_out_t *o,
    redisReply *c)
{
    ngx_str_t     s;
    redisReply  **f;
    const char   *status;

    if (c->type != REDIS_REPLY_ARRAY || c->elements != 3
        || c->element[1]->type != REDIS_REPLY_INTEGER
        || c->element[2]->type != REDIS_REPLY_ARRAY
        || c->element[2]->elements != 10
        || ngx_http_webauthn_reply_str(c->element[0], &s) != NGX_OK)
    {
        ngx_http_webauthn_out_raw(o, "null");
        return;
    }

    f = c->element[2]->element;

    if (f[7]->type == REDIS_REPLY_STRING) {
        status = "revoked";

    } else if (c->element[1]->integer) {
        status = "active";

    } else if (f[8]->type == REDIS_REPLY_STRING) {
        status = "suspended";

    } else {
        status = "removed";
    }

    ngx_http_webauthn_out_raw(o, "{\"id\":");
    ngx_http_webauthn_out_str(o, s.data, s.len);
    ngx_http_webauthn_out_raw(o, ",\"status\":\"");
    ngx_http_webauthn_out_raw(o, status);
    ngx_http_webauthn_out_raw(o, "\"");
    ngx_http_webauthn_admin_int(o, "createdAt", f[0]);
    ngx_http_webauthn_admin_int(o, "lastUsed", f[1]);
    ngx_http_webauthn_out_raw(o, ",\"aaguid\":");

    if (ngx_http_webauthn_reply_str(f[2], &s) != NGX_OK) {
        ngx_str_null(&s);
    }

    ngx_http_webauthn_out_str(o, s.data, s.len);
    ngx_http_webauthn_out_raw(o, ",\"backupEligible\":");
    ngx_http_webauthn_out_raw(o, ngx_http_webauthn_reply_is(f[3], "1")
                                 ? "true" : "false");
    ngx_http_webauthn_out_raw(o, ",\"backedUp\":");
    ngx_http_webauthn_out_raw(o, ngx_http_webauthn_reply_is(f[4], "1")
                                 ? "true" : "false");
    ngx_http_webauthn_out_raw(o, ",\"transports\":");

    if (ngx_http_webauthn_reply_str(f[5], &s) != NGX_OK) {
        ngx_str_null(&s);
    }

    ngx_http_webauthn_out_transports(o, s.data, s.len);

    if (f[6]->type == REDIS_REPLY_STRING) {
        ngx_http_webauthn_admin_int(o, "probationSince", f[6]);
    }

    if (f[7]->type == REDIS_REPLY_STRING) {
        ngx_http_webauthn_admin_int(o, "revokedAt", f[7]);
    }

    if (f[8]->type == REDIS_REPLY_STRING) {
        ngx_http_webauthn_admin_int(o, "suspendedAt", f[8]);
    }

    if (f[9]->type == REDIS_REPLY_STRING) {
        ngx_http_webauthn_admin_int(o, "removedAt", f[9]);
    }

    ngx_http_webauthn_out_raw(o, "}");
}


/* the newest snapshot, "TAKEN CHANGED ID,ID,...", or null */

static void
ngx_http_webauthn_admin_snapshot(ngx_http_webauthn_out_t *o, redisReply *rr)
{
    u_char      *p, *last, *sp, *comma;
    uint64_t     taken, changed;
    ngx_str_t    s;
    ngx_uint_t   n;

    if (ngx_http_webauthn_reply_str(rr, &s) != NGX_OK) {
        ngx_http_webauthn_out_raw(o, "null");
        return;
    }

    p = s.data;
    last = s.data + s.len;

    sp = ngx_strlchr(p, last, ' ');

    if (sp == NULL
        || ngx_http_webauthn_parse_uint(p, sp - p, &taken) != NGX_OK)
    {
        ngx_http_webauthn_out_raw(o, "null");
        return;
    }

    p = sp + 1;
    sp = ngx_strlchr(p, last, ' ');

    if (sp == NULL
        || ngx_http_webauthn_parse_uint(p, sp - p, &changed) != NGX_OK)
    {
        ngx_http_webauthn_out_raw(o, "null");
        return;
    }

    ngx_http_webauthn_out_raw(o, "{\"taken\":");
    ngx_http_webauthn_out_int(o, (int64_t) taken);
    ngx_http_webauthn_out_raw(o, ",\"changed\":");
    ngx_http_webauthn_out_int(o, (int64_t) changed);
    ngx_http_webauthn_out_raw(o, ",\"credentials\":[");

    p = sp + 1;
    n = 0;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (comma > p) {
            ngx_http_webauthn_out_raw(o, n++ ? "," : "");
            ngx_http_webauthn_out_str(o, p, comma - p);
        }

        p = comma + 1;
    }

    ngx_http_webauthn_out_raw(o, "]}");
}


/* the user's recent events, written by the scripts as JSON objects */

static void
ngx_http_webauthn_admin_events(ngx_http_webauthn_out_t *o, redisReply *list)
{
    size_t         i;
    json_t        *ev;
    ngx_str_t      s;
    ngx_uint_t     n;
    json_error_t   err;

    ngx_http_webauthn_out_raw(o, "[");

    n = 0;

    for (i = 0; i < list->elements; i++) {
        if (ngx_http_webauthn_reply_str(list->element[i], &s) != NGX_OK) {
            continue;
        }

        /* only what parses as an object goes into the answer as it is */

        ev = json_loadb((const char *) s.data, s.len, JSON_REJECT_DUPLICATES,
                        &err);

        if (ev == NULL || !json_is_object(ev)) {
            json_decref(ev);
            continue;
        }

        json_decref(ev);

        ngx_http_webauthn_out_raw(o, n++ ? "," : "");
        ngx_http_webauthn_out_json(o, s.data, s.len);
    }

    ngx_http_webauthn_out_raw(o, "]");
}


/* reset, rollback, grant, unlock: the script's answer */

static void
ngx_http_webauthn_admin_changed(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_admin_t *ad = data;

    redisReply               **e;
    ngx_http_webauthn_out_t    o;

    if (ngx_http_webauthn_admin_unknown(r, reply) != NGX_OK) {
        return;
    }

    e = reply->element;

    ngx_http_webauthn_out_init(&o, r, 256);
    ngx_http_webauthn_out_raw(&o, "{\"status\":\"ok\"");

    switch (ad->action) {

    case NGX_HTTP_WEBAUTHN_ADMIN_RESET:
        ngx_http_webauthn_admin_int(&o, "revoked", e[1]);
        break;

    case NGX_HTTP_WEBAUTHN_ADMIN_ROLLBACK:
        if (reply->elements != 7) {
            ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
            return;
        }

        ngx_http_webauthn_admin_int(&o, "restored", e[1]);
        ngx_http_webauthn_admin_int(&o, "removed", e[2]);
        ngx_http_webauthn_admin_int(&o, "active", e[3]);
        ngx_http_webauthn_admin_int(&o, "skipped", e[4]);
        ngx_http_webauthn_admin_int(&o, "snapshot", e[5]);
        break;

    case NGX_HTTP_WEBAUTHN_ADMIN_GRANT:
        ngx_http_webauthn_out_raw(&o, ",\"newUser\":");
        ngx_http_webauthn_out_raw(&o, (e[1]->type == REDIS_REPLY_INTEGER
                                       && e[1]->integer)
                                      ? "true" : "false");
        break;

    default: /* NGX_HTTP_WEBAUTHN_ADMIN_UNLOCK */
        ngx_http_webauthn_out_raw(&o, ",\"unlocked\":");
        ngx_http_webauthn_out_raw(&o, (e[1]->type == REDIS_REPLY_INTEGER
                                       && e[1]->integer)
                                      ? "true" : "false");
    }

    if (ad->grant.len) {
        ngx_http_webauthn_out_raw(&o, ",\"grant\":");
        ngx_http_webauthn_out_str(&o, ad->grant.data, ad->grant.len);
        ngx_http_webauthn_out_raw(&o, ",\"grant_expires\":");
        ngx_http_webauthn_out_int(&o, ad->expires);

        /* the answer has its copy; the code is shown once */
        ngx_explicit_memzero(ad->grant.data, ad->grant.len);
    }

    ngx_http_webauthn_out_raw(&o, "}");

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                  "webauthn: admin %s of user \"%V\" by %V",
                  ngx_http_webauthn_admin_actions[ad->action], &ad->user,
                  &ad->actor);

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &o, NULL));
}


/*
 * {"ok", ...} goes on; {"user_unknown"} and {"no_snapshot"} are answered
 * here, and anything else is the store failing.
 */

static ngx_int_t
ngx_http_webauthn_admin_unknown(ngx_http_request_t *r, redisReply *reply)
{
    redisReply  *e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return NGX_ERROR;
    }

    e = reply->element[0];

    if (ngx_http_webauthn_reply_is(e, "ok") && reply->elements >= 2) {
        return NGX_OK;
    }

    if (ngx_http_webauthn_reply_is(e, "user_unknown")) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_NOT_FOUND, "user_unknown",
                                  "no passkey record for this user", "none");
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_reply_is(e, "no_snapshot")) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_CONFLICT, "no_snapshot",
                                  "no last-known-good set to go back to",
                                  "none");
        return NGX_ERROR;
    }

    ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
    return NGX_ERROR;
}


/* ,"name":N from an integer or a decimal string reply; 0 when absent */

static void
ngx_http_webauthn_admin_int(ngx_http_webauthn_out_t *o, const char *name,
    redisReply *rr)
{
    uint64_t   n;
    ngx_str_t  s;

    n = 0;

    if (rr->type == REDIS_REPLY_INTEGER && rr->integer > 0) {
        n = (uint64_t) rr->integer;

    } else if (ngx_http_webauthn_reply_str(rr, &s) == NGX_OK) {
        (void) ngx_http_webauthn_parse_uint(s.data, s.len, &n);
    }

    ngx_http_webauthn_out_raw(o, ",\"");
    ngx_http_webauthn_out_raw(o, name);
    ngx_http_webauthn_out_raw(o, "\":");
    ngx_http_webauthn_out_int(o, (int64_t) n);
}
