
/*
 * Client telemetry: "webauthn_endpoint telemetry".  A page whose
 * navigator.credentials.create() or get() failed posts what the browser
 * said (client/webauthn.js, docs/client.md):
 *
 *     {"v":1,"ceremony":"login","error":"NotAllowedError",
 *      "elapsedMs":5321,"hybrid":null,"attempt":1,"nativeJSON":true}
 *
 * It is counted in the metrics by ceremony, error, platform (from the
 * request's User-Agent and Client Hints) and hybrid, and the time in a
 * histogram; nothing of it is stored.  Anyone can post, so the body is
 * small and strict, the Origin must be one of the site's, and each client
 * address may post webauthn_telemetry_limit reports a minute (counted in
 * the zone, so that every worker agrees).  The answer is 204.  What each
 * report came to is counted in the log phase, as for every endpoint.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_webauthn_module.h"


#define NGX_HTTP_WEBAUTHN_TELEMETRY_BODY_MAX  1024
#define NGX_HTTP_WEBAUTHN_TELEMETRY_WINDOW    60
#define NGX_HTTP_WEBAUTHN_ERROR_NAME_MAX      64
#define NGX_HTTP_WEBAUTHN_ELAPSED_MAX         86400000    /* a day, ms */
#define NGX_HTTP_WEBAUTHN_ATTEMPT_MAX         10


/* a client address's reports in the current window, in the zone's tree */
typedef struct {
    u_char                      color;
    u_char                      len;
    u_short                     count;
    ngx_queue_t                 queue;
    time_t                      window;
    u_char                      addr[1];
} ngx_http_webauthn_limit_node_t;


typedef struct {
    ngx_uint_t                  ceremony;    /* 0 register, 1 login */
    ngx_uint_t                  error;       /* a reason label */
    ngx_uint_t                  hybrid;      /* 0 unknown, 1 no, 2 yes */
    ngx_int_t                   elapsed;     /* ms, -1 not said */
} ngx_http_webauthn_report_t;


static void ngx_http_webauthn_telemetry_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_telemetry_origin(ngx_http_request_t *r);
static ngx_int_t ngx_http_webauthn_telemetry_limit(ngx_http_request_t *r,
    ngx_uint_t limit, time_t *retry);
static ngx_rbtree_node_t *ngx_http_webauthn_limit_lookup(ngx_rbtree_t *tree,
    u_char *addr, size_t len, uint32_t hash);
static void ngx_http_webauthn_limit_expire(ngx_slab_pool_t *shpool,
    ngx_rbtree_t *tree, ngx_queue_t *queue, time_t now, ngx_uint_t force);
static ngx_int_t ngx_http_webauthn_telemetry_parse(ngx_str_t *body,
    ngx_http_webauthn_report_t *rep, const char **why);


