
/*
 * The ceremony endpoints: register_options, register, login_options,
 * login, credentials and logout (docs/http-api.md).
 *
 * Each is a content handler that reads the body, then runs a short chain
 * of store commands; each store answer calls the next step, and the last
 * step finalizes the request.  The request is held (the count taken by
 * ngx_http_read_client_request_body()) until then, and every command has
 * its timer, so a request always ends.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ngx_http_webauthn_module.h"
#include <wa_store_lua.h>


#define NGX_HTTP_WEBAUTHN_BODY_MAX          (64 * 1024)
#define NGX_HTTP_WEBAUTHN_CEREMONY_BODY_MAX WA_MAX_RESPONSE_JSON

/* how long a used or expired challenge is still told from an unknown one */
#define NGX_HTTP_WEBAUTHN_CHALLENGE_GRACE   60

/* a challenge record: "<ceremony> <expiry>[ <grant digest>]" */
#define NGX_HTTP_WEBAUTHN_CHALLENGE_REC                                      \
    (sizeof("login ") + NGX_TIME_T_LEN + 1                                   \
     + NGX_HTTP_WEBAUTHN_GRANT_DIGEST_LEN)

#define NGX_HTTP_WEBAUTHN_KEY_CACHE         1024


/* where the user of a request comes from */
#define NGX_HTTP_WEBAUTHN_FROM_NONE         0
#define NGX_HTTP_WEBAUTHN_FROM_SESSION      1
#define NGX_HTTP_WEBAUTHN_FROM_IDENTITY     2
#define NGX_HTTP_WEBAUTHN_FROM_BODY         3
#define NGX_HTTP_WEBAUTHN_FROM_HANDLE       4


typedef struct ngx_http_webauthn_ep_s  ngx_http_webauthn_ep_t;

typedef void (*ngx_http_webauthn_step_pt)(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);

struct ngx_http_webauthn_ep_s {
    ngx_str_t                       body;
    ngx_str_t                       identity;
    ngx_str_t                       user;
    ngx_uint_t                      from;

    ngx_http_webauthn_session_t     session;
    unsigned                        has_cookie:1;
    unsigned                        has_session:1;   /* checked in store */
    unsigned                        everywhere:1;
    unsigned                        consumed:1;      /* challenge used */
    unsigned                        store_asked:1;

    /* options written while the store takes their challenge */
    ngx_http_webauthn_out_t         answer;

    /* what runs after the session check */
    ngx_http_webauthn_step_pt       next;

    /* ceremonies */
    wa_registration_response_t      reg;
    wa_assertion_response_t         assertion;
    wa_credential_t                 cred;
    unsigned                        reg_parsed:1;
    unsigned                        assertion_parsed:1;
    unsigned                        cred_made:1;

    u_char                          challenge[NGX_HTTP_WEBAUTHN_CHALLENGE_LEN];
    ngx_str_t                       challenge_b64;
    ngx_str_t                       challenge_key;
    ngx_str_t                       cred_id;         /* base64url */
    ngx_str_t                       handle;          /* base64url */
    ngx_str_t                       pk;              /* base64url COSE */
    uint32_t                        count;
    int                             be;
    ngx_uint_t                      n_creds;
    uint32_t                        new_count;

    /* an enrolment grant: as sent, then the digest the challenge carries */
    ngx_str_t                       grant;
    u_char                          grant_digest[
                                        NGX_HTTP_WEBAUTHN_GRANT_DIGEST_LEN];
    unsigned                        granted:1;
    uint8_t                         flags;
    ngx_str_t                       sid;
};


/* how the wa core's codes are answered (docs/errors.md) */
typedef struct {
    ngx_uint_t                      status;
    const char                     *action;
    const char                     *text;
} ngx_http_webauthn_rc_map_t;


typedef struct {
    ngx_str_t                       pk;         /* the stored text, heap */
    wa_key_t                       *key;
} ngx_http_webauthn_key_slot_t;




static size_t ngx_http_webauthn_body_max(
    ngx_http_webauthn_loc_conf_t *wlcf);
