/*
 * softauth: a software WebAuthn authenticator and client for tests.
 * See softauth.h for the contract.
 */

#include "softauth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>


static char  sa_errbuf[256];

static int
sa_fail(const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(sa_errbuf, sizeof(sa_errbuf), fmt, ap);
    va_end(ap);
    ERR_clear_error();
    return -1;
}


const char *
sa_last_error(void)
{
    return sa_errbuf;
}


/* ---- byte buffers ------------------------------------------------------- */

void
sa_buf_free(sa_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}


int
sa_buf_reserve(sa_buf_t *b, size_t extra)
{
    size_t   need, cap;
    uint8_t *p;

    need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (p == NULL) {
        return sa_fail("out of memory");
    }
    b->data = p;
    b->cap = cap;
    return 0;
}


int
sa_buf_append(sa_buf_t *b, const void *p, size_t n)
{
    if (sa_buf_reserve(b, n) != 0) {
        return -1;
    }
    if (n) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}


int
sa_buf_append_byte(sa_buf_t *b, uint8_t c)
{
    return sa_buf_append(b, &c, 1);
}


int
sa_buf_append_str(sa_buf_t *b, const char *s)
{
    return sa_buf_append(b, s, strlen(s));
}


int
sa_buf_set(sa_buf_t *b, const void *p, size_t n)
{
    b->len = 0;
    return sa_buf_append(b, p, n);
}


int
sa_buf_splice(sa_buf_t *b, size_t off, size_t n, const void *p, size_t len)
{
    if (off > b->len || n > b->len - off) {
        return sa_fail("splice out of range");
    }
    if (len > n && sa_buf_reserve(b, len - n) != 0) {
        return -1;
    }
    if (b->data == NULL && sa_buf_reserve(b, 0) != 0) {
        return -1;
    }
    memmove(b->data + off + len, b->data + off + n, b->len - off - n);
    if (len) {
        memcpy(b->data + off, p, len);
    }
    b->len = b->len - n + len;
    b->data[b->len] = '\0';
    return 0;
}


int
sa_buf_replace(sa_buf_t *b, const char *needle, const char *with)
{
    size_t  nl, i;

    nl = strlen(needle);
    if (nl == 0 || nl > b->len) {
        return sa_fail("replace: \"%s\" not found", needle);
    }
    for (i = 0; i + nl <= b->len; i++) {
        if (memcmp(b->data + i, needle, nl) == 0) {
            return sa_buf_splice(b, i, nl, with, strlen(with));
        }
    }
    return sa_fail("replace: \"%s\" not found", needle);
}


void
sa_buf_truncate(sa_buf_t *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}


/* ---- encodings ---------------------------------------------------------- */

static const char  sa_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