ngx_int_t
ngx_http_webauthn_telemetry_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  allow;

    /* the log phase counts what every report came to: it needs the ctx */

    if (ngx_http_webauthn_get_ctx(r) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method != NGX_HTTP_POST) {
        ngx_str_set(&allow, "POST");
        return ngx_http_webauthn_not_allowed(r, &allow);
    }

    if (r->headers_in.content_length_n
        > NGX_HTTP_WEBAUTHN_TELEMETRY_BODY_MAX)
    {
        return ngx_http_webauthn_reject(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "payload_too_large",
                                        "a report is at most 1024 bytes");
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_webauthn_telemetry_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_webauthn_telemetry_body(ngx_http_request_t *r)
{
    time_t                          retry;
    ngx_int_t                       rc;
    ngx_str_t                       body, value;
    const char                     *why;
    ngx_http_webauthn_report_t      rep;
    ngx_http_webauthn_loc_conf_t   *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webauthn_module);

    ngx_str_null(&body);

    if (ngx_http_webauthn_read_body(r, &body,
                                    NGX_HTTP_WEBAUTHN_TELEMETRY_BODY_MAX,
                                    "a report is at most 1024 bytes")
        != NGX_OK)
    {
        return;
    }

    /* only the site's own pages report: junk from elsewhere is not counted */

    if (ngx_http_webauthn_telemetry_origin(r) != NGX_OK) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_FORBIDDEN, "origin_mismatch",
                                  "reports are taken from the site's own "
                                  "pages only", "none");
        return;
    }

    /* every report counts towards the limit, good or bad, as limit_req */

    if (wlcf->telemetry_limit) {
        rc = ngx_http_webauthn_telemetry_limit(r, wlcf->telemetry_limit,
                                               &retry);

        if (rc == NGX_ERROR) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (rc == NGX_BUSY) {
            value.data = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
            if (value.data == NULL) {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            value.len = ngx_sprintf(value.data, "%T", retry) - value.data;

            if (ngx_http_webauthn_add_header(r, "Retry-After", &value)
                != NGX_OK)
            {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            ngx_http_webauthn_ep_fail(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                      "rate_limited",
                                      "too many reports from this "
                                      "address, try later", "none");
            return;
        }
    }

    if (ngx_http_webauthn_check_type(r) != NGX_OK) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                  "malformed_request",
                                  "the body must be application/json",
                                  "none");
        return;
    }

    if (ngx_http_webauthn_telemetry_parse(&body, &rep, &why) != NGX_OK) {
        ngx_http_webauthn_ep_fail(r, NGX_HTTP_BAD_REQUEST,
                                  "malformed_request", why, "none");
        return;
    }

    ngx_http_webauthn_metric_client(r, rep.ceremony, rep.error, rep.hybrid,
                                    rep.elapsed);

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    ngx_http_finalize_request(r, ngx_http_send_header(r));
}


/* Origin: one of webauthn_origin's web origins, exactly */