static void ngx_http_webauthn_ep_body(ngx_http_request_t *r);
static void ngx_http_webauthn_ep_dispatch(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static ngx_int_t ngx_http_webauthn_body_copy(ngx_http_request_t *r,
    ngx_str_t *body, size_t max);
static ngx_int_t ngx_http_webauthn_ep_identify(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static ngx_int_t ngx_http_webauthn_ep_options_body(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_ep_session_check(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, ngx_http_webauthn_step_pt next);
static void ngx_http_webauthn_ep_session_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);

static void ngx_http_webauthn_register_options(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_register_options_user(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_register_options_out(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *list);
static void ngx_http_webauthn_register_start(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_register_begin(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_register_handle(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_release_claim(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_register_index(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_register_stored(ngx_http_request_t *r,
    void *data, redisReply *reply);

static void ngx_http_webauthn_login_options(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_login_options_user(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_login_start(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_login_handle(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_login_begin(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_login_begin_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_login_global(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_login_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *challenge);
static void ngx_http_webauthn_login_done(ngx_http_request_t *r, void *data,
    redisReply *reply);
static void ngx_http_webauthn_login_refuse(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *code);

static void ngx_http_webauthn_credentials(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_credentials_list(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_credentials_delete(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_credentials_deleted(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_logout(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static void ngx_http_webauthn_logout_done(ngx_http_request_t *r, void *data,
    redisReply *reply);

static ngx_int_t ngx_http_webauthn_ep_challenge(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, wa_buf_t *client_data_json);
static ssize_t ngx_http_webauthn_challenge_make(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *ceremony, u_char *value);
static time_t ngx_http_webauthn_challenge_keep(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_new_challenge(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *ceremony, ngx_str_t *user,
    ngx_http_webauthn_store_pt handler);
static ngx_int_t ngx_http_webauthn_challenge_check(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *rec, const char *ceremony);
static ngx_int_t ngx_http_webauthn_locked(ngx_http_request_t *r,
    redisReply *ttl);
static void ngx_http_webauthn_ep_failed_done(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_ep_failed(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *why);
static ngx_int_t ngx_http_webauthn_grant_check(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *stored);

static ngx_int_t ngx_http_webauthn_user_script(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, ngx_uint_t create, const char *ceremony,
    ngx_http_webauthn_store_pt handler);
static void ngx_http_webauthn_out_credentials(ngx_http_webauthn_out_t *o,
    redisReply *list, ngx_uint_t full);
static void ngx_http_webauthn_out_options_end(ngx_http_webauthn_out_t *o,
    ngx_http_webauthn_srv_conf_t *wscf);
static void ngx_http_webauthn_out_challenge_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_webauthn_login_options_out(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *list);

static void ngx_http_webauthn_ep_fail_rc(ngx_http_request_t *r, wa_rc_t rc,
    wa_err_t *err);
static void ngx_http_webauthn_failed_aaguid(ngx_http_request_t *r,
    const uint8_t *raw);
static ngx_int_t ngx_http_webauthn_aaguid(ngx_http_request_t *r,
    const uint8_t *raw, ngx_str_t *out);
static void ngx_http_webauthn_ep_cleanup(void *data);
static ngx_int_t ngx_http_webauthn_may_enroll(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep);
static wa_policy_t *ngx_http_webauthn_policy(ngx_http_request_t *r);
static wa_key_t *ngx_http_webauthn_key(ngx_http_request_t *r, ngx_str_t *pk,
    wa_err_t *err, wa_rc_t *rc);
static void ngx_http_webauthn_key_slot_free(
    ngx_http_webauthn_key_slot_t *slot);
static size_t ngx_http_webauthn_transports_text(uint32_t t, u_char *out);


static ngx_http_webauthn_rc_map_t  ngx_http_webauthn_rc_map[WA_RC_COUNT] = {
    { NGX_HTTP_OK, NULL, NULL },                            /* WA_OK */
    { NGX_HTTP_BAD_REQUEST, "none",
      "the request is not a valid WebAuthn response" },
    { NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, "none",
      "a part of the request is too large" },
    { NGX_HTTP_BAD_REQUEST, "none",
      "the credential or ceremony type is wrong" },
    { NGX_HTTP_FORBIDDEN, "retry",
      "the signed challenge is not the one issued" },
    { NGX_HTTP_FORBIDDEN, "none",
      "the page's origin is not allowed" },
    { NGX_HTTP_FORBIDDEN, "none",
      "a ceremony in a cross-origin frame is not allowed" },
    { NGX_HTTP_FORBIDDEN, "none",
      "the embedding page is not allowed" },
    { NGX_HTTP_FORBIDDEN, "none",
      "the passkey is for another site" },
    { NGX_HTTP_FORBIDDEN, "retry",
      "the authenticator did not confirm your presence" },
    { NGX_HTTP_FORBIDDEN, "retry",
      "the authenticator did not verify you (PIN, biometric or screen "
      "lock)" },
    { NGX_HTTP_BAD_REQUEST, "none",
      "the authenticator's backup flags contradict each other" },
    { NGX_HTTP_FORBIDDEN, "reregister",
      "the passkey's backup eligibility changed" },
    { NGX_HTTP_FORBIDDEN, "reregister",
      "the passkey's signature does not verify" },
    { NGX_HTTP_FORBIDDEN, "support",
      "the passkey's signature counter went back" },
    { NGX_HTTP_BAD_REQUEST, "none",
      "the credential IDs of the response disagree" },
    { NGX_HTTP_FORBIDDEN, "reregister",
      "this passkey is not registered for this account" },
    { NGX_HTTP_FORBIDDEN, "retry",
      "this passkey belongs to another account" },
    { NGX_HTTP_BAD_REQUEST, "none",
      "the passkey's algorithm is not supported" },
    { NGX_HTTP_BAD_REQUEST, "none",
      "the passkey's public key is not acceptable" },
    { NGX_HTTP_FORBIDDEN, "none",
      "the authenticator's attestation does not verify" },
    { NGX_HTTP_FORBIDDEN, "none",
      "the authenticator's attestation is not trusted" },
    { NGX_HTTP_BAD_REQUEST, "none",
      "the attestation format is not supported" },
    { NGX_HTTP_INTERNAL_SERVER_ERROR, "retry",
      "the server failed, please try again" }
};


static const char  *ngx_http_webauthn_uv_names[] = {
    "required", "preferred", "discouraged"
};


/* parsed public keys, per worker: building an EVP_PKEY is slow */
static ngx_http_webauthn_key_slot_t
    ngx_http_webauthn_keys[NGX_HTTP_WEBAUTHN_KEY_CACHE];


/* the worker exits: the keys it parsed go (the module may be unloaded) */

void
ngx_http_webauthn_endpoints_exit_process(void)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_WEBAUTHN_KEY_CACHE; i++) {
        ngx_http_webauthn_key_slot_free(&ngx_http_webauthn_keys[i]);
    }
}


ngx_int_t
ngx_http_webauthn_endpoint_handler(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_str_t                      allow;
    ngx_uint_t                     allowed;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn endpoint \"%V\"",
                   &ngx_http_webauthn_endpoints[wlcf->endpoint].name);

    switch (wlcf->endpoint) {

    case NGX_HTTP_WEBAUTHN_EP_REGISTER_OPTIONS:
    case NGX_HTTP_WEBAUTHN_EP_REGISTER:
    case NGX_HTTP_WEBAUTHN_EP_LOGIN_OPTIONS:
    case NGX_HTTP_WEBAUTHN_EP_LOGIN:
    case NGX_HTTP_WEBAUTHN_EP_LOGOUT:
        allowed = NGX_HTTP_POST;
        break;

    case NGX_HTTP_WEBAUTHN_EP_CREDENTIALS:
        allowed = NGX_HTTP_GET|NGX_HTTP_DELETE;
        break;

    case NGX_HTTP_WEBAUTHN_EP_ADMIN:
        return ngx_http_webauthn_admin_handler(r);

    case NGX_HTTP_WEBAUTHN_EP_METRICS:
        return ngx_http_webauthn_metrics_handler(r);

    case NGX_HTTP_WEBAUTHN_EP_TELEMETRY:
        return ngx_http_webauthn_telemetry_handler(r);

    default:
        /* transaction_options: a later release */

        return ngx_http_webauthn_reject(r, NGX_HTTP_NOT_IMPLEMENTED,
                   "not_implemented",
                   "this endpoint is not available in this release");
    }

    if (!(r->method & allowed)) {
        if (allowed == NGX_HTTP_POST) {
            ngx_str_set(&allow, "POST");

        } else {
            ngx_str_set(&allow, "GET, DELETE");
        }

        return ngx_http_webauthn_not_allowed(r, &allow);
    }

    ctx = ngx_http_webauthn_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.content_length_n
        > (off_t) ngx_http_webauthn_body_max(wlcf))
    {
        return ngx_http_webauthn_reject(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "payload_too_large",
                                        "the request body is too large");
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_webauthn_ep_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * A refusal before the body is read (the body is discarded), for a
 * content handler to return.
 */

ngx_int_t
ngx_http_webauthn_reject(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_webauthn_send_error(r, status, code, message, "none");
}


/* 405 method_not_allowed with the Allow header */

ngx_int_t
ngx_http_webauthn_not_allowed(ngx_http_request_t *r, ngx_str_t *allow)
{
    if (ngx_http_webauthn_add_header(r, "Allow", allow) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_webauthn_reject(r, NGX_HTTP_NOT_ALLOWED,
                                    "method_not_allowed",
                                    "this method is not allowed here");
}


/* attestation (certificate chains) makes registrations the large ones */

static size_t
ngx_http_webauthn_body_max(ngx_http_webauthn_loc_conf_t *wlcf)
{
    return (wlcf->endpoint == NGX_HTTP_WEBAUTHN_EP_REGISTER)
           ? NGX_HTTP_WEBAUTHN_CEREMONY_BODY_MAX : NGX_HTTP_WEBAUTHN_BODY_MAX;
}


/* the body is read: set the request up, then the endpoint's first step */

static void
ngx_http_webauthn_ep_body(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t            *cln;
    ngx_http_webauthn_ep_t        *ep;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);
    ctx = ngx_http_webauthn_get_ctx(r);

    ep = ngx_pcalloc(r->pool, sizeof(ngx_http_webauthn_ep_t));
    if (ctx == NULL || ep == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = ngx_http_webauthn_ep_cleanup;
    cln->data = ep;

    ctx->endpoint = ep;

    if (ngx_http_webauthn_read_body(r, &ep->body,
                                    ngx_http_webauthn_body_max(wlcf),
                                    "the request body is too large")
        != NGX_OK)
    {
        return;
    }

    if (ep->body.len && ngx_http_webauthn_check_type(r) != NGX_OK) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                  "malformed_request",
                                  "the body must be application/json",
                                  "none");
        return;
    }

    if (ngx_http_webauthn_ep_identify(r, ep) != NGX_OK) {
        return;
    }

    /* logout ends whatever the cookie names, valid in the store or not */

    if (ep->has_cookie && wlcf->endpoint != NGX_HTTP_WEBAUTHN_EP_LOGOUT) {
        ngx_http_webauthn_ep_session_check(r, ep,
                                           ngx_http_webauthn_ep_dispatch);
        return;
    }

    ngx_http_webauthn_ep_dispatch(r, ep);
}


static void
ngx_http_webauthn_ep_dispatch(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    /* a session the store does not hold any more is no session */

    if (ep->has_cookie && !ep->has_session
        && wlcf->endpoint != NGX_HTTP_WEBAUTHN_EP_LOGOUT)
    {
        ep->has_cookie = 0;

        if (ep->identity.len) {
            ep->user = ep->identity;
            ep->from = NGX_HTTP_WEBAUTHN_FROM_IDENTITY;

        } else {
            ngx_str_null(&ep->user);
            ep->from = NGX_HTTP_WEBAUTHN_FROM_NONE;
        }
    }

    if (ep->has_cookie && ep->identity.len
        && (ep->identity.len != ep->session.user.len
            || ngx_strncmp(ep->identity.data, ep->session.user.data,
                           ep->identity.len)
               != 0))
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "user_mismatch",
                                  "the passkey session belongs to another "
                                  "account", "retry");
        return;
    }

    if (ep->user.len) {
        ctx = ngx_http_webauthn_get_ctx(r);
        ctx->user = ep->user;

        if (!ep->has_session) {
            ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSWORD;
        }
    }

    switch (wlcf->endpoint) {

    case NGX_HTTP_WEBAUTHN_EP_REGISTER_OPTIONS:
        ngx_http_webauthn_register_options(r, ep);
        return;

    case NGX_HTTP_WEBAUTHN_EP_REGISTER:
        ngx_http_webauthn_register_start(r, ep);
        return;

    case NGX_HTTP_WEBAUTHN_EP_LOGIN_OPTIONS:
        ngx_http_webauthn_login_options(r, ep);
        return;

    case NGX_HTTP_WEBAUTHN_EP_LOGIN:
        ngx_http_webauthn_login_start(r, ep);
        return;

    case NGX_HTTP_WEBAUTHN_EP_CREDENTIALS:
        ngx_http_webauthn_credentials(r, ep);
        return;

    default: /* NGX_HTTP_WEBAUTHN_EP_LOGOUT */
        ngx_http_webauthn_logout(r, ep);
        return;
    }
}


/*
 * The body in one piece, or the request answered: 413 payload_too_large
 * (with the endpoint's own message) over max, 500 when it cannot be read.
 */

ngx_int_t
ngx_http_webauthn_read_body(ngx_http_request_t *r, ngx_str_t *body,
    size_t max, const char *too_large)
{
    ngx_int_t  rc;

    rc = ngx_http_webauthn_body_copy(r, body, max);

    if (rc == NGX_DECLINED) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                  "payload_too_large", too_large, "none");
        return NGX_DONE;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_DONE;
    }

    return NGX_OK;
}


/* from memory or from its temporary file; NGX_DECLINED over max */

static ngx_int_t
ngx_http_webauthn_body_copy(ngx_http_request_t *r, ngx_str_t *body,
    size_t max)
{
    u_char       *p;
    size_t        len, size;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);

        if (len > max) {
            return NGX_DECLINED;
        }
    }

    body->data = ngx_pnalloc(r->pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            size = b->file_last - b->file_pos;
            n = ngx_read_file(b->file, p, size, b->file_pos);

            if (n != (ssize_t) size) {
                return NGX_ERROR;
            }

            p += size;

        } else {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    *p = '\0';
    body->len = len;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_check_type(ngx_http_request_t *r)
{
    u_char     *p;
    ngx_str_t  *type;

    if (r->headers_in.content_type == NULL) {
        return NGX_ERROR;
    }

    type = &r->headers_in.content_type->value;

    if (type->len < sizeof("application/json") - 1
        || ngx_strncasecmp(type->data, (u_char *) "application/json",
                           sizeof("application/json") - 1)
           != 0)
    {
        return NGX_ERROR;
    }

    p = type->data + sizeof("application/json") - 1;

    if (p < type->data + type->len && *p != ';' && *p != ' ') {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Who is asking: the session cookie's user, or the password identity; when
 * both are there they must agree.  Finalizes the request on a refusal.
 */

static ngx_int_t
ngx_http_webauthn_ep_identify(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    ngx_int_t                      rc;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (wlcf->identity) {
        if (ngx_http_complex_value(r, wlcf->identity, &ep->identity)
            != NGX_OK)
        {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return NGX_ERROR;
        }

        if (ep->identity.len > NGX_HTTP_WEBAUTHN_USER_MAX) {
            ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "policy_denied",
                                      "the user name is too long", "none");
            return NGX_ERROR;
        }
    }

    rc = ngx_http_webauthn_session_get(r, &ep->session);

    if (rc == NGX_OK) {
        ep->has_cookie = 1;
    }

    if (ep->has_cookie) {
        ep->user = ep->session.user;
        ep->from = NGX_HTTP_WEBAUTHN_FROM_SESSION;

    } else if (ep->identity.len) {
        ep->user = ep->identity;
        ep->from = NGX_HTTP_WEBAUTHN_FROM_IDENTITY;
    }

    return NGX_OK;
}


/* {} or {"user": "..."} or {"everywhere": true}: a JSON object */

static ngx_int_t
ngx_http_webauthn_ep_options_body(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    json_t        *root, *v;
    const char    *key;
    json_error_t   err;

    if (ep->body.len == 0) {
        return NGX_OK;
    }

    root = json_loadb((const char *) ep->body.data, ep->body.len,
                      JSON_REJECT_DUPLICATES, &err);

    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                  "malformed_request",
                                  "the body must be a JSON object", "none");
        return NGX_ERROR;
    }

    json_object_foreach(root, key, v) {

        if (ngx_strcmp(key, "user") == 0) {
            if (!json_is_string(v) || json_string_length(v) == 0
                || json_string_length(v) > NGX_HTTP_WEBAUTHN_USER_MAX)
            {
                goto invalid;
            }

            if (ep->user.len
                && (ep->user.len != json_string_length(v)
                    || ngx_strncmp(ep->user.data, json_string_value(v),
                                   ep->user.len)
                       != 0))
            {
                json_decref(root);
                ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN,
                                          "user_mismatch",
                                          "\"user\" is not the signed-in "
                                          "user", "retry");
                return NGX_ERROR;
            }

            if (ep->user.len == 0) {
                ep->user.len = json_string_length(v);
                ep->user.data = ngx_pnalloc(r->pool, ep->user.len);
                if (ep->user.data == NULL) {
                    json_decref(root);
                    ngx_http_finalize_request(r,
                                            NGX_HTTP_INTERNAL_SERVER_ERROR);
                    return NGX_ERROR;
                }

                ngx_memcpy(ep->user.data, json_string_value(v),
                           ep->user.len);
                ep->from = NGX_HTTP_WEBAUTHN_FROM_BODY;
            }

            continue;
        }

        if (ngx_strcmp(key, "grant") == 0) {
            if (!json_is_string(v)
                || json_string_length(v) > NGX_HTTP_WEBAUTHN_GRANT_MAX)
            {
                goto invalid;
            }

            ep->grant.len = json_string_length(v);
            ep->grant.data = ngx_pnalloc(r->pool, ep->grant.len + 1);
            if (ep->grant.data == NULL) {
                json_decref(root);
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return NGX_ERROR;
            }

            ngx_memcpy(ep->grant.data, json_string_value(v),
                       ep->grant.len + 1);
            continue;
        }

        if (ngx_strcmp(key, "everywhere") == 0) {
            if (!json_is_boolean(v)) {
                goto invalid;
            }

            ep->everywhere = json_is_true(v);
            continue;
        }

        /* other members (extensions of clients) are ignored */
    }

    json_decref(root);

    return NGX_OK;

invalid:

    json_decref(root);
    ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST, "malformed_request",
                              "a member of the body has the wrong type",
                              "none");
    return NGX_ERROR;
}


/*
 * A cookie proves only that it was made here: whether the session still
 * holds (not logged out, epoch not moved) is the store's to say.
 */

static void
ngx_http_webauthn_ep_session_check(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, ngx_http_webauthn_step_pt next)
{
    ngx_int_t  rc;

    ep->next = next;

    rc = ngx_http_webauthn_session_lookup(r, &ep->session,
                                          ngx_http_webauthn_ep_session_reply,
                                          ep, 0);
    if (rc != NGX_OK) {
        ngx_http_webauthn_ep_store_failed(r, rc);
    }
}


static void
ngx_http_webauthn_ep_session_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_int_t                 rc;
    ngx_http_webauthn_ctx_t  *ctx;

    rc = ngx_http_webauthn_session_valid(&ep->session, reply);

    if (rc == NGX_ERROR) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    ep->has_session = (rc == NGX_OK);

    if (ep->has_session) {
        ctx = ngx_http_webauthn_get_ctx(r);
        ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSKEY;
        ctx->credential = ep->session.credential;
    }

    ep->next(r, ep);
}


/* register_options */


static void
ngx_http_webauthn_register_options(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    ngx_http_webauthn_loc_conf_t  *wlcf;

    if (ngx_http_webauthn_ep_options_body(r, ep) != NGX_OK) {
        return;
    }

    if (ep->from != NGX_HTTP_WEBAUTHN_FROM_SESSION
        && ep->from != NGX_HTTP_WEBAUTHN_FROM_IDENTITY)
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_UNAUTHORIZED,
                                  "identity_required",
                                  "sign in first", "login");
        return;
    }

    /*
     * The user's handle is made only where this request may be allowed to
     * enrol: a refused request writes nothing.
     */

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    (void) ngx_http_webauthn_user_script(r, ep,
                                   ep->has_session
                                   || wlcf->enroll
                                      == NGX_HTTP_WEBAUTHN_ENROLL_OPEN,
                                   NULL,
                                   ngx_http_webauthn_register_options_user);
}


static void
ngx_http_webauthn_register_options_user(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 4
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    ep->n_creds = reply->element[1]->elements;

    if (ngx_http_webauthn_reply_dup(r, reply->element[0], &ep->handle)
        == NGX_ERROR)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_http_webauthn_locked(r, reply->element[2]) != NGX_OK) {
        return;
    }

    if (ep->grant.data
        && ngx_http_webauthn_grant_check(r, ep, reply->element[3]) != NGX_OK)
    {
        return;
    }

    if (ngx_http_webauthn_may_enroll(r, ep) != NGX_OK) {
        return;
    }

    /* the handle made for the user now, or the one they have */

    if (ep->handle.len == 0) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (ngx_http_webauthn_new_challenge(r, ep, "reg", &ep->user,
                                   ngx_http_webauthn_out_challenge_reply)
        != NGX_OK)
    {
        return;
    }

    /* written now, sent when the store has the challenge */

    ngx_http_webauthn_register_options_out(r, ep, reply->element[1]);
}


static void
ngx_http_webauthn_register_options_out(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *list)
{
    ngx_http_webauthn_out_t       *o;
    ngx_http_webauthn_srv_conf_t  *wscf;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    o = &ep->answer;
    ngx_http_webauthn_out_init(o, r, 1024);

    ngx_http_webauthn_out_raw(o, "{\"rp\":{\"id\":");
    ngx_http_webauthn_out_str(o, wscf->rp_id.data, wscf->rp_id.len);
    ngx_http_webauthn_out_raw(o, ",\"name\":");

    if (wscf->rp_name.len) {
        ngx_http_webauthn_out_str(o, wscf->rp_name.data, wscf->rp_name.len);

    } else {
        ngx_http_webauthn_out_str(o, wscf->rp_id.data, wscf->rp_id.len);
    }

    ngx_http_webauthn_out_raw(o, "},\"user\":{\"id\":");
    ngx_http_webauthn_out_str(o, ep->handle.data, ep->handle.len);
    ngx_http_webauthn_out_raw(o, ",\"name\":");
    ngx_http_webauthn_out_str(o, ep->user.data, ep->user.len);
    ngx_http_webauthn_out_raw(o, ",\"displayName\":");
    ngx_http_webauthn_out_str(o, ep->user.data, ep->user.len);
    ngx_http_webauthn_out_raw(o, "},\"challenge\":");
    ngx_http_webauthn_out_str(o, ep->challenge_b64.data,
                              ep->challenge_b64.len);
    ngx_http_webauthn_out_raw(o, ",\"pubKeyCredParams\":["
                              "{\"type\":\"public-key\",\"alg\":-8},"
                              "{\"type\":\"public-key\",\"alg\":-7},"
                              "{\"type\":\"public-key\",\"alg\":-257}],"
                              "\"timeout\":");
    ngx_http_webauthn_out_int(o, (int64_t) wscf->challenge_ttl * 1000);
    ngx_http_webauthn_out_raw(o, ",\"excludeCredentials\":");
    ngx_http_webauthn_out_credentials(o, list, 0);
    ngx_http_webauthn_out_raw(o, ",\"authenticatorSelection\":"
                              "{\"residentKey\":\"required\","
                              "\"requireResidentKey\":true,"
                              "\"userVerification\":\"");
    ngx_http_webauthn_out_raw(o,
                     ngx_http_webauthn_uv_names[wlcf->user_verification]);
    ngx_http_webauthn_out_raw(o, "\"},\"attestation\":\"none\"");

    ngx_http_webauthn_out_options_end(o, wscf);
}


/* register */


static void
ngx_http_webauthn_register_start(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    wa_rc_t                    rc;
    wa_err_t                   err;
    ngx_http_webauthn_args_t   a;

    if (ep->from != NGX_HTTP_WEBAUTHN_FROM_SESSION
        && ep->from != NGX_HTTP_WEBAUTHN_FROM_IDENTITY)
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_UNAUTHORIZED,
                                  "identity_required",
                                  "sign in first", "login");
        return;
    }

    if (!ep->reg_parsed) {
        rc = wa_registration_response_parse((const char *) ep->body.data,
                                            ep->body.len, &ep->reg, &err);
        if (rc != WA_OK) {
            ngx_http_webauthn_ep_fail_rc(r, rc, &err);
            return;
        }

        ep->reg_parsed = 1;

        if (ngx_http_webauthn_ep_challenge(r, ep, &ep->reg.client_data_json)
            != NGX_OK)
        {
            return;
        }
    }

    if (ngx_http_webauthn_user_key(r, &ep->user, "ch:", &ep->challenge_b64,
                                   &ep->challenge_key)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_str(&a, &ep->challenge_key);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "user", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "creds", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "lock", NULL);

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_register_begin, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_REG_BEGIN, 4);
}


static void
ngx_http_webauthn_register_begin(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    wa_rc_t                    rc;
    wa_err_t                   err;
    wa_policy_t               *pol;
    ngx_http_webauthn_args_t   a;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 4
        || reply->element[2]->type != REDIS_REPLY_INTEGER)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (ngx_http_webauthn_locked(r, reply->element[3]) != NGX_OK) {
        return;
    }

    if (ngx_http_webauthn_challenge_check(r, ep, reply->element[0], "reg")
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_webauthn_reply_dup(r, reply->element[1], &ep->handle)
        != NGX_OK)
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "challenge_unknown",
                                  "this challenge was not issued here",
                                  "retry");
        return;
    }

    ep->n_creds = (ngx_uint_t) reply->element[2]->integer;

    /* checked again: the account may have changed since the options */

    if (ngx_http_webauthn_may_enroll(r, ep) != NGX_OK) {
        return;
    }

    pol = ngx_http_webauthn_policy(r);
    if (pol == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = wa_verify_registration(pol, ep->challenge,
                                NGX_HTTP_WEBAUTHN_CHALLENGE_LEN, &ep->reg,
                                &ep->cred, &err);
    if (rc != WA_OK) {
        ngx_http_webauthn_failed_aaguid(r, ep->cred.aaguid);
        ep->consumed = 1;
        ngx_http_webauthn_ep_failed(r, ep, wa_rc_code(rc));
        ngx_http_webauthn_ep_fail_rc(r, rc, &err);
        return;
    }

    ep->cred_made = 1;

    if (ngx_http_webauthn_b64url(r->pool, ep->cred.cred_id.data,
                                 ep->cred.cred_id.len, &ep->cred_id)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the handle names the user in passkey-first logins */

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_lit(&a, "SET");
    ngx_http_webauthn_args_tag_key(&a, "h:", &ep->handle);
    ngx_http_webauthn_args_str(&a, &ep->user);

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_register_handle, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0);
}


/* credential IDs are unique across users: claimed before it is stored */

static void
ngx_http_webauthn_register_handle(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_http_webauthn_args_t  a;

    if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_lit(&a, "SET");
    ngx_http_webauthn_args_tag_key(&a, "c:", &ep->cred_id);
    ngx_http_webauthn_args_str(&a, &ep->user);
    ngx_http_webauthn_args_lit(&a, "NX");

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_register_index, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0);
}


static void
ngx_http_webauthn_register_index(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_str_t                      pk, aaguid;
    ngx_http_webauthn_args_t       a;
    ngx_http_webauthn_loc_conf_t  *wlcf;
    u_char                         transports[64];

    if (reply == NULL) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (reply->type != REDIS_REPLY_STATUS) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_CONFLICT, "credential_exists",
                                  "this passkey is registered already",
                                  "none");
        return;
    }

    if (ngx_http_webauthn_b64url(r->pool, ep->cred.public_key.data,
                                 ep->cred.public_key.len, &pk)
        != NGX_OK
        || ngx_http_webauthn_aaguid(r, ep->cred.aaguid, &aaguid) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "user", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "creds", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "cred:", &ep->cred_id);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "all", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "grant", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "events", NULL);
    ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);
    ngx_http_webauthn_args_lit(&a, WA_STORE_CHANGED_KEY);

    /* a session, or a grant, or else the user's first passkey */

    if (ep->has_session) {
        ngx_http_webauthn_args_lit(&a, "any");

    } else if (ep->granted) {
        ngx_http_webauthn_args_lit(&a, "grant");

    } else {
        ngx_http_webauthn_args_lit(&a, (wlcf->enroll
                                        == NGX_HTTP_WEBAUTHN_ENROLL_OPEN)
                                       ? "open" : "any");
    }

    ngx_http_webauthn_args_str(&a, &ep->handle);
    ngx_http_webauthn_args_str(&a, &ep->cred_id);
    ngx_http_webauthn_args_add(&a, ep->grant_digest,
                               ep->granted ? sizeof(ep->grant_digest) : 0);
    ngx_http_webauthn_args_int(&a, ngx_time());
    ngx_http_webauthn_args_str(&a, &ep->user);
    ngx_http_webauthn_args_lit(&a, "user");
    ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_MAX);

    /* the passkey's fields, as pairs */

    ngx_http_webauthn_args_lit(&a, "pk");
    ngx_http_webauthn_args_str(&a, &pk);
    ngx_http_webauthn_args_lit(&a, "count");
    ngx_http_webauthn_args_int(&a, ep->cred.sign_count);
    ngx_http_webauthn_args_lit(&a, "alg");
    ngx_http_webauthn_args_int(&a, ep->cred.alg);
    ngx_http_webauthn_args_lit(&a, "transports");
    ngx_http_webauthn_args_add(&a, transports,
                               ngx_http_webauthn_transports_text(
                                   ep->cred.transports, transports));
    ngx_http_webauthn_args_lit(&a, "aaguid");
    ngx_http_webauthn_args_str(&a, &aaguid);
    ngx_http_webauthn_args_lit(&a, "be");
    ngx_http_webauthn_args_lit(&a, (ep->cred.flags & WA_FLAG_BE) ? "1" : "0");
    ngx_http_webauthn_args_lit(&a, "bs");
    ngx_http_webauthn_args_lit(&a, (ep->cred.flags & WA_FLAG_BS) ? "1" : "0");
    ngx_http_webauthn_args_lit(&a, "uv");
    ngx_http_webauthn_args_lit(&a, (ep->cred.flags & WA_FLAG_UV) ? "1" : "0");
    ngx_http_webauthn_args_lit(&a, "fmt");
    ngx_http_webauthn_args_lit(&a, ep->cred.fmt);
    ngx_http_webauthn_args_lit(&a, "created");
    ngx_http_webauthn_args_int(&a, ngx_time());
    ngx_http_webauthn_args_lit(&a, "used");
    ngx_http_webauthn_args_lit(&a, "0");

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_register_stored, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_REGISTER, 8);
}


