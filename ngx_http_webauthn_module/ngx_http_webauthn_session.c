
/*
 * The session cookie and the names of the store's keys.
 *
 * The cookie is "v1.<payload>.<mac>": the payload, base64url, is
 * "expires|epoch|sid|user|credential" (user in base64url, the others
 * digits or base64url already); the mac is HMAC-SHA-256, under the first
 * webauthn_session_key, of the text before it.  Any listed key verifies,
 * so that keys can be rotated.  What the mac covers is the encoded text
 * itself, so no decoding quirk can make two texts of one payload.
 *
 * The cookie alone proves only that this module made it: the gate also
 * asks the store whether the session still exists and whether the user's
 * session epoch has moved (logout everywhere, a reset).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "ngx_http_webauthn_module.h"


#define NGX_HTTP_WEBAUTHN_COOKIE_MAX    2048
#define NGX_HTTP_WEBAUTHN_MAC_LEN       32


static ngx_int_t ngx_http_webauthn_session_mac(EVP_MAC_CTX *keyed,
    u_char *p, size_t len, u_char *mac);
static void ngx_http_webauthn_session_macs_free(void *data);
static ngx_int_t ngx_http_webauthn_session_verify(ngx_http_request_t *r,
    ngx_str_t *value, ngx_str_t *text);
static ngx_int_t ngx_http_webauthn_session_parse(ngx_http_request_t *r,
    ngx_str_t *text, ngx_http_webauthn_session_t *s);
static ngx_int_t ngx_http_webauthn_session_holds(
    ngx_http_webauthn_session_t *s, ngx_str_t *e, ngx_str_t *rec);
static ngx_int_t ngx_http_webauthn_find_cookie(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
static u_char *ngx_http_webauthn_cookie_attrs(u_char *p,
    ngx_http_webauthn_srv_conf_t *wscf);


/*
 * The worker's memo of cookies whose mac it has checked, and what they
 * say: a passkey session sends the same cookie with every request, and
 * its mac and decoding were most of what the gate spent on it.  What a
 * cookie says never changes; whether its session still holds is the
 * store's to say on every request.  A cookie is remembered with the keys
 * that verified it (the server's list: another server's keys may
 * differ), and looked up by its whole text, compared in constant time.
 * It is kept when the session cache is: webauthn_session_cache off turns
 * both off.
 */

static ngx_http_webauthn_cache_t  *ngx_http_webauthn_memo;


ngx_int_t
ngx_http_webauthn_session_init_process(ngx_cycle_t *cycle)
{
    ngx_http_webauthn_main_conf_t  *wmcf;

    ngx_http_webauthn_memo = NULL;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    wmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_webauthn_module);

    if (wmcf == NULL || wmcf->redis == NULL || wmcf->session_cache == 0) {
        return NGX_OK;
    }

    ngx_http_webauthn_memo = ngx_http_webauthn_cache_create(
                                 wmcf->session_cache, cycle->log);

    return ngx_http_webauthn_memo ? NGX_OK : NGX_ERROR;
}


void
ngx_http_webauthn_session_exit_process(void)
{
    ngx_http_webauthn_cache_destroy(ngx_http_webauthn_memo);
    ngx_http_webauthn_memo = NULL;
}


ngx_int_t
ngx_http_webauthn_session_get(ngx_http_request_t *r,
    ngx_http_webauthn_session_t *s)
{
    u_char                        *p;
    ngx_str_t                      value, text, memo;
    ngx_int_t                      rc;
    ngx_http_webauthn_srv_conf_t  *wscf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    if (wscf->session_keys == NULL) {
        return NGX_DECLINED;
    }

    rc = ngx_http_webauthn_find_cookie(r, &wscf->cookie_name, &value);

    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    if (value.len < 3 || value.len > NGX_HTTP_WEBAUTHN_COOKIE_MAX
        || ngx_strncmp(value.data, "v1.", 3) != 0)
    {
        return NGX_ERROR;
    }

    /* the memo's value: the keys' list, then the decoded payload */

    if (ngx_http_webauthn_memo
        && ngx_http_webauthn_cache_get(ngx_http_webauthn_memo, value.data,
                                       value.len, &memo)
           == NGX_OK
        && memo.len > sizeof(ngx_array_t *)
        && ngx_memcmp(memo.data, &wscf->session_macs, sizeof(ngx_array_t *))
           == 0)
    {
        /* a copy: the entry may go before the request does */

        text.len = memo.len - sizeof(ngx_array_t *);
        text.data = ngx_pnalloc(r->pool, text.len);
        if (text.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(text.data, memo.data + sizeof(ngx_array_t *), text.len);

    } else {
        rc = ngx_http_webauthn_session_verify(r, &value, &text);

        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_webauthn_memo) {
            memo.len = sizeof(ngx_array_t *) + text.len;
            memo.data = ngx_pnalloc(r->pool, memo.len);

            if (memo.data) {
                p = ngx_cpymem(memo.data, &wscf->session_macs,
                               sizeof(ngx_array_t *));
                ngx_memcpy(p, text.data, text.len);

                ngx_http_webauthn_cache_put(ngx_http_webauthn_memo,
                                            value.data, value.len, &memo);
            }
        }
    }

    rc = ngx_http_webauthn_session_parse(r, &text, s);

    if (rc != NGX_OK) {
        return rc;
    }

    if (s->expires <= ngx_time()) {
        return NGX_ABORT;
    }

    return NGX_OK;
}