static ngx_int_t
ngx_http_webauthn_telemetry_origin(ngx_http_request_t *r)
{
    ngx_str_t                     *origin;
    ngx_uint_t                     i, n;
    ngx_table_elt_t               *h;
    ngx_http_webauthn_origin_t    *o;
    ngx_http_webauthn_srv_conf_t  *wscf;

    /* none, or two (which is none), is refused */

    h = ngx_http_webauthn_header_in(r, "Origin", &n);

    if (h == NULL || n != 1) {
        return NGX_DECLINED;
    }

    origin = &h->value;

    wscf = ngx_http_get_module_srv_conf(r, ngx_http_webauthn_module);

    o = wscf->origins->elts;

    for (i = 0; i < wscf->origins->nelts; i++) {
        if (o[i].type != NGX_HTTP_WEBAUTHN_ORIGIN_ANDROID
            && o[i].origin.len == origin->len
            && ngx_strncmp(o[i].origin.data, origin->data, origin->len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * A fixed window of a minute per client address (after the realip module,
 * when it is used).  NGX_OK: within the limit; NGX_BUSY: over it, retry
 * set to the seconds left.
 */

static ngx_int_t
ngx_http_webauthn_telemetry_limit(ngx_http_request_t *r, ngx_uint_t limit,
    time_t *retry)
{
    u_char                          *addr;
    size_t                           len, size;
    time_t                           now;
    uint32_t                         hash;
    ngx_int_t                        rc;
    ngx_queue_t                     *queue;
    ngx_rbtree_t                    *tree;
    ngx_slab_pool_t                 *shpool;
    ngx_rbtree_node_t               *node;
    struct sockaddr_in              *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6             *sin6;
#endif
    ngx_http_webauthn_limit_node_t  *ln;

    shpool = ngx_http_webauthn_metrics_pool();
    tree = ngx_http_webauthn_metrics_rbtree();
    queue = ngx_http_webauthn_metrics_queue();

    if (shpool == NULL) {
        return NGX_ERROR;
    }

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        addr = (u_char *) &sin->sin_addr;
        len = 4;
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        addr = (u_char *) &sin6->sin6_addr;
        len = 16;
        break;
#endif

    default:
        /* a unix socket: the front proxy's address, all clients alike */
        addr = (u_char *) "unix";
        len = 4;
        break;
    }

    hash = ngx_crc32_short(addr, len);
    now = ngx_time();
    rc = NGX_OK;

    ngx_shmtx_lock(&shpool->mutex);

    ngx_http_webauthn_limit_expire(shpool, tree, queue, now, 0);

    node = ngx_http_webauthn_limit_lookup(tree, addr, len, hash);

    if (node == NULL) {
        size = offsetof(ngx_rbtree_node_t, color)
               + offsetof(ngx_http_webauthn_limit_node_t, addr) + len;

        node = ngx_slab_alloc_locked(shpool, size);

        if (node == NULL) {
            /* the oldest address goes to make room */
            ngx_http_webauthn_limit_expire(shpool, tree, queue, now, 1);
            node = ngx_slab_alloc_locked(shpool, size);
        }

        if (node == NULL) {
            ngx_shmtx_unlock(&shpool->mutex);
            *retry = NGX_HTTP_WEBAUTHN_TELEMETRY_WINDOW;
            return NGX_BUSY;
        }

        node->key = hash;
        ln = (ngx_http_webauthn_limit_node_t *) &node->color;
        ln->len = (u_char) len;
        ln->count = 0;
        ln->window = now;
        ngx_memcpy(ln->addr, addr, len);

        ngx_rbtree_insert(tree, node);

    } else {
        ln = (ngx_http_webauthn_limit_node_t *) &node->color;
        ngx_queue_remove(&ln->queue);
    }

    ngx_queue_insert_head(queue, &ln->queue);

    if (now - ln->window >= NGX_HTTP_WEBAUTHN_TELEMETRY_WINDOW) {
        ln->window = now;
        ln->count = 0;
    }

    if (ln->count >= limit) {
        *retry = ln->window + NGX_HTTP_WEBAUTHN_TELEMETRY_WINDOW - now;
        rc = NGX_BUSY;

    } else {
        ln->count++;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


static ngx_rbtree_node_t *
ngx_http_webauthn_limit_lookup(ngx_rbtree_t *tree, u_char *addr, size_t len,
    uint32_t hash)
{
    ngx_int_t                        rc;
    ngx_rbtree_node_t               *node, *sentinel;
    ngx_http_webauthn_limit_node_t  *ln;

    node = tree->root;
    sentinel = tree->sentinel;

    while (node != sentinel) {

        if (hash < node->key) {
            node = node->left;
            continue;
        }

        if (hash > node->key) {
            node = node->right;
            continue;
        }

        ln = (ngx_http_webauthn_limit_node_t *) &node->color;

        rc = ngx_memn2cmp(addr, ln->addr, len, (size_t) ln->len);

        if (rc == 0) {
            return node;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/*
 * Addresses whose window ended are forgotten, the least recently seen
 * first, two at a time; with force, the least recently seen one in any
 * case.  The zone's mutex is held.
 */

static void
ngx_http_webauthn_limit_expire(ngx_slab_pool_t *shpool, ngx_rbtree_t *tree,
    ngx_queue_t *queue, time_t now, ngx_uint_t force)
{
    ngx_uint_t                       n;
    ngx_queue_t                     *q;
    ngx_rbtree_node_t               *node;
    ngx_http_webauthn_limit_node_t  *ln;

    for (n = 0; n < 2; n++) {

        if (ngx_queue_empty(queue)) {
            return;
        }

        q = ngx_queue_last(queue);
        ln = ngx_queue_data(q, ngx_http_webauthn_limit_node_t, queue);

        if (!force
            && now - ln->window < NGX_HTTP_WEBAUTHN_TELEMETRY_WINDOW)
        {
            return;
        }

        ngx_queue_remove(q);

        node = (ngx_rbtree_node_t *)
                   ((u_char *) ln - offsetof(ngx_rbtree_node_t, color));

        ngx_rbtree_delete(tree, node);
        ngx_slab_free_locked(shpool, node);

        if (force) {
            return;
        }
    }
}


/*
 * The report: "v", "ceremony" and "error" required; "elapsedMs",
 * "hybrid", "attempt" and "nativeJSON" optional; nothing else.
 */

static ngx_int_t
ngx_http_webauthn_telemetry_parse(ngx_str_t *body,
    ngx_http_webauthn_report_t *rep, const char **why)
{
    json_t       *root, *v;
    size_t        i, len;
    ngx_int_t     rc;
    ngx_uint_t    seen;
    const char   *key, *s;
    json_error_t  err;

    rep->ceremony = 0;
    rep->error = 0;
    rep->hybrid = 0;
    rep->elapsed = -1;

    root = json_loadb((const char *) body->data, body->len,
                      JSON_REJECT_DUPLICATES, &err);

    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        *why = "the report must be a JSON object";
        return NGX_ERROR;
    }

    rc = NGX_ERROR;
    seen = 0;

    json_object_foreach(root, key, v) {

        if (ngx_strcmp(key, "v") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) != 1) {
                *why = "\"v\" must be 1";
                goto done;
            }

            seen |= 1;

        } else if (ngx_strcmp(key, "ceremony") == 0) {
            s = json_string_value(v);

            if (s && ngx_strcmp(s, "register") == 0) {
                rep->ceremony = 0;

            } else if (s && ngx_strcmp(s, "login") == 0) {
                rep->ceremony = 1;

            } else {
                *why = "\"ceremony\" must be \"register\" or \"login\"";
                goto done;
            }

            seen |= 2;

        } else if (ngx_strcmp(key, "error") == 0) {
            s = json_string_value(v);
            len = s ? json_string_length(v) : 0;

            if (len == 0 || len > NGX_HTTP_WEBAUTHN_ERROR_NAME_MAX) {
                *why = "\"error\" must be a name of 1 to 64 characters";
                goto done;
            }

            for (i = 0; i < len; i++) {
                if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9')
                      || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
                {
                    *why = "\"error\" must be letters, digits and \"_\"";
                    goto done;
                }
            }

            rep->error = ngx_http_webauthn_metric_client_error((u_char *) s,
                                                               len);
            seen |= 4;

        } else if (ngx_strcmp(key, "elapsedMs") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0
                || json_integer_value(v) > NGX_HTTP_WEBAUTHN_ELAPSED_MAX)
            {
                *why = "\"elapsedMs\" must be an integer of 0 to 86400000";
                goto done;
            }

            rep->elapsed = (ngx_int_t) json_integer_value(v);

        } else if (ngx_strcmp(key, "hybrid") == 0) {
            if (json_is_null(v)) {
                rep->hybrid = 0;

            } else if (json_is_boolean(v)) {
                rep->hybrid = json_is_true(v) ? 2 : 1;

            } else {
                *why = "\"hybrid\" must be true, false or null";
                goto done;
            }

        } else if (ngx_strcmp(key, "attempt") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1
                || json_integer_value(v) > NGX_HTTP_WEBAUTHN_ATTEMPT_MAX)
            {
                *why = "\"attempt\" must be an integer of 1 to 10";
                goto done;
            }

        } else if (ngx_strcmp(key, "nativeJSON") == 0) {
            if (!json_is_boolean(v)) {
                *why = "\"nativeJSON\" must be true or false";
                goto done;
            }

        } else {
            *why = "the report has an unknown member";
            goto done;
        }
    }

    if (seen != 7) {
        *why = "the report needs \"v\", \"ceremony\" and \"error\"";
        goto done;
    }

    rc = NGX_OK;

done:

    json_decref(root);

    return rc;
}