char *
sa_b64url(const uint8_t *p, size_t n)
{
    char    *out, *o;
    size_t   i;
    uint32_t v;

    out = malloc((n + 2) / 3 * 4 + 1);
    if (out == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    o = out;
    for (i = 0; i + 3 <= n; i += 3) {
        v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8 | p[i + 2];
        *o++ = sa_b64_alphabet[v >> 18 & 63];
        *o++ = sa_b64_alphabet[v >> 12 & 63];
        *o++ = sa_b64_alphabet[v >> 6 & 63];
        *o++ = sa_b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        v = (uint32_t) p[i] << 16;
        *o++ = sa_b64_alphabet[v >> 18 & 63];
        *o++ = sa_b64_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        v = (uint32_t) p[i] << 16 | (uint32_t) p[i + 1] << 8;
        *o++ = sa_b64_alphabet[v >> 18 & 63];
        *o++ = sa_b64_alphabet[v >> 12 & 63];
        *o++ = sa_b64_alphabet[v >> 6 & 63];
    }
    *o = '\0';
    return out;
}


static int
sa_b64_value(char c)
{
    const char  *p;

    if (c == '\0') {
        return -1;
    }
    p = strchr(sa_b64_alphabet, c);
    return p ? (int) (p - sa_b64_alphabet) : -1;
}


int
sa_b64url_decode(const char *s, sa_buf_t *out)
{
    size_t    n, i;
    uint32_t  v;
    int       d, k;

    n = strlen(s);
    out->len = 0;
    if (n % 4 == 1) {
        return sa_fail("base64url: bad length");
    }
    if (sa_buf_reserve(out, n * 3 / 4 + 3) != 0) {
        return -1;
    }
    v = 0;
    k = 0;
    for (i = 0; i < n; i++) {
        d = sa_b64_value(s[i]);
        if (d < 0) {
            return sa_fail("base64url: bad character");
        }
        v = v << 6 | (uint32_t) d;
        if (++k == 4) {
            out->data[out->len++] = (uint8_t) (v >> 16);
            out->data[out->len++] = (uint8_t) (v >> 8);
            out->data[out->len++] = (uint8_t) v;
            v = 0;
            k = 0;
        }
    }
    if (k == 2) {
        out->data[out->len++] = (uint8_t) (v >> 4);
    } else if (k == 3) {
        out->data[out->len++] = (uint8_t) (v >> 10);
        out->data[out->len++] = (uint8_t) (v >> 2);
    }
    out->data[out->len] = '\0';
    return 0;
}


char *
sa_hex(const uint8_t *p, size_t n)
{
    static const char  digits[] = "0123456789abcdef";
    char              *out;
    size_t             i;

    out = malloc(n * 2 + 1);
    if (out == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}


static int
sa_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}


int
sa_unhex(const char *s, sa_buf_t *out)
{
    size_t  n, i;
    int     hi, lo;

    n = strlen(s);
    out->len = 0;
    if (n % 2) {
        return sa_fail("hex: odd length");
    }
    if (sa_buf_reserve(out, n / 2) != 0) {
        return -1;
    }
    for (i = 0; i < n; i += 2) {
        hi = sa_hexval(s[i]);
        lo = sa_hexval(s[i + 1]);
        if (hi < 0 || lo < 0) {
            return sa_fail("hex: bad digit");
        }
        out->data[out->len++] = (uint8_t) (hi << 4 | lo);
    }
    out->data[out->len] = '\0';
    return 0;
}


void
sa_sha256(const void *p, size_t n, uint8_t out[32])
{
    SHA256(p, n, out);
}


int
sa_random(uint8_t *p, size_t n)
{
    if (n && RAND_bytes(p, (int) n) != 1) {
        return sa_fail("RAND_bytes failed");
    }
    return 0;
}


/* ---- CBOR helpers ------------------------------------------------------- */

cbor_item_t *
sa_cbor_int(int64_t v)
{
    uint64_t  u;
    int       neg;

    neg = v < 0;
    u = neg ? (uint64_t) (-(v + 1)) : (uint64_t) v;

    if (u <= 0xff) {
        return neg ? cbor_build_negint8((uint8_t) u)
                   : cbor_build_uint8((uint8_t) u);
    }
    if (u <= 0xffff) {
        return neg ? cbor_build_negint16((uint16_t) u)
                   : cbor_build_uint16((uint16_t) u);
    }
    if (u <= 0xffffffffu) {
        return neg ? cbor_build_negint32((uint32_t) u)
                   : cbor_build_uint32((uint32_t) u);
    }
    return neg ? cbor_build_negint64(u) : cbor_build_uint64(u);
}


int
sa_cbor_encode(const cbor_item_t *item, sa_buf_t *out)
{
    unsigned char  *buf = NULL;
    size_t          cap = 0, n;
    int             rc;

    n = cbor_serialize_alloc(item, &buf, &cap);
    if (n == 0) {
        free(buf);
        return sa_fail("cbor_serialize_alloc failed");
    }
    rc = sa_buf_set(out, buf, n);
    free(buf);
    return rc;
}


int
sa_cbor_head(sa_buf_t *b, int major, uint64_t v, int width)
{
    uint8_t  h[9];
    size_t   n, i;
    uint8_t  mt;

    mt = (uint8_t) ((major & 7) << 5);

    if (width == 0) {
        if (v < 24) {
            width = -1;
        } else if (v <= 0xff) {
            width = 1;
        } else if (v <= 0xffff) {
            width = 2;
        } else if (v <= 0xffffffffu) {
            width = 4;
        } else {
            width = 8;
        }
    }

    switch (width) {
    case -1:
        h[0] = mt | (uint8_t) v;
        n = 1;
        break;
    case 1:
        h[0] = mt | 24;
        n = 2;
        break;
    case 2:
        h[0] = mt | 25;
        n = 3;
        break;
    case 4:
        h[0] = mt | 26;
        n = 5;
        break;
    case 8:
        h[0] = mt | 27;
        n = 9;
        break;
    default:
        return sa_fail("cbor head: bad width %d", width);
    }

    for (i = 1; i < n; i++) {
        h[i] = (uint8_t) (v >> (8 * (n - 1 - i)));
    }
    return sa_buf_append(b, h, n);
}


static int
sa_cbor_key_is_int(const cbor_item_t *k, int64_t want)
{
    uint64_t  u;

    if (!cbor_is_int(k)) {
        return 0;
    }
    u = cbor_get_int(k);
    if (cbor_isa_uint(k)) {
        return want >= 0 && u == (uint64_t) want;
    }
    return want < 0 && u == (uint64_t) (-(want + 1));
}


static int
sa_cbor_key_is_str(const cbor_item_t *k, const char *s)
{
    size_t  n;

    if (!cbor_isa_string(k) || !cbor_string_is_definite(k)) {
        return 0;
    }
    n = strlen(s);
    return cbor_string_length(k) == n
           && memcmp(cbor_string_handle(k), s, n) == 0;
}


/* A definite map with room for extra more pairs holding map's pairs,
 * except those for which skip() says so (and, when replace is set, the
 * first such pair's value replaced instead of skipped). */
typedef int (*sa_key_pred_pt)(const cbor_item_t *k, const void *arg);

static int
sa_pred_int(const cbor_item_t *k, const void *arg)
{
    return sa_cbor_key_is_int(k, *(const int64_t *) arg);
}


static int
sa_pred_str(const cbor_item_t *k, const void *arg)
{
    return sa_cbor_key_is_str(k, arg);
}


static cbor_item_t *
sa_cbor_map_rebuild(cbor_item_t *map, sa_key_pred_pt pred, const void *arg,
    cbor_item_t *new_key, cbor_item_t *new_value, int replace)
{
    struct cbor_pair  *pairs;
    cbor_item_t       *m;
    size_t             n, i;
    int                done = 0;

    if (map == NULL || !cbor_isa_map(map)) {
        sa_fail("not a map");
        goto fail;
    }
    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    m = cbor_new_definite_map(n + 1);
    if (m == NULL) {
        sa_fail("out of memory");
        goto fail;
    }
    for (i = 0; i < n; i++) {
        struct cbor_pair  p = pairs[i];

        if (pred && pred(p.key, arg)) {
            if (!replace || done) {
                continue;
            }
            p.value = new_value;
            done = 1;
        }
        if (!cbor_map_add(m, p)) {
            cbor_decref(&m);
            sa_fail("cbor_map_add failed");
            goto fail;
        }
    }
    if (new_key && !done) {
        if (!cbor_map_add(m, (struct cbor_pair) { .key = new_key,
                                                  .value = new_value })) {
            cbor_decref(&m);
            sa_fail("cbor_map_add failed");
            goto fail;
        }
    }
    if (new_key) {
        cbor_decref(&new_key);
    }
    if (new_value) {
        cbor_decref(&new_value);
    }
    cbor_decref(&map);
    return m;

fail:
    if (new_key) {
        cbor_decref(&new_key);
    }
    if (new_value) {
        cbor_decref(&new_value);
    }
    if (map) {
        cbor_decref(&map);
    }
    return NULL;
}


cbor_item_t *
sa_cbor_map_add(cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
    return sa_cbor_map_rebuild(map, NULL, NULL, key, value, 0);
}


cbor_item_t *
sa_cbor_map_set_int(cbor_item_t *map, int64_t k, cbor_item_t *value)
{
    return sa_cbor_map_rebuild(map, sa_pred_int, &k, sa_cbor_int(k), value,
                               1);
}


cbor_item_t *
sa_cbor_map_set_str(cbor_item_t *map, const char *k, cbor_item_t *value)
{
    return sa_cbor_map_rebuild(map, sa_pred_str, k, cbor_build_string(k),
                               value, 1);
}


cbor_item_t *
sa_cbor_map_del_int(cbor_item_t *map, int64_t k)
{
    return sa_cbor_map_rebuild(map, sa_pred_int, &k, NULL, NULL, 0);
}


cbor_item_t *
sa_cbor_map_del_str(cbor_item_t *map, const char *k)
{
    return sa_cbor_map_rebuild(map, sa_pred_str, k, NULL, NULL, 0);
}


cbor_item_t *
sa_cbor_map_get_int(const cbor_item_t *map, int64_t k)
{
    struct cbor_pair  *pairs;
    size_t             i, n;

    if (map == NULL || !cbor_isa_map(map)) {
        return NULL;
    }
    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    for (i = 0; i < n; i++) {
        if (sa_cbor_key_is_int(pairs[i].key, k)) {
            return pairs[i].value;
        }
    }
    return NULL;
}


cbor_item_t *
sa_cbor_map_get_str(const cbor_item_t *map, const char *k)
{
    struct cbor_pair  *pairs;
    size_t             i, n;

    if (map == NULL || !cbor_isa_map(map)) {
        return NULL;
    }
    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    for (i = 0; i < n; i++) {
        if (sa_cbor_key_is_str(pairs[i].key, k)) {
            return pairs[i].value;
        }
    }
    return NULL;
}


cbor_item_t *
sa_cbor_map_reversed(const cbor_item_t *map)
{
    struct cbor_pair  *pairs;
    cbor_item_t       *m;
    size_t             i, n;

    if (map == NULL || !cbor_isa_map(map)) {
        sa_fail("not a map");
        return NULL;
    }
    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    m = cbor_new_definite_map(n);
    if (m == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    for (i = n; i > 0; i--) {
        if (!cbor_map_add(m, pairs[i - 1])) {
            cbor_decref(&m);
            sa_fail("cbor_map_add failed");
            return NULL;
        }
    }
    return m;
}


cbor_item_t *
sa_cbor_map_indefinite(const cbor_item_t *map)
{
    struct cbor_pair  *pairs;
    cbor_item_t       *m;
    size_t             i, n;

    if (map == NULL || !cbor_isa_map(map)) {
        sa_fail("not a map");
        return NULL;
    }
    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    m = cbor_new_indefinite_map();
    if (m == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (!cbor_map_add(m, pairs[i])) {
            cbor_decref(&m);
            sa_fail("cbor_map_add failed");
            return NULL;
        }
    }
    return m;
}


/* Add an (int key, item) pair to a definite map being built; consumes v. */
static int
sa_map_put_int(cbor_item_t *m, int64_t k, cbor_item_t *v)
{
    cbor_item_t  *key;
    bool          ok;

    key = sa_cbor_int(k);
    if (key == NULL || v == NULL) {
        if (key) {
            cbor_decref(&key);
        }
        if (v) {
            cbor_decref(&v);
        }
        return sa_fail("out of memory");
    }
    ok = cbor_map_add(m, (struct cbor_pair) { .key = key, .value = v });
    cbor_decref(&key);
    cbor_decref(&v);
    return ok ? 0 : sa_fail("cbor_map_add failed");
}


static int
sa_map_put_str(cbor_item_t *m, const char *k, cbor_item_t *v)
{
    cbor_item_t  *key;
    bool          ok;

    key = cbor_build_string(k);
    if (key == NULL || v == NULL) {
        if (key) {
            cbor_decref(&key);
        }
        if (v) {
            cbor_decref(&v);
        }
        return sa_fail("out of memory");
    }
    ok = cbor_map_add(m, (struct cbor_pair) { .key = key, .value = v });
    cbor_decref(&key);
    cbor_decref(&v);
    return ok ? 0 : sa_fail("cbor_map_add failed");
}


/* ---- keys --------------------------------------------------------------- */

static const char *
sa_curve_group(int crv)
{
    switch (crv) {
    case SA_CRV_P256:
        return "P-256";
    case SA_CRV_P384:
        return "P-384";
    case SA_CRV_P521:
        return "P-521";
    case 8:
        return "secp256k1";
    default:
        return NULL;
    }
}


static int
sa_alg_default_crv(int32_t alg, int *kty)
{
    switch (alg) {
    case -7:
        *kty = SA_KTY_EC2;
        return SA_CRV_P256;
    case -35:
        *kty = SA_KTY_EC2;
        return SA_CRV_P384;
    case -36:
        *kty = SA_KTY_EC2;
        return SA_CRV_P521;
    case -47:
        *kty = SA_KTY_EC2;
        return 8;
    case -8:
    case -19:
        *kty = SA_KTY_OKP;
        return SA_CRV_ED25519;
    case -53:
        *kty = SA_KTY_OKP;
        return SA_CRV_ED448;
    case -257:
    case -258:
    case -259:
    case -37:
    case -38:
    case -39:
    case -65535:
        *kty = SA_KTY_RSA;
        return 0;
    default:
        *kty = SA_KTY_EC2;
        return SA_CRV_P256;
    }
}


static int
sa_key_describe(sa_key_t *k)
{
    char    group[64];
    size_t  glen;

    switch (EVP_PKEY_get_base_id(k->pkey)) {
    case EVP_PKEY_EC:
        k->kty = SA_KTY_EC2;
        if (!EVP_PKEY_get_utf8_string_param(k->pkey,
                OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen)) {
            return sa_fail("EC key without a group");
        }
        if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
            k->crv = SA_CRV_P256;
        } else if (strcmp(group, "secp384r1") == 0
                   || strcmp(group, "P-384") == 0) {
            k->crv = SA_CRV_P384;
        } else if (strcmp(group, "secp521r1") == 0
                   || strcmp(group, "P-521") == 0) {
            k->crv = SA_CRV_P521;
        } else if (strcmp(group, "secp256k1") == 0) {
            k->crv = 8;
        } else {
            return sa_fail("unsupported EC group %s", group);
        }
        break;
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        k->kty = SA_KTY_RSA;
        k->crv = 0;
        k->bits = EVP_PKEY_get_bits(k->pkey);
        break;
    case EVP_PKEY_ED25519:
        k->kty = SA_KTY_OKP;
        k->crv = SA_CRV_ED25519;
        break;
    case EVP_PKEY_ED448:
        k->kty = SA_KTY_OKP;
        k->crv = SA_CRV_ED448;
        break;
    default:
        return sa_fail("unsupported key type");
    }
    return 0;
}


sa_key_t *
sa_key_new(int32_t alg, int param)
{
    sa_key_t  *k;
    int        kty, crv;

    crv = sa_alg_default_crv(alg, &kty);
    if (param) {
        if (kty == SA_KTY_RSA) {
            if (param < 512) {
                sa_fail("RSA size %d too small to generate", param);
                return NULL;
            }
        } else if (param == SA_CRV_ED25519 || param == SA_CRV_ED448) {
            kty = SA_KTY_OKP;
            crv = param;
        } else {
            kty = SA_KTY_EC2;
            crv = param;
        }
    }

    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    k->alg = alg;

    if (kty == SA_KTY_RSA) {
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
                                    (size_t) (param ? param : 2048));
    } else if (kty == SA_KTY_OKP) {
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL,
                                    crv == SA_CRV_ED448 ? "ED448"
                                                        : "ED25519");
    } else {
        if (sa_curve_group(crv) == NULL) {
            free(k);
            sa_fail("unknown curve %d", crv);
            return NULL;
        }
        k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", sa_curve_group(crv));
    }
    if (k->pkey == NULL || sa_key_describe(k) != 0) {
        sa_key_free(k);
        sa_fail("key generation failed for alg %d", (int) alg);
        return NULL;
    }
    return k;
}