/* a refused registration gives its credential ID back */

static void
ngx_http_webauthn_release_claim(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    ngx_http_webauthn_args_t  a;

    /* nobody waits: a claim left behind only blocks a random ID */

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_lit(&a, "DEL");
    ngx_http_webauthn_args_tag_key(&a, "c:", &ep->cred_id);

    ngx_http_webauthn_args_forget(&a);
}


static void
ngx_http_webauthn_register_stored(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_http_webauthn_ctx_t   *ctx;
    ngx_http_webauthn_out_t    o;
    u_char                     transports[64];

    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        /* the ID stays claimed: harmless, IDs are random */
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (reply->len == 2 && ngx_strncmp(reply->str, "ok", 2) == 0) {
        goto stored;
    }

    ngx_http_webauthn_release_claim(r, ep);

    if (ngx_http_webauthn_reply_is(reply, "enrollment_not_allowed")) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN,
                                  "enrollment_not_allowed",
                                  "adding a passkey needs a passkey session",
                                  "passkey");
        return;
    }

    if (ngx_http_webauthn_reply_is(reply, "credential_exists")) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_CONFLICT, "credential_exists",
                                  "this passkey is registered already",
                                  "none");
        return;
    }

    if (ngx_http_webauthn_reply_is(reply, "grant_invalid")) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "grant_invalid",
                                  "the enrolment grant was used or has "
                                  "expired", "support");
        return;
    }

    ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "challenge_unknown",
                              "the account changed during the registration",
                              "retry");
    return;

