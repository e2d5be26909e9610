
/*
 * The access phase gate: "webauthn_gate password | passkey | transaction
 * [fallback=read]".
 *
 * It runs after auth_basic and auth_request (see config), so that
 * webauthn_identity can use what they established.  A password gate needs
 * the identity only.  A passkey gate needs a session cookie that this
 * module signed, that has not expired, and that the store still knows: one
 * round trip (MGET of the session record and the user's session epoch)
 * made asynchronously, the phase engine resumed when the answer comes.
 *
 * With fallback=read, a request that has the password identity but no
 * valid passkey session (none, expired, revoked, or the store is down)
 * may still read: GET and HEAD pass at level "password"; everything else
 * is refused, and the refusal says "fallback":"read".
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_webauthn_module.h"


static ngx_int_t ngx_http_webauthn_gate_check(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_gate_lookup(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx);
static void ngx_http_webauthn_gate_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_webauthn_gate_verdict(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_int_t valid);
static ngx_int_t ngx_http_webauthn_gate_passkey(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_http_webauthn_ctx_t *ctx);
static ngx_int_t ngx_http_webauthn_gate_fallback(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_http_webauthn_ctx_t *ctx,
    ngx_uint_t status, const char *code, const char *message,
    const char *action);
static ngx_int_t ngx_http_webauthn_gate_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *code, const char *message,
    const char *action);


ngx_int_t
ngx_http_webauthn_access_handler(ngx_http_request_t *r)
{
    ngx_http_webauthn_ctx_t       *ctx;
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    if (wlcf->gate == NGX_HTTP_WEBAUTHN_GATE_OFF) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_webauthn_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->gate_done) {
        return ctx->gate_rc;
    }

    /* woken up (a write event) while the store has not answered yet */

    if (ctx->gate_pending) {
        return NGX_AGAIN;
    }

    return ngx_http_webauthn_gate_check(r, wlcf, ctx);
}


static ngx_int_t
ngx_http_webauthn_gate_check(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t  rc;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webauthn gate \"%V\" fallback:%i",
                   &ngx_http_webauthn_gates[wlcf->gate].name,
                   wlcf->fallback_read);

    if (wlcf->identity != NULL) {
        if (ngx_http_complex_value(r, wlcf->identity, &ctx->identity)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ctx->identity.len > NGX_HTTP_WEBAUTHN_USER_MAX) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "webauthn: identity of %uz bytes, over %d",
                          ctx->identity.len, NGX_HTTP_WEBAUTHN_USER_MAX);

            return ngx_http_webauthn_gate_refuse(r, NGX_HTTP_FORBIDDEN,
                       "policy_denied", "the user name is too long", "none");
        }
    }

    if (wlcf->gate == NGX_HTTP_WEBAUTHN_GATE_PASSWORD) {
        if (ctx->identity.len == 0) {
            return ngx_http_webauthn_gate_refuse(r, NGX_HTTP_UNAUTHORIZED,
                       "identity_required",
                       "sign in with your password first", "login");
        }

        ctx->user = ctx->identity;
        ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSWORD;
        ctx->gate_outcome = NGX_HTTP_WEBAUTHN_OUTCOME_ALLOW;

        return NGX_DECLINED;
    }

    rc = ngx_http_webauthn_session_get(r, &ctx->session);

    switch (rc) {

    case NGX_OK:
        break;

    case NGX_ABORT:
        return ngx_http_webauthn_gate_fallback(r, wlcf, ctx,
                   NGX_HTTP_FORBIDDEN, "session_expired",
                   "your passkey session has expired, sign in with your "
                   "passkey again", "passkey");

    case NGX_ERROR:
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "webauthn: session cookie is invalid");

        /* fall through */

    default: /* NGX_DECLINED */
        return ngx_http_webauthn_gate_fallback(r, wlcf, ctx,
                   NGX_HTTP_FORBIDDEN, "passkey_required",
                   "this needs a passkey: sign in with your passkey",
                   "passkey");
    }

    if (ctx->identity.len
        && (ctx->identity.len != ctx->session.user.len
            || ngx_strncmp(ctx->identity.data, ctx->session.user.data,
                           ctx->identity.len)
               != 0))
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "webauthn: the passkey session is not for the "
                      "signed-in user");

        return ngx_http_webauthn_gate_fallback(r, wlcf, ctx,
                   NGX_HTTP_FORBIDDEN, "user_mismatch",
                   "the passkey session belongs to another account",
                   "retry");
    }

    return ngx_http_webauthn_gate_lookup(r, ctx);
}


/* asks the store whether the session still holds */

static ngx_int_t
ngx_http_webauthn_gate_lookup(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_webauthn_session_lookup(r, &ctx->session,
                                          ngx_http_webauthn_gate_reply, ctx,
                                          1);

    if (rc == NGX_OK) {
        ctx->gate_pending = 1;
        return NGX_AGAIN;
    }

    /* the session cache answered: no round trip */

    if (rc == NGX_DONE) {
        return ngx_http_webauthn_gate_verdict(r, ctx, NGX_OK);
    }

    if (rc == NGX_ABORT) {
        return ngx_http_webauthn_gate_verdict(r, ctx, NGX_DECLINED);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* NGX_DECLINED: not connected, as if the store had not answered */

    return ngx_http_webauthn_gate_verdict(r, ctx, NGX_ERROR);
}


static void
ngx_http_webauthn_gate_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_webauthn_ctx_t *ctx = data;

    ngx_int_t  rc;

    ctx->gate_pending = 0;

    rc = ngx_http_webauthn_gate_verdict(r, ctx,
             ngx_http_webauthn_session_valid(&ctx->session, reply));

    if (rc == NGX_DONE) {
        /* refused: the response is sent and the request finalized */
        return;
    }

    ctx->gate_done = 1;
    ctx->gate_rc = rc;

    ngx_http_core_run_phases(r);
}