sa_key_t *
sa_key_from_pkey(EVP_PKEY *pkey, int32_t alg)
{
    sa_key_t  *k;

    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    k->alg = alg;
    if (!EVP_PKEY_up_ref(pkey)) {
        free(k);
        sa_fail("EVP_PKEY_up_ref failed");
        return NULL;
    }
    k->pkey = pkey;
    if (sa_key_describe(k) != 0) {
        sa_key_free(k);
        return NULL;
    }
    return k;
}


sa_key_t *
sa_key_from_pem(const char *pem, int32_t alg)
{
    BIO       *bio;
    sa_key_t  *k;

    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    k->alg = alg;
    bio = BIO_new_mem_buf(pem, -1);
    if (bio) {
        k->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }
    if (k->pkey == NULL || sa_key_describe(k) != 0) {
        sa_key_free(k);
        sa_fail("cannot load the private key");
        return NULL;
    }
    return k;
}


char *
sa_key_to_pem(const sa_key_t *k)
{
    BIO     *bio;
    char    *data, *out = NULL;
    long     n;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL)) {
        n = BIO_get_mem_data(bio, &data);
        out = malloc((size_t) n + 1);
        if (out) {
            memcpy(out, data, (size_t) n);
            out[n] = '\0';
        }
    }
    BIO_free(bio);
    if (out == NULL) {
        sa_fail("cannot write the private key");
    }
    return out;
}


void
sa_key_free(sa_key_t *k)
{
    if (k) {
        EVP_PKEY_free(k->pkey);
        free(k);
    }
}


static int
sa_bn_param(const sa_key_t *k, const char *name, size_t pad, sa_buf_t *out)
{
    BIGNUM  *bn = NULL;
    size_t   n;
    int      rc;

    if (!EVP_PKEY_get_bn_param(k->pkey, name, &bn)) {
        return sa_fail("key parameter %s missing", name);
    }
    n = pad ? pad : (size_t) BN_num_bytes(bn);
    out->len = 0;
    rc = sa_buf_reserve(out, n);
    if (rc == 0) {
        if (BN_bn2binpad(bn, out->data, (int) n) < 0) {
            rc = sa_fail("BN_bn2binpad failed");
        } else {
            out->len = n;
        }
    }
    BN_free(bn);
    return rc;
}


int
sa_key_ec_xy(const sa_key_t *k, sa_buf_t *x, sa_buf_t *y)
{
    size_t  fs;

    if (k->kty == SA_KTY_OKP) {
        size_t  n = 0;

        if (!EVP_PKEY_get_raw_public_key(k->pkey, NULL, &n)
            || sa_buf_reserve(x, n) != 0
            || !EVP_PKEY_get_raw_public_key(k->pkey, x->data, &n))
        {
            return sa_fail("raw public key");
        }
        x->len = n;
        return 0;
    }
    if (k->kty != SA_KTY_EC2) {
        return sa_fail("not an EC key");
    }
    fs = ((size_t) EVP_PKEY_get_bits(k->pkey) + 7) / 8;
    if (sa_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, fs, x) != 0
        || sa_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, fs, y) != 0)
    {
        return -1;
    }
    return 0;
}