stored:

    ctx = ngx_http_webauthn_get_ctx(r);

    if (ngx_http_webauthn_aaguid(r, ep->cred.aaguid, &ctx->aaguid)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->credential = ep->cred_id;

    ngx_http_webauthn_out_init(&o, r, 512);

    ngx_http_webauthn_out_raw(&o, "{\"status\":\"ok\",\"credential\":{\"id\":");
    ngx_http_webauthn_out_str(&o, ep->cred_id.data, ep->cred_id.len);
    ngx_http_webauthn_out_raw(&o, ",\"type\":\"public-key\",\"aaguid\":");
    ngx_http_webauthn_out_str(&o, ctx->aaguid.data, ctx->aaguid.len);
    ngx_http_webauthn_out_raw(&o, ",\"transports\":");
    ngx_http_webauthn_out_transports(&o, transports,
        ngx_http_webauthn_transports_text(ep->cred.transports, transports));
    ngx_http_webauthn_out_raw(&o, ",\"backupEligible\":");
    ngx_http_webauthn_out_raw(&o, (ep->cred.flags & WA_FLAG_BE)
                                  ? "true" : "false");
    ngx_http_webauthn_out_raw(&o, ",\"backedUp\":");
    ngx_http_webauthn_out_raw(&o, (ep->cred.flags & WA_FLAG_BS)
                                  ? "true" : "false");
    ngx_http_webauthn_out_raw(&o, ",\"userVerified\":");
    ngx_http_webauthn_out_raw(&o, (ep->cred.flags & WA_FLAG_UV)
                                  ? "true" : "false");
    ngx_http_webauthn_out_raw(&o, ",\"attestationFormat\":");
    ngx_http_webauthn_out_str(&o, (u_char *) ep->cred.fmt,
                              ngx_strlen(ep->cred.fmt));
    ngx_http_webauthn_out_raw(&o, ",\"createdAt\":");
    ngx_http_webauthn_out_int(&o, ngx_time());
    ngx_http_webauthn_out_raw(&o, "}}");

    ngx_http_finalize_request(r,
                              ngx_http_webauthn_send_json(r, NGX_HTTP_CREATED,
                                                          &o, NULL));
}


/* login_options */


static void
ngx_http_webauthn_login_options(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    if (ngx_http_webauthn_ep_options_body(r, ep) != NGX_OK) {
        return;
    }

    if (ep->user.len == 0) {
        /* passkey-first: a challenge bound to nobody, no list */

        if (ngx_http_webauthn_new_challenge(r, ep, "login", NULL,
                                   ngx_http_webauthn_out_challenge_reply)
            != NGX_OK)
        {
            return;
        }

        ngx_http_webauthn_login_options_out(r, ep, NULL);
        return;
    }

    /* the script stores the challenge too, unless the user is locked */

    (void) ngx_http_webauthn_user_script(r, ep, 0, "login",
                                   ngx_http_webauthn_login_options_user);
}


static void
ngx_http_webauthn_login_options_user(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 4
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (ngx_http_webauthn_locked(r, reply->element[2]) != NGX_OK) {
        return;
    }

    /* not locked: the script has stored the challenge */

    ngx_http_webauthn_login_options_out(r, ep, reply->element[1]);

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &ep->answer,
                                                             NULL));
}


/*
 * Writes the request options into ep->answer; for passkey-first they are
 * sent when the store has the challenge
 * (ngx_http_webauthn_out_challenge_reply()).
 */

static void
ngx_http_webauthn_login_options_out(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *list)
{
    ngx_http_webauthn_out_t       *o;
    ngx_http_webauthn_srv_conf_t  *wscf;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    o = &ep->answer;
    ngx_http_webauthn_out_init(o, r, 512);

    ngx_http_webauthn_out_raw(o, "{\"challenge\":");
    ngx_http_webauthn_out_str(o, ep->challenge_b64.data,
                              ep->challenge_b64.len);
    ngx_http_webauthn_out_raw(o, ",\"timeout\":");
    ngx_http_webauthn_out_int(o, (int64_t) wscf->challenge_ttl * 1000);
    ngx_http_webauthn_out_raw(o, ",\"rpId\":");
    ngx_http_webauthn_out_str(o, wscf->rp_id.data, wscf->rp_id.len);
    ngx_http_webauthn_out_raw(o, ",\"allowCredentials\":");

    if (list) {
        ngx_http_webauthn_out_credentials(o, list, 0);

    } else {
        ngx_http_webauthn_out_raw(o, "[]");
    }

    ngx_http_webauthn_out_raw(o, ",\"userVerification\":\"");
    ngx_http_webauthn_out_raw(o,
                     ngx_http_webauthn_uv_names[wlcf->user_verification]);
    ngx_http_webauthn_out_raw(o, "\"");

    ngx_http_webauthn_out_options_end(o, wscf);
}


/* login */


static void
ngx_http_webauthn_login_start(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    wa_rc_t                    rc;
    wa_err_t                   err;
    ngx_str_t                  handle;
    ngx_http_webauthn_args_t   a;

    rc = wa_assertion_response_parse((const char *) ep->body.data,
                                     ep->body.len, &ep->assertion, &err);
    if (rc != WA_OK) {
        ngx_http_webauthn_ep_fail_rc(r, rc, &err);
        return;
    }

    ep->assertion_parsed = 1;

    if (ngx_http_webauthn_ep_challenge(r, ep,
                                       &ep->assertion.client_data_json)
        != NGX_OK)
    {
        return;
    }

    if (ngx_http_webauthn_b64url(r->pool, ep->assertion.raw_id.data,
                                 ep->assertion.raw_id.len, &ep->cred_id)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ep->user.len) {
        ngx_http_webauthn_login_begin(r, ep);
        return;
    }

    /* passkey-first: the user handle names the user */

    if (ep->assertion.user_handle.len == 0) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                  "malformed_request",
                                  "a sign-in without a user name needs "
                                  "response.userHandle", "none");
        return;
    }

    if (ngx_http_webauthn_b64url(r->pool, ep->assertion.user_handle.data,
                                 ep->assertion.user_handle.len, &handle)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_lit(&a, "GET");
    ngx_http_webauthn_args_tag_key(&a, "h:", &handle);

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_login_handle, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0);
}


