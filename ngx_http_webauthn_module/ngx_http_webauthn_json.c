
/*
 * JSON answers: a small writer into the request pool, the JSON error of
 * every gate refusal and endpoint, and string escaping.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_webauthn_module.h"


static ngx_int_t ngx_http_webauthn_out_reserve(ngx_http_webauthn_out_t *o,
    size_t n);


void
ngx_http_webauthn_out_init(ngx_http_webauthn_out_t *o, ngx_http_request_t *r,
    size_t size)
{
    o->r = r;
    o->failed = 0;

    o->start = ngx_pnalloc(r->pool, size);
    if (o->start == NULL) {
        o->failed = 1;
        o->pos = NULL;
        o->end = NULL;
        return;
    }

    o->pos = o->start;
    o->end = o->start + size;
}


/* Grows the text by doubling: answers are small, a few reallocations at
 * most, and the request pool frees everything at once. */

static ngx_int_t
ngx_http_webauthn_out_reserve(ngx_http_webauthn_out_t *o, size_t n)
{
    size_t   size, used;
    u_char  *p;

    if (o->failed) {
        return NGX_ERROR;
    }

    if ((size_t) (o->end - o->pos) >= n) {
        return NGX_OK;
    }

    used = o->pos - o->start;
    size = (o->end - o->start) * 2;

    while (size - used < n) {
        size *= 2;
    }

    p = ngx_pnalloc(o->r->pool, size);
    if (p == NULL) {
        o->failed = 1;
        return NGX_ERROR;
    }

    ngx_memcpy(p, o->start, used);

    o->start = p;
    o->pos = p + used;
    o->end = p + size;

    return NGX_OK;
}


void
ngx_http_webauthn_out_raw(ngx_http_webauthn_out_t *o, const char *s)
{
    ngx_http_webauthn_out_json(o, (u_char *) s, ngx_strlen(s));
}


/* text that is JSON already, as it is */

void
ngx_http_webauthn_out_json(ngx_http_webauthn_out_t *o, u_char *s, size_t len)
{
    if (ngx_http_webauthn_out_reserve(o, len) == NGX_OK) {
        o->pos = ngx_cpymem(o->pos, s, len);
    }
}


/* a JSON string, quoted and escaped */

void
ngx_http_webauthn_out_str(ngx_http_webauthn_out_t *o, u_char *s, size_t len)
{
    size_t  n;

    n = ngx_http_webauthn_escape_json(NULL, s, len) + 2;

    if (ngx_http_webauthn_out_reserve(o, n) == NGX_OK) {
        *o->pos++ = '"';
        o->pos = (u_char *) ngx_http_webauthn_escape_json(o->pos, s, len);
        *o->pos++ = '"';
    }
}


void
ngx_http_webauthn_out_int(ngx_http_webauthn_out_t *o, int64_t n)
{
    if (ngx_http_webauthn_out_reserve(o, NGX_INT64_LEN + 1) == NGX_OK) {
        o->pos = ngx_sprintf(o->pos, "%L", n);
    }
}