cbor_item_t *
sa_key_cose_item(const sa_key_t *k)
{
    cbor_item_t  *m;
    sa_buf_t      a = { 0 }, b = { 0 };
    int           rc;

    m = cbor_new_definite_map(k->kty == SA_KTY_EC2 ? 5 : 4);
    if (m == NULL) {
        sa_fail("out of memory");
        return NULL;
    }

    switch (k->kty) {
    case SA_KTY_EC2:
        rc = sa_key_ec_xy(k, &a, &b);
        if (rc == 0) {
            rc = sa_map_put_int(m, 1, sa_cbor_int(SA_KTY_EC2))
                 || sa_map_put_int(m, 3, sa_cbor_int(k->alg))
                 || sa_map_put_int(m, -1, sa_cbor_int(k->crv))
                 || sa_map_put_int(m, -2, cbor_build_bytestring(a.data,
                                                                a.len))
                 || sa_map_put_int(m, -3, cbor_build_bytestring(b.data,
                                                                b.len));
        }
        break;
    case SA_KTY_OKP:
        rc = sa_key_ec_xy(k, &a, NULL);
        if (rc == 0) {
            rc = sa_map_put_int(m, 1, sa_cbor_int(SA_KTY_OKP))
                 || sa_map_put_int(m, 3, sa_cbor_int(k->alg))
                 || sa_map_put_int(m, -1, sa_cbor_int(k->crv))
                 || sa_map_put_int(m, -2, cbor_build_bytestring(a.data,
                                                                a.len));
        }
        break;
    default:
        rc = sa_bn_param(k, OSSL_PKEY_PARAM_RSA_N, 0, &a);
        if (rc == 0) {
            rc = sa_bn_param(k, OSSL_PKEY_PARAM_RSA_E, 0, &b);
        }
        if (rc == 0) {
            rc = sa_map_put_int(m, 1, sa_cbor_int(SA_KTY_RSA))
                 || sa_map_put_int(m, 3, sa_cbor_int(k->alg))
                 || sa_map_put_int(m, -1, cbor_build_bytestring(a.data,
                                                                a.len))
                 || sa_map_put_int(m, -2, cbor_build_bytestring(b.data,
                                                                b.len));
        }
        break;
    }

    sa_buf_free(&a);
    sa_buf_free(&b);
    if (rc != 0) {
        cbor_decref(&m);
        return NULL;
    }
    return m;
}


int
sa_key_cose(const sa_key_t *k, sa_buf_t *out)
{
    cbor_item_t  *m;
    int           rc;

    m = sa_key_cose_item(k);
    if (m == NULL) {
        return -1;
    }
    rc = sa_cbor_encode(m, out);
    cbor_decref(&m);
    return rc;
}


int
sa_key_spki(const sa_key_t *k, sa_buf_t *out)
{
    int       n;
    uint8_t  *p;

    n = i2d_PUBKEY(k->pkey, NULL);
    if (n <= 0) {
        return sa_fail("i2d_PUBKEY failed");
    }
    out->len = 0;
    if (sa_buf_reserve(out, (size_t) n) != 0) {
        return -1;
    }
    p = out->data;
    if (i2d_PUBKEY(k->pkey, &p) != n) {
        return sa_fail("i2d_PUBKEY failed");
    }
    out->len = (size_t) n;
    return 0;
}


static const EVP_MD *
sa_alg_md(int32_t alg)
{
    switch (alg) {
    case -35:
    case -258:
    case -38:
        return EVP_sha384();
    case -36:
    case -259:
    case -39:
        return EVP_sha512();
    case -65535:
        return EVP_sha1();
    default:
        return EVP_sha256();
    }
}


int
sa_sign(const sa_key_t *k, int32_t alg, const uint8_t *data, size_t len,
    sa_buf_t *sig)
{
    EVP_MD_CTX    *ctx;
    EVP_PKEY_CTX  *pctx = NULL;
    const EVP_MD  *md;
    size_t         n = 0;
    int            ok;

    if (alg == 0) {
        alg = k->alg;
    }
    md = k->kty == SA_KTY_OKP ? NULL : sa_alg_md(alg);

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return sa_fail("out of memory");
    }
    ok = EVP_DigestSignInit(ctx, &pctx, md, NULL, k->pkey) == 1;
    if (ok && k->kty == SA_KTY_RSA && (alg == -37 || alg == -38
                                       || alg == -39))
    {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                 RSA_PSS_SALTLEN_DIGEST) == 1
             && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
    }
    ok = ok && EVP_DigestSign(ctx, NULL, &n, data, len) == 1;
    sig->len = 0;
    ok = ok && sa_buf_reserve(sig, n) == 0;
    ok = ok && EVP_DigestSign(ctx, sig->data, &n, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return sa_fail("signing with alg %d failed", (int) alg);
    }
    sig->len = n;
    return 0;
}


/* Minimal DER reader for the ECDSA helpers: tag, definite length. */
static int
sa_der_tlv(const uint8_t *p, size_t len, size_t *off, uint8_t tag,
    size_t *vlen)
{
    size_t  n, i, nb;

    if (*off + 2 > len || p[*off] != tag) {
        return -1;
    }
    n = p[*off + 1];
    *off += 2;
    if (n & 0x80) {
        nb = n & 0x7f;
        if (nb == 0 || nb > 4 || *off + nb > len) {
            return -1;
        }
        n = 0;
        for (i = 0; i < nb; i++) {
            n = n << 8 | p[(*off)++];
        }
    }
    if (n > len - *off) {
        return -1;
    }
    *vlen = n;
    return 0;
}


int
sa_ecdsa_sig_split(const uint8_t *sig, size_t len, sa_buf_t *r, sa_buf_t *s)
{
    size_t  off = 0, n, rl, sl;

    if (sa_der_tlv(sig, len, &off, 0x30, &n) != 0
        || sa_der_tlv(sig, len, &off, 0x02, &rl) != 0)
    {
        return sa_fail("not an ECDSA signature");
    }
    while (rl > 1 && sig[off] == 0) {
        off++;
        rl--;
    }
    if (sa_buf_set(r, sig + off, rl) != 0) {
        return -1;
    }
    off += rl;
    if (sa_der_tlv(sig, len, &off, 0x02, &sl) != 0) {
        return sa_fail("not an ECDSA signature");
    }
    while (sl > 1 && sig[off] == 0) {
        off++;
        sl--;
    }
    return sa_buf_set(s, sig + off, sl);
}


static int
sa_der_int(sa_buf_t *b, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    if (n == 0) {
        return sa_buf_append_byte(b, 0x02) || sa_buf_append_byte(b, 1)
               || sa_buf_append_byte(b, 0);
    }
    if (sa_buf_append_byte(b, 0x02) != 0) {
        return -1;
    }
    if (sa_buf_append_byte(b, (uint8_t) (n + (v[0] & 0x80 ? 1 : 0))) != 0) {
        return -1;
    }
    if ((v[0] & 0x80) && sa_buf_append_byte(b, 0) != 0) {
        return -1;
    }
    return sa_buf_append(b, v, n);
}


int
sa_ecdsa_sig_join(const uint8_t *r, size_t rlen, const uint8_t *s,
    size_t slen, sa_buf_t *out)
{
    sa_buf_t  body = { 0 };
    int       rc;

    rc = sa_der_int(&body, r, rlen) || sa_der_int(&body, s, slen);
    out->len = 0;
    if (rc == 0) {
        rc = sa_buf_append_byte(out, 0x30);
    }
    if (rc == 0 && body.len >= 0x80) {
        rc = sa_buf_append_byte(out, 0x81);
    }
    if (rc == 0) {
        rc = sa_buf_append_byte(out, (uint8_t) body.len)
             || sa_buf_append(out, body.data, body.len);
    }
    sa_buf_free(&body);
    return rc ? -1 : 0;
}


/* ---- certificates ------------------------------------------------------- */

static int
sa_name_add(X509_NAME *name, const char *field, const char *value,
    const char *dflt)
{
    const char  *v = value ? value : dflt;

    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    /* Explicit string types, not MBSTRING_*: OpenSSL would refuse a
     * malformed C (tests need "ZZZ"). */
    if (!X509_NAME_add_entry_by_txt(name, field,
                                    strcmp(field, "C") == 0
                                        ? V_ASN1_PRINTABLESTRING
                                        : V_ASN1_UTF8STRING,
                                    (const unsigned char *) v, -1, -1, 0))
    {
        return sa_fail("cannot add %s to a name", field);
    }
    return 0;
}


static int
sa_add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX        ctx;
    X509_EXTENSION   *ext;
    int               ok;

    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        return sa_fail("cannot make extension %d=%s", nid, value);
    }
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : sa_fail("X509_add_ext failed");
}


static int
sa_add_aaguid_ext(X509 *cert, const uint8_t aaguid[16], int critical)
{
    ASN1_OBJECT        *obj;
    ASN1_OCTET_STRING  *os;
    X509_EXTENSION     *ext = NULL;
    uint8_t             der[18];
    int                 ok = 0;

    der[0] = 0x04;
    der[1] = 16;
    memcpy(der + 2, aaguid, 16);

    obj = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
    os = ASN1_OCTET_STRING_new();
    if (obj && os && ASN1_OCTET_STRING_set(os, der, sizeof(der))) {
        ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os);
        ok = ext && X509_add_ext(cert, ext, -1);
    }
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok ? 0 : sa_fail("cannot add the aaguid extension");
}