static void
ngx_http_webauthn_login_handle(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_str_t  user;

    if (reply == NULL) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (ngx_http_webauthn_reply_str(reply, &user) != NGX_OK
        || user.len == 0 || user.len > NGX_HTTP_WEBAUTHN_USER_MAX)
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "credential_unknown",
                                  "this passkey is not registered here",
                                  "reregister");
        return;
    }

    if (ngx_http_webauthn_reply_dup(r, reply, &ep->user) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ep->from = NGX_HTTP_WEBAUTHN_FROM_HANDLE;

    ngx_http_webauthn_login_begin(r, ep);
}


static void
ngx_http_webauthn_login_begin(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    ngx_http_webauthn_args_t  a;

    if (ngx_http_webauthn_user_key(r, &ep->user, "ch:", &ep->challenge_b64,
                                   &ep->challenge_key)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_str(&a, &ep->challenge_key);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "cred:", &ep->cred_id);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "user", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "creds", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "lock", NULL);
    ngx_http_webauthn_args_str(&a, &ep->cred_id);

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_login_begin_reply, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_LOGIN_BEGIN, 5);
}


static void
ngx_http_webauthn_login_begin_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    uint64_t                   n;
    ngx_str_t                  s;
    redisReply               **e;
    ngx_http_webauthn_args_t   a;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 9
        || reply->element[7]->type != REDIS_REPLY_INTEGER)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    e = reply->element;

    if (ngx_http_webauthn_locked(r, e[8]) != NGX_OK) {
        return;
    }

    /* failures count against a user who exists (has a handle) */

    if (ngx_http_webauthn_reply_dup(r, e[1], &ep->handle) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the passkey, as stored: pk, count, be, revoked, aaguid; active */

    if (ngx_http_webauthn_reply_str(e[2], &s) != NGX_OK) {
        ngx_http_webauthn_login_refuse(r, ep, "credential_unknown");
        return;
    }

    /*
     * $webauthn_aaguid: which kind of authenticator signs in; known before
     * the passkey's state is checked, so that the metrics name the
     * authenticator of a revoked or suspended passkey too
     */

    if (ngx_http_webauthn_reply_dup(r, e[6], &s) == NGX_OK) {
        ngx_http_webauthn_get_ctx(r)->aaguid = s;
    }

    if (e[5]->type == REDIS_REPLY_STRING) {
        ngx_http_webauthn_login_refuse(r, ep, "credential_revoked");
        return;
    }

    if (e[7]->integer == 0) {
        ngx_http_webauthn_login_refuse(r, ep, "credential_suspended");
        return;
    }

    if (ngx_http_webauthn_reply_dup(r, e[2], &ep->pk) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    n = 0;

    if (ngx_http_webauthn_reply_str(e[3], &s) == NGX_OK) {
        (void) ngx_http_webauthn_parse_uint(s.data, s.len, &n);
    }

    ep->count = (uint32_t) n;

    ep->be = -1;

    if (ngx_http_webauthn_reply_str(e[4], &s) == NGX_OK && s.len == 1) {
        ep->be = (s.data[0] == '1');
    }

    if (e[0]->type == REDIS_REPLY_STRING) {
        ngx_http_webauthn_login_verify(r, ep, e[0]);
        return;
    }

    /* not a challenge bound to this user: a passkey-first one, maybe */

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_lit(&a, "GETDEL");
    ngx_http_webauthn_args_tag_key(&a, "ch:", &ep->challenge_b64);

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_login_global, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0);
}


static void
ngx_http_webauthn_login_global(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    if (reply == NULL) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    ep->consumed = 1;

    ngx_http_webauthn_login_verify(r, ep, reply);
}


static void
ngx_http_webauthn_login_verify(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *challenge)
{
    wa_rc_t                        rc;
    wa_err_t                       err;
    wa_key_t                      *key;
    ngx_str_t                      src;
    wa_policy_t                   *pol;
    wa_stored_credential_t         stored;
    wa_assertion_result_t          res;
    ngx_http_webauthn_args_t       a;
    ngx_http_webauthn_srv_conf_t  *wscf;
    u_char                         handle[WA_MAX_USER_HANDLE + 4];
    u_char                         sid[NGX_HTTP_WEBAUTHN_SID_LEN];

    if (ngx_http_webauthn_challenge_check(r, ep, challenge, "login")
        != NGX_OK)
    {
        return;
    }

    pol = ngx_http_webauthn_policy(r);
    if (pol == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    key = ngx_http_webauthn_key(r, &ep->pk, &err, &rc);
    if (key == NULL) {
        ngx_http_webauthn_ep_fail_rc(r, rc, &err);
        return;
    }

    ngx_memzero(&stored, sizeof(wa_stored_credential_t));

    stored.key = key;
    stored.cred_id = ep->assertion.raw_id.data;
    stored.cred_id_len = ep->assertion.raw_id.len;
    stored.sign_count = ep->count;
    stored.backup_eligible = ep->be;

    if (ep->handle.len) {
        src.data = handle;

        if (ep->handle.len > ngx_base64_encoded_length(WA_MAX_USER_HANDLE)
            || ngx_decode_base64url(&src, &ep->handle) != NGX_OK)
        {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        stored.user_handle = handle;
        stored.user_handle_len = src.len;
    }

    stored.user_handle_required =
                               (ep->from == NGX_HTTP_WEBAUTHN_FROM_HANDLE);

    rc = wa_verify_assertion(pol, ep->challenge,
                             NGX_HTTP_WEBAUTHN_CHALLENGE_LEN, &ep->assertion,
                             &stored, &res, &err);
    if (rc != WA_OK) {
        /* a challenge answered wrongly is not offered a second try */
        ngx_http_webauthn_ep_failed(r, ep, wa_rc_code(rc));
        ngx_http_webauthn_ep_fail_rc(r, rc, &err);
        return;
    }

    ep->new_count = res.sign_count;
    ep->flags = res.flags;

    /* the session: its id now, its cookie once the store has it */

    if (ngx_http_webauthn_random(sid, sizeof(sid)) != NGX_OK
        || ngx_http_webauthn_b64url(r->pool, sid, sizeof(sid), &ep->sid)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    /* a passkey-first challenge was consumed when it was read */

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "cred:", &ep->cred_id);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "epoch", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "s:", &ep->sid);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "user", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "creds", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "lkg", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "fail", NULL);

    if (!ep->consumed) {
        ngx_http_webauthn_args_str(&a, &ep->challenge_key);
    }

    ngx_http_webauthn_args_int(&a, ep->new_count);
    ngx_http_webauthn_args_int(&a, ngx_time());
    ngx_http_webauthn_args_int(&a, wscf->session_ttl);
    ngx_http_webauthn_args_str(&a, &ep->cred_id);
    ngx_http_webauthn_args_lit(&a, (ep->flags & WA_FLAG_BS) ? "1" : "0");

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_login_done, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_LOGIN,
                              ep->consumed ? 7 : 8);
}


static void
ngx_http_webauthn_login_done(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_str_t                      code, cookie;
    redisReply                    *e;
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_out_t        o;
    ngx_http_webauthn_session_t    s;
    ngx_http_webauthn_srv_conf_t  *wscf;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || ngx_http_webauthn_reply_str(reply->element[0], &code) != NGX_OK)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (code.len != 2 || ngx_strncmp(code.data, "ok", 2) != 0) {

        /* the script consumed the challenge before it refused */

        ep->consumed = 1;

        /* hiredis ends every string reply with a NUL */
        ngx_http_webauthn_login_refuse(r, ep, (const char *) code.data);
        return;
    }

    if (reply->elements != 3) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    e = reply->element[1];

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    ngx_memzero(&s, sizeof(ngx_http_webauthn_session_t));

    s.user = ep->user;
    s.credential = ep->cred_id;
    s.sid = ep->sid;
    s.expires = ngx_time() + wscf->session_ttl;

    if (e->type == REDIS_REPLY_STRING) {
        (void) ngx_http_webauthn_parse_uint((u_char *) e->str, e->len,
                                            &s.epoch);
    }

    if (ngx_http_webauthn_session_cookie(r, &s, &cookie) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx = ngx_http_webauthn_get_ctx(r);
    ctx->user = ep->user;
    ctx->credential = ep->cred_id;
    ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSKEY;

    ngx_http_webauthn_out_init(&o, r, 256);

    ngx_http_webauthn_out_raw(&o, "{\"status\":\"ok\",\"user\":");
    ngx_http_webauthn_out_str(&o, ep->user.data, ep->user.len);
    ngx_http_webauthn_out_raw(&o, ",\"credential\":");
    ngx_http_webauthn_out_str(&o, ep->cred_id.data, ep->cred_id.len);

    /* for PublicKeyCredential.signalAllAcceptedCredentials() */
    ngx_http_webauthn_out_raw(&o, ",\"userHandle\":");
    ngx_http_webauthn_out_str(&o, ep->handle.data, ep->handle.len);

    ngx_http_webauthn_out_raw(&o, ",\"level\":\"passkey\",\"expiresAt\":");
    ngx_http_webauthn_out_int(&o, s.expires);
    ngx_http_webauthn_out_raw(&o, "}");

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &o, &cookie));
}


/*
 * The store's refusals of a login, and the checks of its passkey: a
 * refusal of a known user's passkey counts towards a lockout; an unknown
 * code is answered as an unknown passkey.
 */

static void
ngx_http_webauthn_login_refuse(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *code)
{
    ngx_uint_t  i, n;

    static struct {
        const char  *code;
        const char  *message;
        const char  *action;
    } refusals[] = {
        { "credential_unknown",
          "this passkey is not registered for this account", "reregister" },
        { "credential_revoked", "this passkey was revoked", "reregister" },
        { "credential_suspended",
          "this passkey is suspended on this account", "support" },
        { "counter_regression",
          "the passkey's signature counter went back", "support" },
        { "challenge_unknown", "this challenge was used already", "retry" }
    };

    n = sizeof(refusals) / sizeof(refusals[0]);

    for (i = 0; i < n; i++) {
        if (ngx_strcmp(code, refusals[i].code) == 0) {
            break;
        }
    }

    if (i == n) {
        i = 0;
    }

    /* a challenge used twice is a race or a replay, not a wrong passkey */

    if (i != n - 1) {
        ngx_http_webauthn_ep_failed(r, ep, refusals[i].code);
    }

    ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, refusals[i].code,
                              refusals[i].message, refusals[i].action);
}


/* credentials */


static void
ngx_http_webauthn_credentials(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    if (ep->user.len == 0) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_UNAUTHORIZED,
                                  "identity_required", "sign in first",
                                  "login");
        return;
    }

    if (r->method == NGX_HTTP_DELETE) {
        ngx_http_webauthn_credentials_delete(r, ep);
        return;
    }

    (void) ngx_http_webauthn_user_script(r, ep, 0, NULL,
                                       ngx_http_webauthn_credentials_list);
}


