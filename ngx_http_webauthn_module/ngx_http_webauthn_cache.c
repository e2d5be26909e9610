
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
    ngx_rbtree_node_t               node;       /* node.key: its hash */
    ngx_str_t                       key;
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
    uint64_t                        seed;
    ngx_log_t                      *log;
};


static ngx_rbtree_key_t ngx_http_webauthn_cache_hash(
    ngx_http_webauthn_cache_t *cache, u_char *key, size_t len);
static void ngx_http_webauthn_cache_free_node(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn);
static ngx_http_webauthn_cache_node_t *ngx_http_webauthn_cache_find(
    ngx_http_webauthn_cache_t *cache, u_char *key, size_t len);
static ngx_rbtree_node_t *ngx_http_webauthn_cache_node(
    ngx_http_webauthn_cache_t *cache, u_char *key, size_t len);
static ngx_inline uint64_t ngx_http_webauthn_cache_mix(uint64_t h,
    uint64_t w);
static ngx_uint_t ngx_http_webauthn_cache_equal(u_char *a, u_char *b,
    size_t len);


ngx_http_webauthn_cache_t *
ngx_http_webauthn_cache_create(ngx_uint_t max, ngx_log_t *log)
{
    ngx_http_webauthn_cache_t  *cache;

    cache = ngx_alloc(sizeof(ngx_http_webauthn_cache_t), log);
    if (cache == NULL) {
        return NULL;
    }

    if (ngx_http_webauthn_random((u_char *) &cache->seed,
                                 sizeof(cache->seed))
        != NGX_OK)
    {
        ngx_free(cache);
        return NULL;
    }

    ngx_rbtree_init(&cache->rbtree, &cache->sentinel,
                    ngx_rbtree_insert_value);
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

    cn->key.data = p;
    cn->key.len = len;
    p = ngx_cpymem(p, key, len);

    cn->value.data = p;
    cn->value.len = vlen;
    cn->nil = (value == NULL);

    if (vlen) {
        ngx_memcpy(p, value->data, vlen);
    }

    cn->node.key = ngx_http_webauthn_cache_hash(cache, key, len);

    ngx_rbtree_insert(&cache->rbtree, &cn->node);
    ngx_queue_insert_head(&cache->lru, &cn->queue);

    cache->n++;
}


/* also whatever has the key's hash: a hash stands for one key only */

void
ngx_http_webauthn_cache_delete(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len)
{
    ngx_rbtree_node_t  *node;

    node = ngx_http_webauthn_cache_node(cache, key, len);

    if (node != NULL) {
        ngx_http_webauthn_cache_free_node(cache,
            (ngx_http_webauthn_cache_node_t *) node);
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


/*
 * The entry of the key: found by its hash alone, then the key compared in
 * constant time, for a key may be a secret (a session cookie) that a
 * client sends to be compared.
 */

static ngx_http_webauthn_cache_node_t *
ngx_http_webauthn_cache_find(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len)
{
    ngx_rbtree_node_t               *node;
    ngx_http_webauthn_cache_node_t  *cn;

    node = ngx_http_webauthn_cache_node(cache, key, len);

    if (node == NULL) {
        return NULL;
    }

    cn = (ngx_http_webauthn_cache_node_t *) node;

    if (cn->key.len != len
        || !ngx_http_webauthn_cache_equal(cn->key.data, key, len))
    {
        return NULL;
    }

    return cn;
}


static ngx_rbtree_node_t *
ngx_http_webauthn_cache_node(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len)
{
    ngx_rbtree_key_t    hash;
    ngx_rbtree_node_t  *node, *sentinel;

    hash = ngx_http_webauthn_cache_hash(cache, key, len);

    node = cache->rbtree.root;
    sentinel = cache->rbtree.sentinel;

    while (node != sentinel) {
        if (hash == node->key) {
            return node;
        }

        node = (hash < node->key) ? node->left : node->right;
    }

    return NULL;
}


/*
 * The tree's order: a 64-bit multiply-and-rotate hash over eight bytes at
 * a time (a cookie is some 200 bytes, hashed on every gated request),
 * from a random start, so that no client can aim at a hash it cannot
 * see; two keys of one hash are all but impossible (the newer replaces
 * the older: a miss, never a wrong hit).
 */

static ngx_rbtree_key_t
ngx_http_webauthn_cache_hash(ngx_http_webauthn_cache_t *cache, u_char *key,
    size_t len)
{
    uint64_t  h, w;

    h = cache->seed ^ (len * 0x9e3779b97f4a7c15ULL);

    while (len >= 8) {
        ngx_memcpy(&w, key, 8);
        h = ngx_http_webauthn_cache_mix(h, w);
        key += 8;
        len -= 8;
    }

    if (len) {
        w = 0;
        ngx_memcpy(&w, key, len);
        h = ngx_http_webauthn_cache_mix(h, w);
    }

    return (ngx_rbtree_key_t) (h ^ (h >> 29));
}


static ngx_inline uint64_t
ngx_http_webauthn_cache_mix(uint64_t h, uint64_t w)
{
    h ^= w * 0xff51afd7ed558ccdULL;
    h = (h << 31) | (h >> 33);

    return h * 0xc4ceb9fe1a85ec53ULL;
}


/*
 * Keys of equal length, compared eight bytes at a time with no early exit
 * (volatile: nor may the compiler add one); CRYPTO_memcmp() goes a byte
 * at a time.
 */

static ngx_uint_t
ngx_http_webauthn_cache_equal(u_char *a, u_char *b, size_t len)
{
    uint64_t           x, y;
    volatile uint64_t  d;

    d = 0;

    while (len >= 8) {
        ngx_memcpy(&x, a, 8);
        ngx_memcpy(&y, b, 8);
        d |= x ^ y;
        a += 8;
        b += 8;
        len -= 8;
    }

    while (len--) {
        d |= *a++ ^ *b++;
    }

    return d == 0;
}


static void
ngx_http_webauthn_cache_free_node(ngx_http_webauthn_cache_t *cache,
    ngx_http_webauthn_cache_node_t *cn)
{
    ngx_rbtree_delete(&cache->rbtree, &cn->node);
    ngx_queue_remove(&cn->queue);
    ngx_free(cn);

    cache->n--;
}