static int
sa_set_serial(X509 *cert)
{
    uint8_t   raw[16];
    BIGNUM   *bn;
    int       ok;

    if (sa_random(raw, sizeof(raw)) != 0) {
        return -1;
    }
    raw[0] &= 0x7f;
    raw[0] |= 0x01;
    bn = BN_bin2bn(raw, sizeof(raw), NULL);
    ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok ? 0 : sa_fail("cannot set the serial number");
}


static int
sa_cert_sign(X509 *cert, const sa_key_t *k)
{
    const EVP_MD  *md = k->kty == SA_KTY_OKP ? NULL : EVP_sha256();

    if (X509_sign(cert, k->pkey, md) <= 0) {
        return sa_fail("X509_sign failed");
    }
    return 0;
}


X509 *
sa_cert_issue(const sa_ca_t *ca, const sa_key_t *subject,
    const sa_cert_opts_t *o)
{
    static const sa_cert_opts_t  dflt;
    X509                        *cert;
    X509_NAME                   *name;
    time_t                       now = time(NULL);
    int                          rc;

    if (o == NULL) {
        o = &dflt;
    }
    cert = X509_new();
    if (cert == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    rc = X509_set_version(cert, o->version1 ? X509_VERSION_1
                                            : X509_VERSION_3) ? 0 : -1;
    rc = rc || sa_set_serial(cert);
    if (rc == 0) {
        name = X509_get_subject_name(cert);
        rc = sa_name_add(name, "C", o->c, "AA")
             || sa_name_add(name, "O", o->o, "softauth")
             || sa_name_add(name, "OU", o->ou, "Authenticator Attestation")
             || sa_name_add(name, "CN", o->cn, "softauth packed");
    }
    if (rc == 0) {
        rc = X509_set_issuer_name(cert, ca ? X509_get_subject_name(ca->cert)
                                           : X509_get_subject_name(cert))
             ? 0 : -1;
    }
    if (rc == 0) {
        rc = (ASN1_TIME_set(X509_getm_notBefore(cert),
                            o->not_before ? (time_t) o->not_before
                                          : now - 86400) != NULL
              && ASN1_TIME_set(X509_getm_notAfter(cert),
                               o->not_after ? (time_t) o->not_after
                                            : now + 3650L * 86400) != NULL
              && X509_set_pubkey(cert, subject->pkey)) ? 0 : -1;
    }
    if (rc == 0 && !o->version1) {
        if (!o->no_basic_constraints) {
            rc = sa_add_ext(cert, ca ? ca->cert : cert, NID_basic_constraints,
                            o->is_ca ? "critical,CA:TRUE"
                                     : "critical,CA:FALSE");
        }
        if (rc == 0 && o->is_ca) {
            rc = sa_add_ext(cert, ca ? ca->cert : cert, NID_key_usage,
                            "critical,keyCertSign,cRLSign");
        }
        if (rc == 0) {
            rc = sa_add_ext(cert, ca ? ca->cert : cert,
                            NID_subject_key_identifier, "hash");
        }
        if (rc == 0 && ca) {
            rc = sa_add_ext(cert, ca->cert, NID_authority_key_identifier,
                            "keyid:always");
        }
        if (rc == 0 && o->aaguid) {
            rc = sa_add_aaguid_ext(cert, o->aaguid, o->aaguid_critical);
        }
    }
    if (rc == 0) {
        rc = sa_cert_sign(cert, ca ? ca->key : subject);
    }
    if (rc != 0) {
        if (sa_errbuf[0] == '\0') {
            sa_fail("cannot issue a certificate");
        }
        X509_free(cert);
        return NULL;
    }
    return cert;
}


sa_ca_t *
sa_ca_new(const char *cn)
{
    sa_ca_t         *ca;
    sa_cert_opts_t   o;

    ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        sa_fail("out of memory");
        return NULL;
    }
    ca->key = sa_key_new(-7, 0);
    if (ca->key == NULL) {
        free(ca);
        return NULL;
    }
    memset(&o, 0, sizeof(o));
    o.cn = cn ? cn : "softauth test CA";
    o.ou = "Authenticator Attestation CA";
    o.is_ca = 1;
    o.not_before = (int64_t) time(NULL) - 2 * 86400;
    o.not_after = (int64_t) time(NULL) + 20L * 365 * 86400;
    ca->cert = sa_cert_issue(NULL, ca->key, &o);
    if (ca->cert == NULL) {
        sa_key_free(ca->key);
        free(ca);
        return NULL;
    }
    return ca;
}


void
sa_ca_free(sa_ca_t *ca)
{
    if (ca) {
        sa_key_free(ca->key);
        X509_free(ca->cert);
        free(ca);
    }
}


int
sa_cert_der(X509 *cert, sa_buf_t *out)
{
    int       n;
    uint8_t  *p;

    n = i2d_X509(cert, NULL);
    if (n <= 0) {
        return sa_fail("i2d_X509 failed");
    }
    out->len = 0;
    if (sa_buf_reserve(out, (size_t) n) != 0) {
        return -1;
    }
    p = out->data;
    if (i2d_X509(cert, &p) != n) {
        return sa_fail("i2d_X509 failed");
    }
    out->len = (size_t) n;
    return 0;
}


int
sa_cert_write_pem(X509 *cert, const char *path)
{
    FILE  *f;
    int    ok;

    f = fopen(path, "w");
    if (f == NULL) {
        return sa_fail("%s: %s", path, strerror(errno));
    }
    ok = PEM_write_X509(f, cert);
    if (fclose(f) != 0) {
        ok = 0;
    }
    return ok ? 0 : sa_fail("cannot write %s", path);
}


static sa_ca_t   *sa_ca_default;
static sa_key_t  *sa_att_key_default;


const sa_ca_t *
sa_default_ca(void)
{
    if (sa_ca_default == NULL) {
        sa_ca_default = sa_ca_new(NULL);
    }
    return sa_ca_default;
}


const sa_key_t *
sa_default_att_key(void)
{
    if (sa_att_key_default == NULL) {
        sa_att_key_default = sa_key_new(-7, 0);
    }
    return sa_att_key_default;
}


void
sa_cleanup(void)
{
    sa_ca_free(sa_ca_default);
    sa_ca_default = NULL;
    sa_key_free(sa_att_key_default);
    sa_att_key_default = NULL;
}


/* ---- credentials -------------------------------------------------------- */

sa_cred_t *
sa_cred_new(int32_t alg, int param, sa_key_t *key)
{
    sa_cred_t  *c;
    uint8_t     rnd[32];

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        sa_fail("out of memory");
        sa_key_free(key);
        return NULL;
    }
    c->key = key ? key : sa_key_new(alg, param);
    if (c->key == NULL
        || sa_random(rnd, sizeof(rnd)) != 0
        || sa_buf_set(&c->id, rnd, 32) != 0
        || sa_random(rnd, 16) != 0
        || sa_buf_set(&c->user_handle, rnd, 16) != 0
        || sa_random(c->aaguid, 16) != 0)
    {
        sa_cred_free(c);
        return NULL;
    }
    return c;
}


void
sa_cred_free(sa_cred_t *c)
{
    if (c) {
        sa_key_free(c->key);
        sa_buf_free(&c->id);
        sa_buf_free(&c->user_handle);
        free(c);
    }
}


void
sa_result_free(sa_result_t *r)
{
    sa_buf_free(&r->client_data_json);
    sa_buf_free(&r->auth_data);
    sa_buf_free(&r->cose_key);
    sa_buf_free(&r->signature);
    sa_buf_free(&r->att_object);
    sa_buf_free(&r->x5c0);
    free(r->json);
    r->json = NULL;
    r->json_len = 0;
}


/* ---- ceremonies --------------------------------------------------------- */

static int
sa_run_hook(const sa_opts_t *o, sa_hook_t what, sa_buf_t *b)
{
    if (o->bytes_hook && o->bytes_hook(o->hook_ctx, what, b) != 0) {
        return sa_fail("bytes hook %d refused", (int) what);
    }
    return 0;
}