static void
ngx_http_webauthn_credentials_list(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_http_webauthn_out_t  o;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 4
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    ngx_http_webauthn_out_init(&o, r, 512);

    ngx_http_webauthn_out_raw(&o, "{\"user\":");
    ngx_http_webauthn_out_str(&o, ep->user.data, ep->user.len);
    ngx_http_webauthn_out_raw(&o, ",\"credentials\":");
    ngx_http_webauthn_out_credentials(&o, reply->element[1], 1);
    ngx_http_webauthn_out_raw(&o, "}");

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &o, NULL));
}


static void
ngx_http_webauthn_credentials_delete(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    u_char                    *p;
    ngx_str_t                  id;
    ngx_http_webauthn_args_t   a;

    if (!ep->has_session) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "passkey_required",
                                  "removing a passkey needs a passkey "
                                  "session", "passkey");
        return;
    }

    if (ngx_http_arg(r, (u_char *) "id", 2, &id) != NGX_OK
        || id.len == 0
        || id.len > ngx_base64_encoded_length(WA_MAX_CREDENTIAL_ID))
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                  "malformed_request",
                                  "name the passkey: ?id=<credential id>",
                                  "none");
        return;
    }

    for (p = id.data; p < id.data + id.len; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
              || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
        {
            ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                      "malformed_request",
                                      "the id is not base64url", "none");
            return;
        }
    }

    ep->cred_id = id;

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "creds", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "cred:", &id);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "epoch", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "user", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "events", NULL);
    ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);
    ngx_http_webauthn_args_lit(&a, WA_STORE_CHANGED_KEY);
    ngx_http_webauthn_args_str(&a, &id);
    ngx_http_webauthn_args_int(&a, ngx_time());
    ngx_http_webauthn_args_str(&a, &ep->user);
    ngx_http_webauthn_args_lit(&a, "user");
    ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_MAX);

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_credentials_deleted, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_REVOKE, 7);
}


static void
ngx_http_webauthn_credentials_deleted(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_str_t                cookie;
    ngx_http_webauthn_out_t  o;

    if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (reply->len != 2 || ngx_strncmp(reply->str, "ok", 2) != 0) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_NOT_FOUND, "credential_unknown",
                                  "this account has no such passkey",
                                  "none");
        return;
    }

    /* every session ended with it, this one too */

    if (ngx_http_webauthn_session_clear_cookie(r, &cookie) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_webauthn_out_init(&o, r, 128);
    ngx_http_webauthn_out_raw(&o, "{\"status\":\"ok\",\"revoked\":");
    ngx_http_webauthn_out_str(&o, ep->cred_id.data, ep->cred_id.len);
    ngx_http_webauthn_out_raw(&o, "}");

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &o, &cookie));
}


/* logout */


static void
ngx_http_webauthn_logout(ngx_http_request_t *r, ngx_http_webauthn_ep_t *ep)
{
    ngx_http_webauthn_args_t  a;

    if (ngx_http_webauthn_ep_options_body(r, ep) != NGX_OK) {
        return;
    }

    if (!ep->has_cookie) {
        /* nothing to end: the cookie is cleared all the same */
        ngx_http_webauthn_logout_done(r, ep, NULL);
        return;
    }

    ngx_http_webauthn_args_init(&a, r);

    if (ep->everywhere) {
        ngx_http_webauthn_args_lit(&a, "INCR");
        ngx_http_webauthn_args_user_key(&a, &ep->session.user, "epoch", NULL);

    } else {
        ngx_http_webauthn_args_lit(&a, "DEL");
        ngx_http_webauthn_args_user_key(&a, &ep->session.user, "s:",
                                        &ep->session.sid);
    }

    ep->store_asked = 1;

    ngx_http_webauthn_ep_send(&a, ngx_http_webauthn_logout_done, ep,
                              NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0);
}


static void
ngx_http_webauthn_logout_done(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    ngx_str_t                 cookie;
    ngx_http_webauthn_ctx_t  *ctx;
    ngx_http_webauthn_out_t   o;

    if (reply == NULL && ep->store_asked) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    if (ngx_http_webauthn_session_clear_cookie(r, &cookie) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx = ngx_http_webauthn_get_ctx(r);
    ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_NONE;

    ngx_http_webauthn_out_init(&o, r, 32);
    ngx_http_webauthn_out_raw(&o, "{\"status\":\"ok\"}");

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &o, &cookie));
}


/* helpers */


/*
 * The challenge the client signed names the key it is stored under.  On a
 * refusal the request is finalized and NGX_ERROR returned.
 */

static ngx_int_t
ngx_http_webauthn_ep_challenge(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, wa_buf_t *client_data_json)
{
    wa_rc_t           rc;
    wa_err_t          err;
    wa_client_data_t  cd;

    rc = wa_client_data_parse(client_data_json->data, client_data_json->len,
                              &cd, &err);
    if (rc != WA_OK) {
        ngx_http_webauthn_ep_fail_rc(r, rc, &err);
        return NGX_ERROR;
    }

    if (cd.challenge.len != NGX_HTTP_WEBAUTHN_CHALLENGE_LEN) {
        wa_client_data_free(&cd);
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "challenge_unknown",
                                  "this challenge was not issued here",
                                  "retry");
        return NGX_ERROR;
    }

    ngx_memcpy(ep->challenge, cd.challenge.data,
               NGX_HTTP_WEBAUTHN_CHALLENGE_LEN);
    wa_client_data_free(&cd);

    if (ngx_http_webauthn_b64url(r->pool, ep->challenge,
                                 NGX_HTTP_WEBAUTHN_CHALLENGE_LEN,
                                 &ep->challenge_b64)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A fresh challenge, stored under the user's key (or, for passkey-first,
 * under its own) as "<ceremony> <expiry>"; the key outlives the expiry a
 * little so that a late answer is told "expired", not "unknown".  On a
 * failure the request is finalized and NGX_ERROR returned.
 */

static ngx_int_t
ngx_http_webauthn_new_challenge(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *ceremony, ngx_str_t *user,
    ngx_http_webauthn_store_pt handler)
{
    ssize_t                    len;
    ngx_http_webauthn_args_t   a;
    u_char                     value[NGX_HTTP_WEBAUTHN_CHALLENGE_REC];

    len = ngx_http_webauthn_challenge_make(r, ep, ceremony, value);
    if (len == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_lit(&a, "SET");

    if (user) {
        ngx_http_webauthn_args_user_key(&a, user, "ch:", &ep->challenge_b64);

    } else {
        ngx_http_webauthn_args_tag_key(&a, "ch:", &ep->challenge_b64);
    }

    ngx_http_webauthn_args_add(&a, value, len);
    ngx_http_webauthn_args_lit(&a, "EX");
    ngx_http_webauthn_args_int(&a, ngx_http_webauthn_challenge_keep(r));

    return ngx_http_webauthn_ep_send(&a, handler, ep,
                                     NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0);
}


/*
 * A fresh challenge in ep and its record in value (at least
 * NGX_HTTP_WEBAUTHN_CHALLENGE_REC bytes); returns the record's length, or,
 * the request finalized, NGX_ERROR.
 */

static ssize_t
ngx_http_webauthn_challenge_make(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, const char *ceremony, u_char *value)
{
    u_char                        *p;
    ngx_http_webauthn_srv_conf_t  *wscf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    if (ngx_http_webauthn_random(ep->challenge,
                                 NGX_HTTP_WEBAUTHN_CHALLENGE_LEN)
        != NGX_OK
        || ngx_http_webauthn_b64url(r->pool, ep->challenge,
                                    NGX_HTTP_WEBAUTHN_CHALLENGE_LEN,
                                    &ep->challenge_b64)
           != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    p = ngx_sprintf(value, "%s %T", ceremony,
                    ngx_time() + wscf->challenge_ttl);

    /* a registration through a grant is bound to that grant */

    if (ep->granted) {
        *p++ = ' ';
        p = ngx_cpymem(p, ep->grant_digest, sizeof(ep->grant_digest));
    }

    return p - value;
}


/* how long the store keeps a challenge record: its ttl and the grace */

static time_t
ngx_http_webauthn_challenge_keep(ngx_http_request_t *r)
{
    ngx_http_webauthn_srv_conf_t  *wscf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    return wscf->challenge_ttl + NGX_HTTP_WEBAUTHN_CHALLENGE_GRACE;
}


/* the store has the challenge: the options written meanwhile are sent */

static void
ngx_http_webauthn_out_challenge_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ep_t *ep = data;

    if (reply == NULL || reply->type != REDIS_REPLY_STATUS) {
        ngx_http_webauthn_ep_store_failed(r, NGX_DECLINED);
        return;
    }

    /* an answer that ran out of memory is a 500 from send_json() */

    ngx_http_finalize_request(r, ngx_http_webauthn_send_json(r, NGX_HTTP_OK,
                                                             &ep->answer,
                                                             NULL));
}


/*
 * Checks a challenge record "<ceremony> <expiry>[ <grant digest>]"; on a
 * refusal the request is finalized and NGX_ERROR returned.
 */

static ngx_int_t
ngx_http_webauthn_challenge_check(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *rec, const char *ceremony)
{
    u_char    *p, *last, *sp;
    size_t     n;
    uint64_t   expires;

    n = ngx_strlen(ceremony);

    if (rec == NULL || rec->type != REDIS_REPLY_STRING
        || (size_t) rec->len <= n + 1
        || ngx_strncmp(rec->str, ceremony, n) != 0 || rec->str[n] != ' ')
    {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "challenge_unknown",
                                  "this challenge is unknown or was used "
                                  "already", "retry");
        return NGX_ERROR;
    }

    p = (u_char *) rec->str + n + 1;
    last = (u_char *) rec->str + rec->len;

    sp = ngx_strlchr(p, last, ' ');

    if (sp && (size_t) (last - sp - 1) == sizeof(ep->grant_digest)) {
        ngx_memcpy(ep->grant_digest, sp + 1, sizeof(ep->grant_digest));
        ep->granted = 1;
        last = sp;
    }

    expires = 0;

    (void) ngx_http_webauthn_parse_uint(p, last - p, &expires);

    if (expires < (uint64_t) ngx_time()) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "challenge_expired",
                                  "this challenge has expired", "retry");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A lockout's seconds left (TTL's answer): while the user is locked their
 * ceremonies are refused 429 with Retry-After, and NGX_ERROR returned.
 */