/*
 * What the gate does with the store's word on the session (NGX_OK: holds,
 * NGX_DECLINED: ended, NGX_ERROR: no answer): the access handler's result.
 */

static ngx_int_t
ngx_http_webauthn_gate_verdict(ngx_http_request_t *r,
    ngx_http_webauthn_ctx_t *ctx, ngx_int_t valid)
{
    ngx_http_webauthn_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    switch (valid) {

    case NGX_OK:
        return ngx_http_webauthn_gate_passkey(r, wlcf, ctx);

    case NGX_DECLINED:
        return ngx_http_webauthn_gate_fallback(r, wlcf, ctx,
                   NGX_HTTP_FORBIDDEN, "session_expired",
                   "your passkey session has ended, sign in with your "
                   "passkey again", "passkey");

    default: /* NGX_ERROR */
        return ngx_http_webauthn_gate_fallback(r, wlcf, ctx,
                   NGX_HTTP_SERVICE_UNAVAILABLE, "store_unavailable",
                   "passkey sessions are unavailable, try again later",
                   "retry");
    }
}


static ngx_int_t
ngx_http_webauthn_gate_passkey(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_http_webauthn_ctx_t *ctx)
{
    /*
     * A passkey registered through a recovery grant, or restored by a
     * rollback, is trusted less for a while where the location says so.
     */

    if (wlcf->probation && ctx->session.probation
        && ngx_time() < ctx->session.probation + wlcf->probation)
    {
        return ngx_http_webauthn_gate_fallback(r, wlcf, ctx,
                   NGX_HTTP_FORBIDDEN, "probation",
                   "this passkey is too new for this action, try again "
                   "later", "wait");
    }

    ctx->user = ctx->session.user;
    ctx->credential = ctx->session.credential;
    ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSKEY;

    /*
     * Signing the exact request (transaction_options) is not in this
     * build: a transaction gate admits reads with a passkey session and
     * refuses every change, rather than let a session alone place one.
     */

    if (wlcf->gate == NGX_HTTP_WEBAUTHN_GATE_TRANSACTION
        && !(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)))
    {
        return ngx_http_webauthn_gate_refuse(r, NGX_HTTP_FORBIDDEN,
                   "transaction_mismatch",
                   "this request must be signed with your passkey, which "
                   "this server cannot do yet", "none");
    }

    ctx->gate_outcome = NGX_HTTP_WEBAUTHN_OUTCOME_ALLOW;

    return NGX_DECLINED;
}


/*
 * No valid passkey session: a read with the password identity passes under
 * fallback=read; everything else is refused with the reason.
 */

static ngx_int_t
ngx_http_webauthn_gate_fallback(ngx_http_request_t *r,
    ngx_http_webauthn_loc_conf_t *wlcf, ngx_http_webauthn_ctx_t *ctx,
    ngx_uint_t status, const char *code, const char *message,
    const char *action)
{
    if (ctx->identity.len == 0) {
        if (wlcf->identity != NULL && status != NGX_HTTP_SERVICE_UNAVAILABLE
            && ctx->session.user.len == 0)
        {
            return ngx_http_webauthn_gate_refuse(r, NGX_HTTP_UNAUTHORIZED,
                       "identity_required",
                       "sign in with your password first", "login");
        }

        return ngx_http_webauthn_gate_refuse(r, status, code, message,
                                             action);
    }

    if (wlcf->fallback_read) {
        if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
            ctx->user = ctx->identity;
            ctx->credential.len = 0;
            ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSWORD;

            /* why it is a read only, for the access log */
            ctx->reason.data = (u_char *) code;
            ctx->reason.len = ngx_strlen(code);
            ctx->gate_outcome = NGX_HTTP_WEBAUTHN_OUTCOME_READ;

            return NGX_DECLINED;
        }

        ctx->fallback_read = 1;
    }

    ctx->user = ctx->identity;
    ctx->level = NGX_HTTP_WEBAUTHN_LEVEL_PASSWORD;

    return ngx_http_webauthn_gate_refuse(r, status, code, message, action);
}


/*
 * Refuses a request with a JSON body.  The phase engine would take NGX_OK
 * from the output filter for "allowed", so the request is finalized here
 * and NGX_DONE tells the engine (or the store's callback) to stop.
 */

static ngx_int_t
ngx_http_webauthn_gate_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, const char *action)
{
    ngx_int_t                 rc;
    ngx_http_webauthn_ctx_t  *ctx;

    ctx = ngx_http_webauthn_get_ctx(r);
    if (ctx) {
        ctx->gate_outcome = NGX_HTTP_WEBAUTHN_OUTCOME_REFUSE;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    rc = ngx_http_webauthn_send_error(r, status, code, message, action);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}