static int
sa_run_chook(const sa_opts_t *o, sa_chook_t what, cbor_item_t **item)
{
    if (o->cbor_hook && o->cbor_hook(o->hook_ctx, what, item) != 0) {
        return sa_fail("cbor hook %d refused", (int) what);
    }
    if (*item == NULL) {
        return sa_fail("cbor hook %d left no item", (int) what);
    }
    return 0;
}


/* A JSON string as the spec's CCDToString serializes it. */
static int
sa_json_str(sa_buf_t *b, const char *s)
{
    char  esc[8];

    if (sa_buf_append_byte(b, '"') != 0) {
        return -1;
    }
    for (; *s; s++) {
        unsigned char  c = (unsigned char) *s;

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) c;
            if (sa_buf_append(b, esc, 2) != 0) {
                return -1;
            }
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            if (sa_buf_append(b, esc, 6) != 0) {
                return -1;
            }
        } else if (sa_buf_append_byte(b, c) != 0) {
            return -1;
        }
    }
    return sa_buf_append_byte(b, '"');
}


static int
sa_build_client_data(const sa_opts_t *o, int create, sa_buf_t *out)
{
    char  *ch = NULL;
    int    rc;

    out->len = 0;
    if (o->client_data_raw) {
        rc = sa_buf_set(out, o->client_data_raw,
                        o->client_data_raw_len ? o->client_data_raw_len
                                               : strlen(o->client_data_raw));
        return rc ? -1 : sa_run_hook(o, SA_HOOK_CLIENT_DATA, out);
    }
    if (o->origin == NULL) {
        return sa_fail("no origin");
    }
    if (o->challenge_text == NULL) {
        ch = sa_b64url(o->challenge ? o->challenge : (const uint8_t *) "",
                       o->challenge_len);
        if (ch == NULL) {
            return -1;
        }
    }

    rc = sa_buf_append_str(out, "{\"type\":")
         || sa_json_str(out, o->type ? o->type
                                     : create ? "webauthn.create"
                                              : "webauthn.get")
         || sa_buf_append_str(out, ",\"challenge\":")
         || sa_json_str(out, ch ? ch : o->challenge_text)
         || sa_buf_append_str(out, ",\"origin\":")
         || sa_json_str(out, o->origin);
    if (rc == 0 && o->cross_origin >= 0) {
        rc = sa_buf_append_str(out, o->cross_origin ? ",\"crossOrigin\":true"
                                                    : ",\"crossOrigin\":false");
    }
    if (rc == 0 && o->top_origin) {
        rc = sa_buf_append_str(out, ",\"topOrigin\":")
             || sa_json_str(out, o->top_origin);
    }
    if (rc == 0 && o->client_data_extra) {
        rc = sa_buf_append_str(out, o->client_data_extra);
    }
    if (rc == 0) {
        rc = sa_buf_append_byte(out, '}');
    }
    free(ch);
    if (rc != 0) {
        return -1;
    }
    return sa_run_hook(o, SA_HOOK_CLIENT_DATA, out);
}


static int
sa_build_cose(const sa_cred_t *c, const sa_opts_t *o, sa_buf_t *out)
{
    cbor_item_t  *item;
    int           rc;

    item = sa_key_cose_item(c->key);
    if (item == NULL) {
        return -1;
    }
    rc = sa_run_chook(o, SA_CHOOK_COSE_KEY, &item);
    if (rc == 0) {
        rc = sa_cbor_encode(item, out);
    }
    if (item) {
        cbor_decref(&item);
    }
    if (rc != 0) {
        return -1;
    }
    return sa_run_hook(o, SA_HOOK_COSE_KEY, out);
}


static int
sa_build_auth_data(const sa_cred_t *c, const sa_opts_t *o, int create,
    uint32_t counter, sa_buf_t *cose, sa_buf_t *out)
{
    uint8_t   hash[32], flags, be[4], aaguid[16];
    int       attested;

    out->len = 0;

    if (o->rp_id_hash) {
        memcpy(hash, o->rp_id_hash, 32);
    } else if (o->rp_id) {
        sa_sha256(o->rp_id, strlen(o->rp_id), hash);
    } else {
        return sa_fail("no rp_id");
    }

    attested = create ? !o->no_attested_data : o->attested_data;

    flags = 0;
    if (!o->no_up) {
        flags |= 0x01;
    }
    if (o->uv) {
        flags |= 0x04;
    }
    if (o->be || c->be) {
        flags |= 0x08;
    }
    if (o->bs || c->bs) {
        flags |= 0x10;
    }
    if (attested) {
        flags |= 0x40;
    }
    if (o->extensions) {
        flags |= 0x80;
    }
    flags |= o->flags_set;
    flags &= (uint8_t) ~o->flags_clear;

    be[0] = (uint8_t) (counter >> 24);
    be[1] = (uint8_t) (counter >> 16);
    be[2] = (uint8_t) (counter >> 8);
    be[3] = (uint8_t) counter;

    if (sa_buf_append(out, hash, 32) != 0
        || sa_buf_append_byte(out, flags) != 0
        || sa_buf_append(out, be, 4) != 0)
    {
        return -1;
    }

    if (attested) {
        if (o->aaguid) {
            memcpy(aaguid, o->aaguid, 16);
        } else if (o->att == SA_ATT_FIDO_U2F) {
            memset(aaguid, 0, 16);
        } else {
            memcpy(aaguid, c->aaguid, 16);
        }
        if (sa_build_cose(c, o, cose) != 0
            || sa_buf_append(out, aaguid, 16) != 0
            || sa_buf_append_byte(out, (uint8_t) (c->id.len >> 8)) != 0
            || sa_buf_append_byte(out, (uint8_t) c->id.len) != 0
            || sa_buf_append(out, c->id.data, c->id.len) != 0
            || sa_buf_append(out, cose->data, cose->len) != 0)
        {
            return -1;
        }
    }

    if (o->extensions
        && sa_buf_append(out, o->extensions, o->extensions_len) != 0)
    {
        return -1;
    }

    return sa_run_hook(o, SA_HOOK_AUTH_DATA, out);
}


static int
sa_json_b64(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
    char  *s;
    int    rc;

    s = sa_b64url(p, n);
    if (s == NULL) {
        return -1;
    }
    rc = json_object_set_new(obj, key, json_string(s));
    free(s);
    return rc ? sa_fail("json_object_set_new failed") : 0;
}


static int
sa_json_str_set(json_t *obj, const char *key, const char *s)
{
    if (json_object_set_new(obj, key, json_string(s)) != 0) {
        return sa_fail("cannot set %s (not valid UTF-8?)", key);
    }
    return 0;
}


static int
sa_finish_json(const sa_cred_t *c, const sa_opts_t *o, json_t *response,
    sa_result_t *out)
{
    json_t    *root;
    sa_buf_t   js = { 0 };
    char      *dump;
    int        rc;

    root = json_object();
    if (root == NULL) {
        json_decref(response);
        return sa_fail("out of memory");
    }

    rc = o->id ? sa_json_str_set(root, "id", o->id)
               : sa_json_b64(root, "id", c->id.data, c->id.len);
    if (rc == 0) {
        rc = o->raw_id ? sa_json_str_set(root, "rawId", o->raw_id)
                       : sa_json_b64(root, "rawId", c->id.data, c->id.len);
    }
    if (rc != 0) {
        json_decref(response);
    } else if (json_object_set_new(root, "response", response) != 0) {
        rc = sa_fail("json_object_set_new failed");
    }

    if (rc == 0 && (o->attachment == NULL || o->attachment[0])) {
        rc = sa_json_str_set(root, "authenticatorAttachment",
                             o->attachment ? o->attachment : "platform");
    }
    if (rc == 0) {
        rc = json_object_set_new(root, "clientExtensionResults",
                                 json_object()) ? -1 : 0;
    }
    if (rc == 0) {
        rc = sa_json_str_set(root, "type",
                             o->cred_type ? o->cred_type : "public-key");
    }

    if (rc == 0 && o->json_hook && o->json_hook(o->hook_ctx, root) != 0) {
        rc = sa_fail("json hook refused");
    }
    if (rc != 0) {
        json_decref(root);
        return -1;
    }

    dump = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (dump == NULL) {
        return sa_fail("json_dumps failed");
    }
    rc = sa_buf_set(&js, dump, strlen(dump));
    free(dump);
    if (rc == 0) {
        rc = sa_run_hook(o, SA_HOOK_RESPONSE_JSON, &js);
    }
    if (rc != 0) {
        sa_buf_free(&js);
        return -1;
    }
    if (js.data == NULL && sa_buf_reserve(&js, 0) != 0) {
        return -1;
    }
    out->json = (char *) js.data;
    out->json_len = js.len;
    return 0;
}