static ngx_int_t
ngx_http_webauthn_locked(ngx_http_request_t *r, redisReply *ttl)
{
    ngx_str_t  value;

    if (ttl == NULL || ttl->type != REDIS_REPLY_INTEGER || ttl->integer <= 0)
    {
        return NGX_OK;
    }

    value.data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (value.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    value.len = ngx_sprintf(value.data, "%L", (int64_t) ttl->integer)
                - value.data;

    if (ngx_http_webauthn_add_header(r, "Retry-After", &value) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    ngx_http_webauthn_ep_fail(r, NGX_HTTP_TOO_MANY_REQUESTS, "rate_limited",
                              "too many failed attempts: passkey sign-in "
                              "is paused for this account", "wait");
    return NGX_ERROR;
}


/*
 * A ceremony of a known user failed: its challenge is dropped (no second
 * try) and the failure counted towards a lockout.  Nobody waits for the
 * answer; the request goes on to send its own error.
 */

static void
ngx_http_webauthn_ep_failed(ngx_http_request_t *r, ngx_http_webauthn_ep_t *ep,
    const char *why)
{
    ngx_http_webauthn_args_t       a;
    ngx_http_webauthn_srv_conf_t  *wscf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    if (ep->handle.len == 0 || wscf->lockout_attempts == 0) {

        if (ep->consumed || ep->challenge_key.len == 0) {
            return;
        }

        ngx_http_webauthn_args_init(&a, r);
        ngx_http_webauthn_args_lit(&a, "DEL");
        ngx_http_webauthn_args_str(&a, &ep->challenge_key);
        ngx_http_webauthn_args_forget(&a);
        return;
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "fail", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "lock", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "locks", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "events", NULL);
    ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_KEY);

    if (!ep->consumed && ep->challenge_key.len) {
        ngx_http_webauthn_args_str(&a, &ep->challenge_key);
    }

    ngx_http_webauthn_args_int(&a, wscf->lockout_attempts);
    ngx_http_webauthn_args_int(&a, wscf->lockout_window);
    ngx_http_webauthn_args_int(&a, wscf->lockout_backoff);
    ngx_http_webauthn_args_int(&a, wscf->lockout_max);
    ngx_http_webauthn_args_int(&a, ngx_time());
    ngx_http_webauthn_args_str(&a, &ep->user);
    ngx_http_webauthn_args_lit(&a, NGX_HTTP_WEBAUTHN_AUDIT_MAX);
    ngx_http_webauthn_args_lit(&a, why);

    if (a.failed) {
        return;
    }

    (void) ngx_http_webauthn_store_command(NULL,
                                           ngx_http_webauthn_ep_failed_done,
                                           NULL,
                                           NGX_HTTP_WEBAUTHN_SCRIPT_FAIL,
                                           a.n - 8, a.n, a.v, a.len);
}


/* SCRIPT_FAIL's answer, the request long gone: a lockout began */

static void
ngx_http_webauthn_ep_failed_done(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) {
        ngx_http_webauthn_metric_lockout();
    }
}


/*
 * The grant sent with register_options against the digest stored for the
 * user (constant time); a wrong one counts as a failed ceremony.
 * Finalizes the request on a refusal.
 */

static ngx_int_t
ngx_http_webauthn_grant_check(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, redisReply *stored)
{
    ngx_str_t  s;

    if (ngx_http_webauthn_grant_digest(&ep->grant, ep->grant_digest)
        == NGX_OK
        && ngx_http_webauthn_reply_str(stored, &s) == NGX_OK
        && s.len == sizeof(ep->grant_digest)
        && CRYPTO_memcmp(s.data, ep->grant_digest, s.len) == 0)
    {
        ep->granted = 1;
        return NGX_OK;
    }

    ngx_http_webauthn_ep_failed(r, ep, "grant_invalid");
    ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "grant_invalid",
                              "this enrolment grant is unknown, used or "
                              "expired", "support");
    return NGX_ERROR;
}


/*
 * SCRIPT_USER for ep->user; with a ceremony, it also stores a fresh
 * challenge for it (ep->challenge) unless the user is locked, which saves
 * the ceremony a round trip.
 */

static ngx_int_t
ngx_http_webauthn_user_script(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep, ngx_uint_t create, const char *ceremony,
    ngx_http_webauthn_store_pt handler)
{
    ssize_t                    len;
    ngx_http_webauthn_args_t   a;
    u_char                     raw[NGX_HTTP_WEBAUTHN_HANDLE_LEN];
    u_char                     value[NGX_HTTP_WEBAUTHN_CHALLENGE_REC];

    ngx_str_null(&ep->handle);

    if (create) {
        if (ngx_http_webauthn_random(raw, sizeof(raw)) != NGX_OK
            || ngx_http_webauthn_b64url(r->pool, raw, sizeof(raw),
                                        &ep->handle)
               != NGX_OK)
        {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return NGX_ERROR;
        }
    }

    len = 0;

    if (ceremony) {
        len = ngx_http_webauthn_challenge_make(r, ep, ceremony, value);
        if (len == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    ngx_http_webauthn_args_init(&a, r);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "user", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "creds", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "lock", NULL);
    ngx_http_webauthn_args_user_key(&a, &ep->user, "grant", NULL);

    if (ceremony) {
        ngx_http_webauthn_args_user_key(&a, &ep->user, "ch:",
                                        &ep->challenge_b64);
    }

    ngx_http_webauthn_args_str(&a, &ep->handle);
    ngx_http_webauthn_args_int(&a, ngx_time());
    ngx_http_webauthn_args_user_key(&a, &ep->user, "cred:", NULL);

    if (ceremony) {
        ngx_http_webauthn_args_add(&a, value, len);
        ngx_http_webauthn_args_int(&a, ngx_http_webauthn_challenge_keep(r));
    }

    return ngx_http_webauthn_ep_send(&a, handler, ep,
                                     NGX_HTTP_WEBAUTHN_SCRIPT_USER,
                                     ceremony ? 5 : 4);
}


/*
 * The passkeys of SCRIPT_USER's answer: {id, transports, aaguid, be, bs,
 * count, created, used} each; as descriptors, or in full for the list.
 */

static void
ngx_http_webauthn_out_credentials(ngx_http_webauthn_out_t *o,
    redisReply *list, ngx_uint_t full)
{
    size_t       i, j;
    redisReply  *c, **f;

    ngx_http_webauthn_out_raw(o, "[");

    for (i = 0; i < list->elements; i++) {
        c = list->element[i];

        if (c->type != REDIS_REPLY_ARRAY || c->elements != 8) {
            continue;
        }

        f = c->element;

        for (j = 0; j < 8; j++) {
            if (f[j]->type != REDIS_REPLY_STRING) {
                break;
            }
        }

        if (j != 8) {
            continue;
        }

        if (o->pos > o->start && o->pos[-1] != '[') {
            ngx_http_webauthn_out_raw(o, ",");
        }

        ngx_http_webauthn_out_raw(o, full ? "{\"id\":"
                                          : "{\"type\":\"public-key\","
                                            "\"id\":");
        ngx_http_webauthn_out_str(o, (u_char *) f[0]->str, f[0]->len);
        ngx_http_webauthn_out_raw(o, ",\"transports\":");
        ngx_http_webauthn_out_transports(o, (u_char *) f[1]->str, f[1]->len);

        if (full) {
            ngx_http_webauthn_out_raw(o, ",\"aaguid\":");
            ngx_http_webauthn_out_str(o, (u_char *) f[2]->str, f[2]->len);
            ngx_http_webauthn_out_raw(o, ",\"backupEligible\":");
            ngx_http_webauthn_out_raw(o, (f[3]->len == 1 && f[3]->str[0] == '1')
                                         ? "true" : "false");
            ngx_http_webauthn_out_raw(o, ",\"backedUp\":");
            ngx_http_webauthn_out_raw(o, (f[4]->len == 1 && f[4]->str[0] == '1')
                                         ? "true" : "false");
            ngx_http_webauthn_out_raw(o, ",\"signCount\":");
            ngx_http_webauthn_out_int(o, ngx_atoi((u_char *) f[5]->str,
                                                  f[5]->len));
            ngx_http_webauthn_out_raw(o, ",\"createdAt\":");
            ngx_http_webauthn_out_int(o, ngx_atoi((u_char *) f[6]->str,
                                                  f[6]->len));
            ngx_http_webauthn_out_raw(o, ",\"lastUsedAt\":");
            ngx_http_webauthn_out_int(o, ngx_atoi((u_char *) f[7]->str,
                                                  f[7]->len));
        }

        ngx_http_webauthn_out_raw(o, "}");
    }

    ngx_http_webauthn_out_raw(o, "]");
}


/* the options' "hints" where configured, and their end */

static void
ngx_http_webauthn_out_options_end(ngx_http_webauthn_out_t *o,
    ngx_http_webauthn_srv_conf_t *wscf)
{
    ngx_uint_t   i;
    ngx_str_t   *hint;

    if (wscf->hints) {
        hint = wscf->hints->elts;
        ngx_http_webauthn_out_raw(o, ",\"hints\":[");

        for (i = 0; i < wscf->hints->nelts; i++) {
            if (i) {
                ngx_http_webauthn_out_raw(o, ",");
            }

            ngx_http_webauthn_out_str(o, hint[i].data, hint[i].len);
        }

        ngx_http_webauthn_out_raw(o, "]");
    }

    ngx_http_webauthn_out_raw(o, "}");
}


/* "hybrid,internal" as ["hybrid","internal"] */

void
ngx_http_webauthn_out_transports(ngx_http_webauthn_out_t *o, u_char *p,
    size_t len)
{
    u_char  *last, *start;

    last = p + len;

    ngx_http_webauthn_out_raw(o, "[");

    while (p < last) {
        start = p;

        while (p < last && *p != ',') {
            p++;
        }

        if (p > start) {
            if (o->pos[-1] != '[') {
                ngx_http_webauthn_out_raw(o, ",");
            }

            ngx_http_webauthn_out_str(o, start, p - start);
        }

        p++;
    }

    ngx_http_webauthn_out_raw(o, "]");
}


static size_t
ngx_http_webauthn_transports_text(uint32_t t, u_char *out)
{
    u_char      *p;
    ngx_uint_t   i;

    static struct {
        uint32_t     bit;
        const char  *name;
    } names[] = {
        { WA_TRANSPORT_BLE, "ble" },
        { WA_TRANSPORT_HYBRID, "hybrid" },
        { WA_TRANSPORT_INTERNAL, "internal" },
        { WA_TRANSPORT_NFC, "nfc" },
        { WA_TRANSPORT_SMART_CARD, "smart-card" },
        { WA_TRANSPORT_USB, "usb" }
    };

    p = out;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (t & names[i].bit) {
            if (p > out) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, names[i].name, ngx_strlen(names[i].name));
        }
    }

    return p - out;
}


void
ngx_http_webauthn_ep_fail(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, const char *action)
{
    ngx_http_finalize_request(r, ngx_http_webauthn_send_error(r, status, code,
                                                              message,
                                                              action));
}


/*
 * The wa core's verdict.  Its detail names the field at fault (a constant
 * of the core, never request data), which helps whoever reads the answer.
 */