/*
 * The cookie's mac, under every key of the server, and its payload
 * decoded into text: NGX_OK, or NGX_ERROR when it is forged or malformed.
 */

static ngx_int_t
ngx_http_webauthn_session_verify(ngx_http_request_t *r, ngx_str_t *value,
    ngx_str_t *text)
{
    u_char                        *p, *mac_start;
    ngx_str_t                      signed_part, payload, mac, dst;
    EVP_MAC_CTX                  **keys;
    ngx_uint_t                     i, ok;
    ngx_http_webauthn_srv_conf_t  *wscf;
    u_char                         want[NGX_HTTP_WEBAUTHN_MAC_LEN];
    u_char                         got[NGX_HTTP_WEBAUTHN_MAC_LEN + 4];

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    mac_start = NULL;

    for (p = value->data + value->len; p > value->data + 3; p--) {
        if (p[-1] == '.') {
            mac_start = p;
            break;
        }
    }

    if (mac_start == NULL) {
        return NGX_ERROR;
    }

    mac.data = mac_start;
    mac.len = value->data + value->len - mac_start;

    if (mac.len != 43) {        /* 32 bytes, base64url */
        return NGX_ERROR;
    }

    signed_part.data = value->data;
    signed_part.len = mac_start - 1 - value->data;

    dst.data = got;

    if (ngx_decode_base64url(&dst, &mac) != NGX_OK
        || dst.len != NGX_HTTP_WEBAUTHN_MAC_LEN)
    {
        return NGX_ERROR;
    }

    /* every key is tried, so that timing tells nothing of which one */

    keys = wscf->session_macs->elts;
    ok = 0;

    for (i = 0; i < wscf->session_macs->nelts; i++) {
        if (ngx_http_webauthn_session_mac(keys[i], signed_part.data,
                                          signed_part.len, want)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ok |= (CRYPTO_memcmp(want, got, NGX_HTTP_WEBAUTHN_MAC_LEN) == 0);
    }

    ngx_explicit_memzero(want, sizeof(want));

    if (!ok) {
        return NGX_ERROR;
    }

    payload.data = signed_part.data + 3;
    payload.len = signed_part.len - 3;

    text->data = ngx_pnalloc(r->pool, payload.len);
    if (text->data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(text, &payload) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "expires|epoch|sid|user|credential", the decoded payload */

static ngx_int_t
ngx_http_webauthn_session_parse(ngx_http_request_t *r, ngx_str_t *text,
    ngx_http_webauthn_session_t *s)
{
    u_char     *p, *last, *start;
    uint64_t    n;
    ngx_str_t   field[5];
    ngx_uint_t  i;

    p = text->data;
    last = text->data + text->len;

    for (i = 0; i < 5; i++) {
        start = p;

        while (p < last && *p != '|') {
            p++;
        }

        field[i].data = start;
        field[i].len = p - start;

        if (i < 4) {
            if (p == last) {
                return NGX_ERROR;
            }

            p++;
        }
    }

    if (p != last) {
        return NGX_ERROR;
    }

    if (ngx_http_webauthn_parse_uint(field[0].data, field[0].len, &n)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    s->expires = (time_t) n;

    if (ngx_http_webauthn_parse_uint(field[1].data, field[1].len, &s->epoch)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    s->sid = field[2];
    s->credential = field[4];

    s->user.data = ngx_pnalloc(r->pool, field[3].len);
    if (s->user.data == NULL) {
        return NGX_ERROR;
    }

    if (ngx_decode_base64url(&s->user, &field[3]) != NGX_OK
        || s->user.len == 0 || s->sid.len == 0 || s->credential.len == 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "name=v1.<payload>.<mac>; Path=/; Max-Age=N; HttpOnly; Secure; ..." */

ngx_int_t
ngx_http_webauthn_session_cookie(ngx_http_request_t *r,
    ngx_http_webauthn_session_t *s, ngx_str_t *cookie)
{
    u_char                        *p, *text_start;
    size_t                         len;
    ngx_str_t                      src, dst, user;
    EVP_MAC_CTX                  **keys;
    ngx_http_webauthn_srv_conf_t  *wscf;
    u_char                         mac[NGX_HTTP_WEBAUTHN_MAC_LEN];

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    if (ngx_http_webauthn_b64url(r->pool, s->user.data, s->user.len, &user)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the payload in clear, then encoded */

    len = NGX_TIME_T_LEN + 1 + NGX_INT64_LEN + 1 + s->sid.len + 1 + user.len
          + 1 + s->credential.len;

    src.data = ngx_pnalloc(r->pool, len);
    if (src.data == NULL) {
        return NGX_ERROR;
    }

    src.len = ngx_sprintf(src.data, "%T|%uL|%V|%V|%V", s->expires, s->epoch,
                          &s->sid, &user, &s->credential)
              - src.data;

    len = wscf->cookie_name.len + 1 + 3 + ngx_base64_encoded_length(src.len)
          + 1 + ngx_base64_encoded_length(NGX_HTTP_WEBAUTHN_MAC_LEN)
          + 256 + wscf->cookie_path.len + wscf->cookie_domain.len;

    cookie->data = ngx_pnalloc(r->pool, len);
    if (cookie->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(cookie->data, "%V=", &wscf->cookie_name);
    text_start = p;
    p = ngx_cpymem(p, "v1.", 3);

    dst.data = p;
    ngx_encode_base64url(&dst, &src);
    p += dst.len;

    keys = wscf->session_macs->elts;

    if (ngx_http_webauthn_session_mac(keys[0], text_start, p - text_start,
                                      mac)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *p++ = '.';

    src.data = mac;
    src.len = sizeof(mac);
    dst.data = p;
    ngx_encode_base64url(&dst, &src);
    p += dst.len;

    ngx_explicit_memzero(mac, sizeof(mac));

    p = ngx_sprintf(p, "; Max-Age=%T",
                    (time_t) ngx_max(s->expires - ngx_time(), 1));

    p = ngx_http_webauthn_cookie_attrs(p, wscf);

    cookie->len = p - cookie->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_session_clear_cookie(ngx_http_request_t *r,
    ngx_str_t *cookie)
{
    u_char                        *p;
    ngx_http_webauthn_srv_conf_t  *wscf;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    cookie->data = ngx_pnalloc(r->pool, wscf->cookie_name.len + 256
                                        + wscf->cookie_path.len
                                        + wscf->cookie_domain.len);
    if (cookie->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(cookie->data, "%V=; Max-Age=0", &wscf->cookie_name);
    p = ngx_http_webauthn_cookie_attrs(p, wscf);

    cookie->len = p - cookie->data;

    return NGX_OK;
}


static u_char *
ngx_http_webauthn_cookie_attrs(u_char *p, ngx_http_webauthn_srv_conf_t *wscf)
{
    static const char  *samesite[] = { "Strict", "Lax", "None" };

    p = ngx_sprintf(p, "; Path=%V", &wscf->cookie_path);

    if (wscf->cookie_domain.len) {
        p = ngx_sprintf(p, "; Domain=%V", &wscf->cookie_domain);
    }

    return ngx_sprintf(p, "; HttpOnly; Secure; SameSite=%s",
                       samesite[wscf->cookie_samesite]);
}


/*
 * One HMAC-SHA-256 context per session key, keyed once at configuration:
 * a request copies it, so that no request fetches the algorithm or
 * schedules the key again.
 */

char *
ngx_http_webauthn_session_macs(ngx_conf_t *cf, ngx_array_t *keys,
    ngx_array_t **macs)
{
    EVP_MAC             *hmac;
    ngx_str_t           *key;
    ngx_uint_t           i;
    EVP_MAC_CTX        **ctx;
    OSSL_PARAM           params[2];
    ngx_pool_cleanup_t  *cln;

    *macs = ngx_array_create(cf->pool, keys->nelts, sizeof(EVP_MAC_CTX *));
    if (*macs == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_webauthn_session_macs_free;
    cln->data = *macs;

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "webauthn: OpenSSL has no HMAC");
        return NGX_CONF_ERROR;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    key = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        ctx = ngx_array_push(*macs);
        if (ctx == NULL) {
            EVP_MAC_free(hmac);
            return NGX_CONF_ERROR;
        }

        *ctx = EVP_MAC_CTX_new(hmac);

        if (*ctx == NULL
            || EVP_MAC_init(*ctx, key[i].data, key[i].len, params) != 1)
        {
            EVP_MAC_free(hmac);
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "webauthn: HMAC-SHA-256 setup failed");
            return NGX_CONF_ERROR;
        }
    }

    EVP_MAC_free(hmac);

    return NGX_CONF_OK;
}


static void
ngx_http_webauthn_session_macs_free(void *data)
{
    ngx_array_t *macs = data;

    ngx_uint_t     i;
    EVP_MAC_CTX  **ctx;

    ctx = macs->elts;

    for (i = 0; i < macs->nelts; i++) {
        EVP_MAC_CTX_free(ctx[i]);
    }
}


/*
 * A worker is one thread, so the keyed context is used in place:
 * EVP_MAC_init() without a key starts it over with the key it has, with no
 * allocation (a copy of the context per request cost twice the mac).
 */

static ngx_int_t
ngx_http_webauthn_session_mac(EVP_MAC_CTX *keyed, u_char *p, size_t len,
    u_char *mac)
{
    size_t  n;

    if (EVP_MAC_init(keyed, NULL, 0, NULL) != 1
        || EVP_MAC_update(keyed, p, len) != 1
        || EVP_MAC_final(keyed, mac, &n, NGX_HTTP_WEBAUTHN_MAC_LEN) != 1
        || n != NGX_HTTP_WEBAUTHN_MAC_LEN)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_webauthn_find_cookie(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
#if (nginx_version >= 1023000)

    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, name,
                                          value)
        == NULL)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;

#else

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, name,
                                          value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;

#endif
}


/* a decimal number as this module writes it: digits, no leading zero */

ngx_int_t
ngx_http_webauthn_parse_uint(u_char *p, size_t len, uint64_t *out)
{
    uint64_t  n;

    if (len == 0 || len > 19 || (len > 1 && p[0] == '0')) {
        return NGX_ERROR;
    }

    n = 0;

    while (len--) {
        if (*p < '0' || *p > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + (*p++ - '0');
    }

    *out = n;

    return NGX_OK;
}


/*
 * Asks the store whether a session still holds: MGET of the user's session
 * epoch and of the session record, in one round trip.  Returns what
 * ngx_http_webauthn_store_command() returns; with cached, the session
 * cache may answer at once instead: NGX_DONE, the session holds, or
 * NGX_ABORT, it has ended (the handler is then not called).
 */

ngx_int_t
ngx_http_webauthn_session_lookup(ngx_http_request_t *r,
    ngx_http_webauthn_session_t *s, ngx_http_webauthn_store_pt handler,
    void *data, ngx_uint_t cached)
{
    u_char      *p;
    ngx_str_t    prefix, keys[2], values[2];
    const char  *argv[3];
    size_t       argvlen[3];

    /* every gated request comes here: the user is encoded once */

    if (ngx_http_webauthn_user_key(r, &s->user, "", NULL, &prefix)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 2 * prefix.len + sizeof("epoch") - 1
                             + sizeof("s:") - 1 + s->sid.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    keys[0].data = p;
    p = ngx_cpymem(p, prefix.data, prefix.len);
    p = ngx_cpymem(p, "epoch", sizeof("epoch") - 1);
    keys[0].len = p - keys[0].data;

    keys[1].data = p;
    p = ngx_cpymem(p, prefix.data, prefix.len);
    p = ngx_cpymem(p, "s:", sizeof("s:") - 1);
    p = ngx_cpymem(p, s->sid.data, s->sid.len);
    keys[1].len = p - keys[1].data;

    if (cached) {
        if (ngx_http_webauthn_store_cached(2, keys, values) == NGX_OK) {
            return ngx_http_webauthn_session_holds(s, &values[0], &values[1])
                   == NGX_OK ? NGX_DONE : NGX_ABORT;
        }
    }

    argv[0] = "MGET";
    argvlen[0] = 4;
    argv[1] = (char *) keys[0].data;
    argvlen[1] = keys[0].len;
    argv[2] = (char *) keys[1].data;
    argvlen[2] = keys[1].len;

    if (cached) {
        return ngx_http_webauthn_store_mget_cached(r, handler, data, 3, argv,
                                                   argvlen);
    }

    return ngx_http_webauthn_store_command(r, handler, data,
                                           NGX_HTTP_WEBAUTHN_SCRIPT_NONE, 0,
                                           3, argv, argvlen);
}


/*
 * The store's answer to ngx_http_webauthn_session_lookup(): NGX_OK when the
 * session record names the cookie's credential and the epoch has not
 * moved, NGX_DECLINED when the session has ended, NGX_ERROR when the store
 * did not answer.
 */

ngx_int_t
ngx_http_webauthn_session_valid(ngx_http_webauthn_session_t *s,
    redisReply *reply)
{
    ngx_uint_t   i;
    ngx_str_t    values[2];
    redisReply  *e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 2)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < 2; i++) {
        e = reply->element[i];

        if (e->type == REDIS_REPLY_STRING) {
            values[i].data = (u_char *) e->str;
            values[i].len = e->len;

        } else {
            ngx_str_null(&values[i]);
        }
    }

    return ngx_http_webauthn_session_holds(s, &values[0], &values[1]);
}


/*
 * The verdict on the epoch and the record, as the store has them (data
 * NULL: no such key): NGX_OK or NGX_DECLINED.
 */

static ngx_int_t
ngx_http_webauthn_session_holds(ngx_http_webauthn_session_t *s,
    ngx_str_t *e, ngx_str_t *rec)
{
    uint64_t  epoch, probation;

    epoch = 0;

    if (e->data
        && ngx_http_webauthn_parse_uint(e->data, e->len, &epoch) != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /* the record: "<passkey id>" or "<passkey id> <probation start>" */

    if (rec->data == NULL
        || rec->len < s->credential.len
        || ngx_strncmp(rec->data, s->credential.data, s->credential.len)
           != 0
        || epoch != s->epoch)
    {
        return NGX_DECLINED;
    }

    s->probation = 0;

    if (rec->len == s->credential.len) {
        return NGX_OK;
    }

    if (rec->data[s->credential.len] != ' '
        || ngx_http_webauthn_parse_uint(rec->data + s->credential.len + 1,
                                        rec->len - s->credential.len - 1,
                                        &probation)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    s->probation = (time_t) probation;

    return NGX_OK;
}


/* "wa:{u:<base64url of user>}:<suffix><extra>" */

ngx_int_t
ngx_http_webauthn_user_key(ngx_http_request_t *r, ngx_str_t *user,
    const char *suffix, ngx_str_t *extra, ngx_str_t *key)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   src, dst;

    len = sizeof("wa:{u:}:") - 1 + ngx_base64_encoded_length(user->len)
          + ngx_strlen(suffix) + (extra ? extra->len : 0);

    key->data = ngx_pnalloc(r->pool, len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, "wa:{u:", 6);

    src = *user;
    dst.data = p;
    ngx_encode_base64url(&dst, &src);
    p += dst.len;

    p = ngx_cpymem(p, "}:", 2);
    p = ngx_cpymem(p, suffix, ngx_strlen(suffix));

    if (extra) {
        p = ngx_cpymem(p, extra->data, extra->len);
    }

    key->len = p - key->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_b64url(ngx_pool_t *pool, u_char *p, size_t len,
    ngx_str_t *out)
{
    ngx_str_t  src;

    out->data = ngx_pnalloc(pool, ngx_base64_encoded_length(len) + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    src.data = p;
    src.len = len;

    ngx_encode_base64url(out, &src);

    return NGX_OK;
}


ngx_int_t
ngx_http_webauthn_random(u_char *p, size_t len)
{
    return RAND_bytes(p, (int) len) == 1 ? NGX_OK : NGX_ERROR;
}