static json_t *
sa_transports_json(const char *list)
{
    json_t      *arr;
    const char  *p, *e;

    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }
    if (list == NULL) {
        list = "hybrid,internal";
    }
    for (p = list; *p; p = *e ? e + 1 : e) {
        e = strchr(p, ',');
        if (e == NULL) {
            e = p + strlen(p);
        }
        if (e > p) {
            json_array_append_new(arr, json_stringn(p, (size_t) (e - p)));
        }
    }
    return arr;
}


static int
sa_build_att_stmt(sa_cred_t *c, const sa_opts_t *o, sa_result_t *out,
    const sa_buf_t *tbs, cbor_item_t **stmt_out)
{
    cbor_item_t     *stmt = NULL, *x5c;
    const sa_key_t  *akey;
    X509            *leaf = NULL;
    sa_cert_opts_t   copts;
    sa_buf_t         der = { 0 };
    int              rc = 0;
    const sa_ca_t   *ca;

    switch (o->att) {
    case SA_ATT_NONE:
        stmt = cbor_new_definite_map(0);
        break;

    case SA_ATT_PACKED_SELF:
        rc = sa_sign(c->key, 0, tbs->data, tbs->len, &out->signature)
             || sa_run_hook(o, SA_HOOK_SIGNATURE, &out->signature);
        if (rc == 0) {
            stmt = cbor_new_definite_map(2);
            rc = stmt == NULL
                 || sa_map_put_str(stmt, "alg",
                                   sa_cbor_int(o->att_alg ? o->att_alg
                                                          : c->key->alg))
                 || sa_map_put_str(stmt, "sig",
                                   cbor_build_bytestring(out->signature.data,
                                                         out->signature.len));
        }
        break;

    case SA_ATT_PACKED_X5C:
    case SA_ATT_FIDO_U2F:
        ca = o->ca ? o->ca : sa_default_ca();
        akey = o->att_key ? o->att_key : sa_default_att_key();
        if (ca == NULL || akey == NULL) {
            return -1;
        }
        if (o->att_cert) {
            leaf = o->att_cert;
            X509_up_ref(leaf);
        } else {
            if (o->cert) {
                copts = *o->cert;
            } else {
                memset(&copts, 0, sizeof(copts));
                if (o->att == SA_ATT_PACKED_X5C) {
                    copts.aaguid = o->aaguid ? o->aaguid : c->aaguid;
                } else {
                    copts.ou = "U2F";
                }
            }
            leaf = sa_cert_issue(ca, akey, &copts);
            if (leaf == NULL) {
                return -1;
            }
        }
        rc = sa_cert_der(leaf, &out->x5c0)
             || sa_sign(akey, 0, tbs->data, tbs->len, &out->signature)
             || sa_run_hook(o, SA_HOOK_SIGNATURE, &out->signature);
        x5c = NULL;
        if (rc == 0) {
            x5c = cbor_new_definite_array(o->x5c_with_ca ? 2 : 1);
            rc = x5c == NULL
                 || !cbor_array_push(x5c, cbor_move(cbor_build_bytestring(
                                          out->x5c0.data, out->x5c0.len)));
        }
        if (rc == 0 && o->x5c_with_ca) {
            rc = sa_cert_der(ca->cert, &der)
                 || !cbor_array_push(x5c, cbor_move(cbor_build_bytestring(
                                          der.data, der.len)));
        }
        if (rc == 0) {
            stmt = cbor_new_definite_map(3);
            if (o->att == SA_ATT_PACKED_X5C) {
                rc = stmt == NULL
                     || sa_map_put_str(stmt, "alg",
                                       sa_cbor_int(o->att_alg ? o->att_alg
                                                              : akey->alg));
            }
            rc = rc || stmt == NULL
                 || sa_map_put_str(stmt, "sig",
                                   cbor_build_bytestring(out->signature.data,
                                                         out->signature.len))
                 || sa_map_put_str(stmt, "x5c", x5c);
            x5c = NULL;
        }
        if (x5c) {
            cbor_decref(&x5c);
        }
        X509_free(leaf);
        sa_buf_free(&der);
        break;

    default:
        return sa_fail("unknown attestation mode");
    }

    if (stmt == NULL) {
        return sa_fail("out of memory");
    }
    if (rc != 0) {
        cbor_decref(&stmt);
        if (sa_errbuf[0] == '\0') {
            sa_fail("cannot build attStmt");
        }
        return -1;
    }
    if (sa_run_chook(o, SA_CHOOK_ATT_STMT, &stmt) != 0) {
        if (stmt) {
            cbor_decref(&stmt);
        }
        return -1;
    }
    *stmt_out = stmt;
    return 0;
}


int
sa_register(sa_cred_t *c, const sa_opts_t *o, sa_result_t *out)
{
    uint8_t       cdh[32];
    sa_buf_t      tbs = { 0 }, x = { 0 }, y = { 0 }, spki = { 0 };
    cbor_item_t  *stmt = NULL, *ao = NULL;
    json_t       *resp = NULL;
    const char   *fmt;
    int           rc;

    memset(out, 0, sizeof(*out));
    sa_errbuf[0] = '\0';

    rc = sa_build_auth_data(c, o, 1, o->counter_set ? o->counter : c->counter,
                            &out->cose_key, &out->auth_data)
         || sa_build_client_data(o, 1, &out->client_data_json);
    if (rc != 0) {
        goto done;
    }
    sa_sha256(out->client_data_json.data, out->client_data_json.len, cdh);

    if (o->att == SA_ATT_FIDO_U2F) {
        rc = sa_buf_append_byte(&tbs, 0x00)
             || sa_buf_append(&tbs, out->auth_data.data,
                              out->auth_data.len >= 32 ? 32
                                                       : out->auth_data.len)
             || sa_buf_append(&tbs, cdh, 32)
             || sa_buf_append(&tbs, c->id.data, c->id.len)
             || sa_key_ec_xy(c->key, &x, &y)
             || sa_buf_append_byte(&tbs, 0x04)
             || sa_buf_append(&tbs, x.data, x.len)
             || sa_buf_append(&tbs, y.data, y.len);
    } else {
        rc = sa_buf_append(&tbs, out->auth_data.data, out->auth_data.len)
             || sa_buf_append(&tbs, cdh, 32);
    }
    rc = rc || sa_run_hook(o, SA_HOOK_TO_BE_SIGNED, &tbs);
    rc = rc || sa_build_att_stmt(c, o, out, &tbs, &stmt);
    if (rc != 0) {
        goto done;
    }

    switch (o->att) {
    case SA_ATT_NONE:
        fmt = "none";
        break;
    case SA_ATT_FIDO_U2F:
        fmt = "fido-u2f";
        break;
    default:
        fmt = "packed";
        break;
    }
    if (o->fmt) {
        fmt = o->fmt;
    }

    ao = cbor_new_definite_map(3);
    rc = ao == NULL
         || sa_map_put_str(ao, "fmt", cbor_build_string(fmt))
         || sa_map_put_str(ao, "attStmt", stmt)
         || sa_map_put_str(ao, "authData",
                           cbor_build_bytestring(out->auth_data.data,
                                                 out->auth_data.len));
    stmt = NULL;
    rc = rc || sa_run_chook(o, SA_CHOOK_ATT_OBJECT, &ao);
    rc = rc || sa_cbor_encode(ao, &out->att_object);
    rc = rc || sa_run_hook(o, SA_HOOK_ATT_OBJECT, &out->att_object);
    if (rc != 0) {
        goto done;
    }

    resp = json_object();
    rc = resp == NULL
         || sa_json_b64(resp, "clientDataJSON", out->client_data_json.data,
                        out->client_data_json.len)
         || sa_json_b64(resp, "authenticatorData", out->auth_data.data,
                        out->auth_data.len)
         || json_object_set_new(resp, "transports",
                                sa_transports_json(o->transports));
    if (rc == 0 && !o->no_public_key && sa_key_spki(c->key, &spki) == 0) {
        rc = sa_json_b64(resp, "publicKey", spki.data, spki.len);
    }
    rc = rc || json_object_set_new(resp, "publicKeyAlgorithm",
                                   json_integer(c->key->alg));
    rc = rc || sa_json_b64(resp, "attestationObject", out->att_object.data,
                           out->att_object.len);
    if (rc != 0) {
        json_decref(resp);
        goto done;
    }
    rc = sa_finish_json(c, o, resp, out);

done:
    if (stmt) {
        cbor_decref(&stmt);
    }
    if (ao) {
        cbor_decref(&ao);
    }
    sa_buf_free(&tbs);
    sa_buf_free(&x);
    sa_buf_free(&y);
    sa_buf_free(&spki);
    if (rc != 0) {
        if (sa_errbuf[0] == '\0') {
            sa_fail("registration failed");
        }
        sa_result_free(out);
        return -1;
    }
    return 0;
}