static void
ngx_http_webauthn_ep_fail_rc(ngx_http_request_t *r, wa_rc_t rc,
    wa_err_t *err)
{
    u_char                      *p;
    size_t                       len;
    const char                  *code, *message;
    ngx_http_webauthn_rc_map_t  *m;

    if ((unsigned) rc >= WA_RC_COUNT || rc == WA_OK) {
        rc = WA_ERR_INTERNAL;
    }

    code = wa_rc_code(rc);
    m = &ngx_http_webauthn_rc_map[rc];

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "webauthn: refused: %s%s%s", code,
                  err->detail ? ": " : "", err->detail ? err->detail : "");

    message = m->text;

    if (err->detail) {
        len = ngx_strlen(m->text) + ngx_strlen(err->detail) + 4;

        p = ngx_pnalloc(r->pool, len);
        if (p != NULL) {
            ngx_sprintf(p, "%s (%s)%Z", m->text, err->detail);
            message = (const char *) p;
        }
    }

    ngx_http_webauthn_ep_fail(r, m->status, code, message, m->action);
}


void
ngx_http_webauthn_ep_store_failed(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_webauthn_ep_fail(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                              "store_unavailable",
                              "the passkey store is not available, please "
                              "try again shortly", "retry");
}


void
ngx_http_webauthn_args_init(ngx_http_webauthn_args_t *a,
    ngx_http_request_t *r)
{
    a->r = r;
    a->n = 0;
    a->failed = 0;
}


/* p must live until the command is sent: the store copies it then */

void
ngx_http_webauthn_args_add(ngx_http_webauthn_args_t *a, const void *p,
    size_t len)
{
    if (a->n == NGX_HTTP_WEBAUTHN_ARGS_MAX || p == NULL) {
        a->failed = 1;
        return;
    }

    a->v[a->n] = p;
    a->len[a->n++] = len;
}


void
ngx_http_webauthn_args_lit(ngx_http_webauthn_args_t *a, const char *s)
{
    ngx_http_webauthn_args_add(a, s, ngx_strlen(s));
}


void
ngx_http_webauthn_args_str(ngx_http_webauthn_args_t *a, ngx_str_t *s)
{
    /* an empty string is an argument too, and needs some pointer */
    ngx_http_webauthn_args_add(a, s->data ? (char *) s->data : "", s->len);
}


void
ngx_http_webauthn_args_int(ngx_http_webauthn_args_t *a, int64_t n)
{
    u_char  *p, *last;

    p = ngx_pnalloc(a->r->pool, NGX_INT64_LEN + 1);
    if (p == NULL) {
        a->failed = 1;
        return;
    }

    last = ngx_sprintf(p, "%L", n);

    ngx_http_webauthn_args_add(a, p, last - p);
}


/* "wa:{u:<base64url of user>}:<suffix><extra>" */

void
ngx_http_webauthn_args_user_key(ngx_http_webauthn_args_t *a, ngx_str_t *user,
    const char *suffix, ngx_str_t *extra)
{
    ngx_str_t  key;

    if (ngx_http_webauthn_user_key(a->r, user, suffix, extra, &key)
        != NGX_OK)
    {
        a->failed = 1;
        return;
    }

    ngx_http_webauthn_args_add(a, key.data, key.len);
}


/* "wa:{<tag><s>}": a key of its own slot (handle, credential, challenge) */

void
ngx_http_webauthn_args_tag_key(ngx_http_webauthn_args_t *a, const char *tag,
    ngx_str_t *s)
{
    u_char  *p, *last;

    p = ngx_pnalloc(a->r->pool, sizeof("wa:{}") + ngx_strlen(tag) + s->len);
    if (p == NULL) {
        a->failed = 1;
        return;
    }

    last = ngx_sprintf(p, "wa:{%s%V}", tag, s);

    ngx_http_webauthn_args_add(a, p, last - p);
}


/*
 * Sends the command; its answer goes to handler.  On a failure the request
 * is answered (500, or 503 store_unavailable) and NGX_ERROR returned.
 */

ngx_int_t
ngx_http_webauthn_ep_send(ngx_http_webauthn_args_t *a,
    ngx_http_webauthn_store_pt handler, void *data, ngx_uint_t script,
    int nkeys)
{
    ngx_int_t  rc;

    if (a->failed) {
        ngx_http_finalize_request(a->r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return NGX_ERROR;
    }

    rc = ngx_http_webauthn_store_command(a->r, handler, data, script, nkeys,
                                         a->n, a->v, a->len);
    if (rc != NGX_OK) {
        ngx_http_webauthn_ep_store_failed(a->r, rc);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a command nobody waits for, still sent before every later one */

void
ngx_http_webauthn_args_forget(ngx_http_webauthn_args_t *a)
{
    if (a->failed) {
        return;
    }

    (void) ngx_http_webauthn_store_command(NULL, NULL, NULL,
                                           NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0,
                                           a->n, a->v, a->len);
}


/* an AAGUID in its usual form, 8-4-4-4-12 hexadecimal digits */

static ngx_int_t
ngx_http_webauthn_aaguid(ngx_http_request_t *r, const uint8_t *raw,
    ngx_str_t *out)
{
    u_char      *p;
    ngx_uint_t   i;

    out->data = ngx_pnalloc(r->pool, 36);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = out->data;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }

        p = ngx_sprintf(p, "%02xd", raw[i]);
    }

    out->len = p - out->data;

    return NGX_OK;
}


/*
 * The AAGUID a refused registration claimed (zeros when it was refused
 * before the authenticator data was read) as $webauthn_aaguid: the
 * metrics then name the authenticator that fails to register.
 */

static void
ngx_http_webauthn_failed_aaguid(ngx_http_request_t *r, const uint8_t *raw)
{
    ngx_uint_t  i;

    for (i = 0; i < 16; i++) {
        if (raw[i]) {
            (void) ngx_http_webauthn_aaguid(r, raw,
                                            &ngx_http_webauthn_get_ctx(r)
                                                ->aaguid);
            return;
        }
    }
}


static void
ngx_http_webauthn_ep_cleanup(void *data)
{
    ngx_http_webauthn_ep_t *ep = data;

    if (ep->reg_parsed) {
        wa_registration_response_free(&ep->reg);
    }

    if (ep->assertion_parsed) {
        wa_assertion_response_free(&ep->assertion);
    }

    if (ep->cred_made) {
        wa_credential_free(&ep->cred);
    }
}


ngx_int_t
ngx_http_webauthn_reply_str(redisReply *rr, ngx_str_t *s)
{
    if (rr == NULL || rr->type != REDIS_REPLY_STRING) {
        return NGX_DECLINED;
    }

    s->data = (u_char *) rr->str;
    s->len = rr->len;

    return NGX_OK;
}


ngx_uint_t
ngx_http_webauthn_reply_is(redisReply *rr, const char *s)
{
    size_t  n;

    n = ngx_strlen(s);

    return (rr->type == REDIS_REPLY_STRING || rr->type == REDIS_REPLY_STATUS)
           && (size_t) rr->len == n && ngx_strncmp(rr->str, s, n) == 0;
}


/*
 * Who may add a passkey: the user with a passkey session; or, where
 * "webauthn_enroll open" is set for a migration, a user who has no passkey
 * yet.  A password alone never adds a passkey to an account that has one.
 * The recovery API's one-time enrolment grants are the third way in, and
 * are checked here when they exist.  Finalizes the request on a refusal.
 */

static ngx_int_t
ngx_http_webauthn_may_enroll(ngx_http_request_t *r,
    ngx_http_webauthn_ep_t *ep)
{
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (ep->has_session || ep->granted) {
        return NGX_OK;
    }

    if (wlcf->enroll == NGX_HTTP_WEBAUTHN_ENROLL_OPEN && ep->n_creds == 0) {
        return NGX_OK;
    }

    if (ep->n_creds) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN,
                                  "enrollment_not_allowed",
                                  "adding a passkey needs a passkey session: "
                                  "sign in with a passkey first", "passkey");

    } else {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN,
                                  "enrollment_not_allowed",
                                  "adding a first passkey needs an enrolment "
                                  "grant", "support");
    }

    return NGX_ERROR;
}


/* a string of a reply, copied: replies are freed when the handler returns */

ngx_int_t
ngx_http_webauthn_reply_dup(ngx_http_request_t *r, redisReply *rr,
    ngx_str_t *s)
{
    if (rr == NULL || rr->type != REDIS_REPLY_STRING) {
        return NGX_DECLINED;
    }

    s->data = ngx_pnalloc(r->pool, rr->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, rr->str, rr->len);
    s->data[rr->len] = '\0';
    s->len = rr->len;

    return NGX_OK;
}


/* the server's policy, with the location's user verification */

static wa_policy_t *
ngx_http_webauthn_policy(ngx_http_request_t *r)
{
    wa_policy_t                   *pol;
    ngx_http_webauthn_srv_conf_t  *wscf;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);
    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    pol = ngx_palloc(r->pool, sizeof(wa_policy_t));
    if (pol == NULL) {
        return NULL;
    }

    *pol = wscf->policy;
    pol->require_uv =
             (wlcf->user_verification == NGX_HTTP_WEBAUTHN_UV_REQUIRED);

    return pol;
}


/*
 * A stored public key, parsed once per worker: a direct-mapped cache
 * indexed by a hash of the stored text, each slot keeping that text, so
 * that a slot only ever answers for the very bytes it was made from.
 * Comparing them costs less than any digest would on every login.
 */

static wa_key_t *
ngx_http_webauthn_key(ngx_http_request_t *r, ngx_str_t *pk, wa_err_t *err,
    wa_rc_t *rc)
{
    u_char                        *text;
    ngx_str_t                      cose;
    ngx_http_webauthn_key_slot_t  *slot;

    err->rc = WA_OK;
    err->detail = NULL;

    slot = &ngx_http_webauthn_keys[ngx_crc32_short(pk->data, pk->len)
                                   % NGX_HTTP_WEBAUTHN_KEY_CACHE];

    if (slot->key && slot->pk.len == pk->len
        && ngx_memcmp(slot->pk.data, pk->data, pk->len) == 0)
    {
        return slot->key;
    }

    cose.data = ngx_pnalloc(r->pool, pk->len);
    if (cose.data == NULL) {
        *rc = WA_ERR_INTERNAL;
        return NULL;
    }

    if (ngx_decode_base64url(&cose, pk) != NGX_OK) {
        *rc = WA_ERR_KEY_INVALID;
        return NULL;
    }

    text = ngx_alloc(pk->len, r->connection->log);
    if (text == NULL) {
        *rc = WA_ERR_INTERNAL;
        return NULL;
    }

    ngx_http_webauthn_key_slot_free(slot);

    *rc = wa_key_from_cose(cose.data, cose.len, &slot->key, err);

    if (*rc != WA_OK) {
        slot->key = NULL;
        ngx_free(text);
        return NULL;
    }

    ngx_memcpy(text, pk->data, pk->len);

    slot->pk.data = text;
    slot->pk.len = pk->len;

    return slot->key;
}


static void
ngx_http_webauthn_key_slot_free(ngx_http_webauthn_key_slot_t *slot)
{
    if (slot->key) {
        wa_key_free(slot->key);
        slot->key = NULL;
    }

    if (slot->pk.data) {
        ngx_free(slot->pk.data);
        ngx_str_null(&slot->pk);
    }
}
