
/*
 * The worker's session cache: store keys and their values (a key that does
 * not exist is remembered too), bounded, least recently used first out.
 *
 * This file only keeps the table.  When an entry may be trusted is the
 * store's business (ngx_http_webauthn_store.c): Redis tracks every key the
 * worker reads into this table and says on a second connection when one
 * changes, and the store deletes the entry then, or empties the table when
 * it cannot be sure of hearing about changes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_webauthn_module.h"


/* a value longer than this is not kept: sessions and epochs are short */
#define NGX_HTTP_WEBAUTHN_CACHE_VALUE_MAX  512


typedef struct {
    ngx_str_node_t                  sn;         /* sn.str: the key */
    ngx_queue_t                     queue;      /* most recent first */
    ngx_str_t                       value;
    unsigned                        nil:1;      /* no such key */
} ngx_http_webauthn_cache_node_t;


struct ngx_http_webauthn_cache_s {
    ngx_rbtree_t                    rbtree;
    ngx_rbtree_node_t               sentinel;
    ngx_queue_t                     lru;
    ngx_uint_t                      n;
    ngx_uint_t                      max;
    ngx_log_t                      *log;
};


static uint32_t ngx_http_webauthn_cache_hash(u_char *key, size_t len);
static void ngx_http_webauthn_cache_free_node(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn);
static ngx_http_webauthn_cache_node_t *ngx_http_webauthn_cache_find(
    ngx_http_webauthn_cache_t *cache, u_char *key, size_t len);


ngx_http_webauthn_cache_t *
ngx_http_webauthn_cache_create(ngx_uint_t max, ngx_log_t *log)
{
    ngx_http_webauthn_cache_t  *cache;

    cache = ngx_alloc(sizeof(ngx_http_webauthn_cache_t), log);
    if (cache == NULL) {
        return NULL;
    }

    ngx_rbtree_init(&cache->rbtree, &cache->sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&cache->lru);

    cache->n = 0;
    cache->max = max;
    cache->log = log;

    return cache;
}


void
ngx_http_webauthn_cache_destroy(ngx_http_webauthn_cache_t *cache)
{
    if (cache == NULL) {
        return;
    }

    ngx_http_webauthn_cache_flush(cache);
    ngx_free(cache);
}


/*
 * NGX_OK with the value (value->data NULL when the key does not exist in
 * the store), or NGX_DECLINED when the key is not in the cache.
 */

ngx_int_t
ngx_http_webauthn_cache_get(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len, ngx_str_t *value)
{
    ngx_http_webauthn_cache_node_t  *cn;

    cn = ngx_http_webauthn_cache_find(cache, key, len);

    if (cn == NULL) {
        return NGX_DECLINED;
    }

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&cache->lru, &cn->queue);

    if (cn->nil) {
        ngx_str_null(value);

    } else {
        *value = cn->value;
    }

    return NGX_OK;
}


/*
 * Keeps a key's value (value NULL: the key does not exist), replacing what
 * was kept of it.  Running out of memory only means not caching.
 */

void
ngx_http_webauthn_cache_put(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len, ngx_str_t *value)
{
    u_char                          *p;
    size_t                           vlen;
    ngx_queue_t                     *q;
    ngx_http_webauthn_cache_node_t  *cn;

    vlen = value ? value->len : 0;

    if (cache->max == 0 || vlen > NGX_HTTP_WEBAUTHN_CACHE_VALUE_MAX) {
        return;
    }

    ngx_http_webauthn_cache_delete(cache, key, len);

    if (cache->n >= cache->max) {
        q = ngx_queue_last(&cache->lru);
        cn = ngx_queue_data(q, ngx_http_webauthn_cache_node_t, queue);
        ngx_http_webauthn_cache_free_node(cache, cn);
    }

    cn = ngx_alloc(sizeof(ngx_http_webauthn_cache_node_t) + len + vlen,
                   cache->log);
    if (cn == NULL) {
        return;
    }

    p = (u_char *) cn + sizeof(ngx_http_webauthn_cache_node_t);

    cn->sn.str.data = p;
    cn->sn.str.len = len;
    p = ngx_cpymem(p, key, len);

    cn->value.data = p;
    cn->value.len = vlen;
    cn->nil = (value == NULL);

    if (vlen) {
        ngx_memcpy(p, value->data, vlen);
    }

    cn->sn.node.key = ngx_http_webauthn_cache_hash(key, len);

    ngx_rbtree_insert(&cache->rbtree, &cn->sn.node);
    ngx_queue_insert_head(&cache->lru, &cn->queue);

    cache->n++;
}


void
ngx_http_webauthn_cache_delete(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len)
{
    ngx_http_webauthn_cache_node_t  *cn;

    cn = ngx_http_webauthn_cache_find(cache, key, len);

    if (cn != NULL) {
        ngx_http_webauthn_cache_free_node(cache, cn);
    }
}


void
ngx_http_webauthn_cache_flush(ngx_http_webauthn_cache_t *cache)
{
    ngx_queue_t                     *q;
    ngx_http_webauthn_cache_node_t  *cn;

    while (!ngx_queue_empty(&cache->lru)) {
        q = ngx_queue_head(&cache->lru);
        cn = ngx_queue_data(q, ngx_http_webauthn_cache_node_t, queue);
        ngx_http_webauthn_cache_free_node(cache, cn);
    }
}


ngx_uint_t
ngx_http_webauthn_cache_size(ngx_http_webauthn_cache_t *cache)
{
    return cache->n;
}


static ngx_http_webauthn_cache_node_t *
ngx_http_webauthn_cache_find(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len)
{
    ngx_str_t        name;
    ngx_str_node_t  *sn;

    name.data = key;
    name.len = len;

    sn = ngx_str_rbtree_lookup(&cache->rbtree, &name,
                               ngx_http_webauthn_cache_hash(key, len));

    if (sn == NULL) {
        return NULL;
    }

    return (ngx_http_webauthn_cache_node_t *) sn;
}


/*
 * The tree's order: a cheap hash is enough, equal hashes are told apart by
 * the keys themselves, and no client chooses a key (each names a session
 * whose cookie was verified).
 */

static uint32_t
ngx_http_webauthn_cache_hash(u_char *key, size_t len)
{
    return (uint32_t) ngx_hash_key(key, len);
}


static void
ngx_http_webauthn_cache_free_node(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn)
{
    ngx_rbtree_delete(&cache->rbtree, &cn->sn.node);
    ngx_queue_remove(&cn->queue);
    ngx_free(cn);

    cache->n--;
}