int
sa_login(sa_cred_t *c, const sa_opts_t *o, sa_result_t *out)
{
    uint8_t    cdh[32];
    uint32_t   counter;
    sa_buf_t   tbs = { 0 };
    json_t    *resp;
    int        rc;

    memset(out, 0, sizeof(*out));
    sa_errbuf[0] = '\0';

    counter = o->counter_set ? o->counter : c->counter + 1;

    rc = sa_build_auth_data(c, o, 0, counter, &out->cose_key, &out->auth_data)
         || sa_build_client_data(o, 0, &out->client_data_json);
    if (rc == 0) {
        sa_sha256(out->client_data_json.data, out->client_data_json.len, cdh);
        rc = sa_buf_append(&tbs, out->auth_data.data, out->auth_data.len)
             || sa_buf_append(&tbs, cdh, 32)
             || sa_run_hook(o, SA_HOOK_TO_BE_SIGNED, &tbs)
             || sa_sign(c->key, 0, tbs.data, tbs.len, &out->signature)
             || sa_run_hook(o, SA_HOOK_SIGNATURE, &out->signature);
    }
    sa_buf_free(&tbs);
    if (rc != 0) {
        goto fail;
    }

    resp = json_object();
    rc = resp == NULL
         || sa_json_b64(resp, "clientDataJSON", out->client_data_json.data,
                        out->client_data_json.len)
         || sa_json_b64(resp, "authenticatorData", out->auth_data.data,
                        out->auth_data.len)
         || sa_json_b64(resp, "signature", out->signature.data,
                        out->signature.len);
    if (rc == 0 && !o->no_user_handle) {
        if (o->user_handle) {
            rc = sa_json_str_set(resp, "userHandle", o->user_handle);
        } else if (c->user_handle.len) {
            rc = sa_json_b64(resp, "userHandle", c->user_handle.data,
                             c->user_handle.len);
        }
    }
    if (rc != 0) {
        json_decref(resp);
        goto fail;
    }
    if (sa_finish_json(c, o, resp, out) != 0) {
        goto fail;
    }
    c->counter = counter;
    return 0;

fail:
    if (sa_errbuf[0] == '\0') {
        sa_fail("assertion failed");
    }
    sa_result_free(out);
    return -1;
}


/* ---- state files -------------------------------------------------------- */

int
sa_state_save(const sa_cred_t *c, const char *rp_id, const char *path)
{
    json_t  *st;
    char    *pem, *id, *uh, *ag, *dump, tmp[4096];
    int      fd, ok, rc = -1;
    size_t   n;
    ssize_t  w;

    pem = sa_key_to_pem(c->key);
    id = sa_b64url(c->id.data, c->id.len);
    uh = sa_b64url(c->user_handle.data, c->user_handle.len);
    ag = sa_hex(c->aaguid, 16);
    st = json_object();
    dump = NULL;
    if (pem && id && uh && ag && st) {
        json_object_set_new(st, "version", json_integer(1));
        json_object_set_new(st, "rpId", json_string(rp_id ? rp_id : ""));
        json_object_set_new(st, "alg", json_integer(c->key->alg));
        json_object_set_new(st, "credentialId", json_string(id));
        json_object_set_new(st, "userHandle", json_string(uh));
        json_object_set_new(st, "aaguid", json_string(ag));
        json_object_set_new(st, "counter", json_integer(c->counter));
        json_object_set_new(st, "be", json_boolean(c->be));
        json_object_set_new(st, "bs", json_boolean(c->bs));
        json_object_set_new(st, "privateKey", json_string(pem));
        dump = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    }
    if (dump == NULL) {
        sa_fail("cannot serialize the state");
        goto done;
    }

    if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        sa_fail("state path too long");
        goto done;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        sa_fail("%s: %s", tmp, strerror(errno));
        goto done;
    }
    n = strlen(dump);
    w = write(fd, dump, n);
    ok = w == (ssize_t) n && write(fd, "\n", 1) == 1;
    if (close(fd) != 0) {
        ok = 0;
    }
    if (!ok) {
        unlink(tmp);
        sa_fail("%s: write failed", tmp);
        goto done;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        sa_fail("%s: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;

done:
    if (pem) {
        OPENSSL_cleanse(pem, strlen(pem));
    }
    if (dump) {
        OPENSSL_cleanse(dump, strlen(dump));
    }
    free(pem);
    free(id);
    free(uh);
    free(ag);
    free(dump);
    json_decref(st);
    return rc;
}


sa_cred_t *
sa_state_load(const char *path, char **rp_id)
{
    json_t        *st;
    json_error_t   jerr;
    sa_cred_t     *c;
    sa_buf_t       ag = { 0 };
    const char    *pem, *id, *uh, *agh, *rp;
    json_int_t     alg, counter;
    int            be = 0, bs = 0;

    st = json_load_file(path, 0, &jerr);
    if (st == NULL) {
        sa_fail("%s: %s", path, jerr.text);
        return NULL;
    }
    pem = json_string_value(json_object_get(st, "privateKey"));
    id = json_string_value(json_object_get(st, "credentialId"));
    uh = json_string_value(json_object_get(st, "userHandle"));
    agh = json_string_value(json_object_get(st, "aaguid"));
    rp = json_string_value(json_object_get(st, "rpId"));
    alg = json_integer_value(json_object_get(st, "alg"));
    counter = json_integer_value(json_object_get(st, "counter"));
    be = json_is_true(json_object_get(st, "be"));
    bs = json_is_true(json_object_get(st, "bs"));

    if (pem == NULL || id == NULL || alg == 0 || counter < 0
        || counter > 0xffffffffLL)
    {
        json_decref(st);
        sa_fail("%s: not a softauth state file", path);
        return NULL;
    }

    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        json_decref(st);
        sa_fail("out of memory");
        return NULL;
    }
    c->key = sa_key_from_pem(pem, (int32_t) alg);
    if (c->key == NULL
        || sa_b64url_decode(id, &c->id) != 0
        || (uh && sa_b64url_decode(uh, &c->user_handle) != 0)
        || (agh && (sa_unhex(agh, &ag) != 0 || ag.len != 16)))
    {
        json_decref(st);
        sa_buf_free(&ag);
        sa_cred_free(c);
        sa_fail("%s: bad state file", path);
        return NULL;
    }
    if (ag.len == 16) {
        memcpy(c->aaguid, ag.data, 16);
    }
    sa_buf_free(&ag);
    c->counter = (uint32_t) counter;
    c->be = be ? 1 : 0;
    c->bs = bs ? 1 : 0;
    if (rp_id) {
        *rp_id = rp ? strdup(rp) : NULL;
    }
    json_decref(st);
    return c;
}