ngx_int_t
ngx_http_webauthn_send_json(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_webauthn_out_t *o, ngx_str_t *cookie)
{
    ngx_int_t     rc;
    ngx_str_t     v;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (o->failed) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = o->start;
    b->last = o->pos;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    /* the answers of an authentication service must never be cached */

    ngx_str_set(&v, "no-store");

    if (ngx_http_webauthn_add_header(r, "Cache-Control", &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cookie
        && ngx_http_webauthn_add_header(r, "Set-Cookie", cookie) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = status;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (b->last == b->pos) {
        b->memory = 0;
        b->sync = 1;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_webauthn_add_header(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;

    return NGX_OK;
}


/*
 * The JSON error of every endpoint and gate (ngx_http_webauthn_module.h).
 * The strings are escaped, so message may carry request data.
 */

ngx_int_t
ngx_http_webauthn_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *message, const char *action)
{
    ngx_http_webauthn_ctx_t  *ctx;
    ngx_http_webauthn_out_t   o;

    ctx = ngx_http_webauthn_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->reason.len = ngx_strlen(code);
    ctx->reason.data = (u_char *) code;

    ngx_http_webauthn_out_init(&o, r, 256);

    ngx_http_webauthn_out_raw(&o, "{\"error\":");
    ngx_http_webauthn_out_str(&o, (u_char *) code, ngx_strlen(code));
    ngx_http_webauthn_out_raw(&o, ",\"message\":");
    ngx_http_webauthn_out_str(&o, (u_char *) message, ngx_strlen(message));

    if (action) {
        ngx_http_webauthn_out_raw(&o, ",\"action\":");
        ngx_http_webauthn_out_str(&o, (u_char *) action, ngx_strlen(action));
    }

    if (ctx->fallback_read) {
        ngx_http_webauthn_out_raw(&o, ",\"fallback\":\"read\"");
    }

    ngx_http_webauthn_out_raw(&o, "}");

    return ngx_http_webauthn_send_json(r, status, &o, NULL);
}


/*
 * JSON string escaping (RFC 8259).  With dst NULL returns the escaped
 * length, otherwise the end of the output.  Besides what JSON requires it
 * escapes DEL, U+2028/U+2029 and < > & (so that no HTML or script context
 * can be opened by a message), and replaces each byte of invalid UTF-8
 * with U+FFFD: the output is always valid UTF-8.
 */

uintptr_t
ngx_http_webauthn_escape_json(u_char *dst, u_char *src, size_t size)
{
    u_char         *p, *last, *start;
    size_t          len, n;
    uint32_t        u;
    static u_char   hex[] = "0123456789abcdef";

    p = src;
    last = src + size;
    len = 0;

    while (p < last) {
        start = p;
        u = ngx_http_webauthn_utf8_next(&p, last);
        n = p - start;

        if (u == NGX_HTTP_WEBAUTHN_UTF8_INVALID) {
            if (dst) {
                dst = ngx_cpymem(dst, "\\ufffd", 6);
            }

            len += 6;
            continue;
        }

        if (u >= 0x80 && u != 0x2028 && u != 0x2029) {
            if (dst) {
                dst = ngx_cpymem(dst, start, n);
            }

            len += n;
            continue;
        }

        switch (u) {

        case '"':
        case '\\':
            if (dst) {
                *dst++ = '\\';
                *dst++ = (u_char) u;
            }

            len += 2;
            continue;

        case '\n':
        case '\r':
        case '\t':
        case '\b':
        case '\f':
            if (dst) {
                *dst++ = '\\';
                *dst++ = (u == '\n') ? 'n' : (u == '\r') ? 'r'
                         : (u == '\t') ? 't' : (u == '\b') ? 'b' : 'f';
            }

            len += 2;
            continue;

        default:
            break;
        }

        if (u < 0x20 || u == 0x7f || u == '<' || u == '>' || u == '&'
            || u == 0x2028 || u == 0x2029)
        {
            if (dst) {
                *dst++ = '\\';
                *dst++ = 'u';
                *dst++ = hex[(u >> 12) & 0xf];
                *dst++ = hex[(u >> 8) & 0xf];
                *dst++ = hex[(u >> 4) & 0xf];
                *dst++ = hex[u & 0xf];
            }

            len += 6;
            continue;
        }

        if (dst) {
            *dst++ = (u_char) u;
        }

        len++;
    }

    return dst ? (uintptr_t) dst : (uintptr_t) len;
}


/*
 * Decodes one UTF-8 character and advances *p past it.  Overlong forms,
 * surrogates, values above U+10FFFF and truncated sequences are invalid:
 * then only the first byte is consumed.
 */

uint32_t
ngx_http_webauthn_utf8_next(u_char **p, u_char *last)
{
    u_char    c, *s;
    size_t    i, n;
    uint32_t  u, min;

    s = *p;
    c = *s++;
    *p = s;

    if (c < 0x80) {
        return c;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 1;
        u = c & 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 2;
        u = c & 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 3;
        u = c & 0x07;
        min = 0x10000;

    } else {
        return NGX_HTTP_WEBAUTHN_UTF8_INVALID;
    }

    if ((size_t) (last - s) < n) {
        return NGX_HTTP_WEBAUTHN_UTF8_INVALID;
    }

    for (i = 0; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return NGX_HTTP_WEBAUTHN_UTF8_INVALID;
        }

        u = (u << 6) | (s[i] & 0x3f);
    }

    if (u < min || u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
        return NGX_HTTP_WEBAUTHN_UTF8_INVALID;
    }

    *p = s + n;

    return u;
}
