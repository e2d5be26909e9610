/*
 * Strict CBOR.
 *
 * libcbor builds the trees; before it sees a byte, wa_cbor_scan() walks the
 * encoding itself and refuses everything WebAuthn never needs and an
 * attacker might use: indefinite lengths, reserved values, tags,
 * non-minimal heads (two encodings of one value), invalid UTF-8, duplicate
 * or (where canonical CBOR is required) unsorted map keys, deep nesting,
 * huge maps.  The scan also yields the item's length, which is how an
 * attested credential public key embedded in authenticatorData is
 * delimited.
 */

#include <string.h>

#include "wa_internal.h"


#define WA_CBOR_MAX_MAP  64


typedef struct {
    const uint8_t  *p;
    size_t          len;
    size_t          pos;
    unsigned        flags;
    wa_err_t       *err;
} wa_cbor_scan_t;


static wa_rc_t wa_cbor_scan_item(wa_cbor_scan_t *s, unsigned depth);


/* Reads an item head: major type, and the argument (a value or length). */
static wa_rc_t
wa_cbor_head(wa_cbor_scan_t *s, unsigned *major, uint64_t *arg,
    unsigned *info)
{
    uint8_t   ib, ai;
    size_t    n, i;
    uint64_t  v;

    if (s->pos >= s->len) {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.truncated");
    }

    ib = s->p[s->pos++];
    *major = ib >> 5;
    ai = ib & 0x1f;
    *info = ai;

    if (ai < 24) {
        *arg = ai;
        return WA_OK;
    }

    if (ai == 31) {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.indefinite_length");
    }

    if (ai > 27) {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.reserved");
    }

    n = (size_t) 1 << (ai - 24);

    if (s->len - s->pos < n) {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.truncated");
    }

    v = 0;
    for (i = 0; i < n; i++) {
        v = (v << 8) | s->p[s->pos++];
    }

    /* Floats are bit patterns, not arguments: no minimality rule. */
    if (*major == 7 && ai != 24) {
        *arg = v;
        return WA_OK;
    }

    if ((ai == 24 && v < 24) || (ai == 25 && v <= 0xff)
        || (ai == 26 && v <= 0xffff) || (ai == 27 && v <= 0xffffffff))
    {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.non_minimal");
    }

    *arg = v;

    return WA_OK;
}


/* RFC 3629 UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
int
wa_utf8_valid(const uint8_t *p, size_t len)
{
    size_t    i, n, k;
    uint32_t  c, min;

    for (i = 0; i < len; ) {
        c = p[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        if ((c & 0xe0) == 0xc0) {
            n = 1; min = 0x80; c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2; min = 0x800; c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3; min = 0x10000; c &= 0x07;
        } else {
            return 0;
        }

        if (len - i - 1 < n) {
            return 0;
        }

        for (k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            c = (c << 6) | (p[i + k] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return 0;
        }

        i += n + 1;
    }

    return 1;
}


/*
 * Canonical order (RFC 7049 3.9, as CTAP2 requires): shorter encodings
 * first, then bytewise.  The major type is the top bits of the first byte,
 * so with equal lengths bytewise order sorts it first as well; with
 * different lengths and majors, the major type decides.
 */
static int
wa_cbor_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if ((a[0] >> 5) != (b[0] >> 5)) {
        return (a[0] >> 5) < (b[0] >> 5) ? -1 : 1;
    }

    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }

    return memcmp(a, b, alen);
}


static wa_rc_t
wa_cbor_scan_map(wa_cbor_scan_t *s, uint64_t n, unsigned depth)
{
    size_t    i, j, kstart[WA_CBOR_MAX_MAP], kend[WA_CBOR_MAX_MAP];
    wa_rc_t   rc;
    int       cmp;

    if (n > WA_CBOR_MAX_MAP) {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.map_too_large");
    }

    for (i = 0; i < n; i++) {
        kstart[i] = s->pos;

        rc = wa_cbor_scan_item(s, depth + 1);
        if (rc != WA_OK) {
            return rc;
        }

        kend[i] = s->pos;

        for (j = 0; j < i; j++) {
            cmp = wa_cbor_key_cmp(s->p + kstart[j], kend[j] - kstart[j],
                                  s->p + kstart[i], kend[i] - kstart[i]);
            if (cmp == 0) {
                return wa_fail(s->err, WA_ERR_MALFORMED,
                               "cbor.duplicate_key");
            }
        }

        if (i > 0 && (s->flags & WA_CBOR_CANONICAL)
            && wa_cbor_key_cmp(s->p + kstart[i - 1], kend[i - 1] - kstart[i - 1],
                               s->p + kstart[i], kend[i] - kstart[i]) > 0)
        {
            return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.unsorted_keys");
        }

        rc = wa_cbor_scan_item(s, depth + 1);
        if (rc != WA_OK) {
            return rc;
        }
    }

    return WA_OK;
}


static wa_rc_t
wa_cbor_scan_item(wa_cbor_scan_t *s, unsigned depth)
{
    unsigned  major = 0, info = 0;
    uint64_t  arg = 0, i;
    wa_rc_t   rc;

    if (depth > WA_MAX_CBOR_DEPTH) {
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.too_deep");
    }

    rc = wa_cbor_head(s, &major, &arg, &info);
    if (rc != WA_OK) {
        return rc;
    }

    switch (major) {

    case 0:
    case 1:
        return WA_OK;

    case 2:
    case 3:
        if (arg > s->len - s->pos) {
            return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.truncated");
        }

        if (major == 3 && !wa_utf8_valid(s->p + s->pos, (size_t) arg)) {
            return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.invalid_utf8");
        }

        s->pos += (size_t) arg;
        return WA_OK;

    case 4:
        /* Every element takes a byte at least: a count beyond what is
         * left is a lie, refused before looping on it. */
        if (arg > s->len - s->pos) {
            return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.truncated");
        }

        for (i = 0; i < arg; i++) {
            rc = wa_cbor_scan_item(s, depth + 1);
            if (rc != WA_OK) {
                return rc;
            }
        }

        return WA_OK;

    case 5:
        return wa_cbor_scan_map(s, arg, depth);

    case 6:
        return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.tag");

    default: /* 7 */
        /* false, true, null, undefined and floats; the other simple
         * values are unassigned, never used by WebAuthn, and libcbor
         * refuses them too. */
        if (info < 20 || info == 24) {
            return wa_fail(s->err, WA_ERR_MALFORMED, "cbor.simple_value");
        }

        return WA_OK;
    }
}


wa_rc_t
wa_cbor_scan(const uint8_t *p, size_t len, unsigned flags, size_t *consumed,
    wa_err_t *err)
{
    wa_cbor_scan_t  s;
    wa_rc_t         rc;

    s.p = p;
    s.len = len;
    s.pos = 0;
    s.flags = flags;
    s.err = err;

    rc = wa_cbor_scan_item(&s, 0);
    if (rc != WA_OK) {
        return rc;
    }

    if (consumed != NULL) {
        *consumed = s.pos;

    } else if (s.pos != len) {
        return wa_fail(err, WA_ERR_MALFORMED, "cbor.trailing_bytes");
    }

    return WA_OK;
}


wa_rc_t
wa_cbor_decode(const uint8_t *p, size_t len, unsigned flags,
    cbor_item_t **out, size_t *consumed, wa_err_t *err)
{
    size_t                   n;
    wa_rc_t                  rc;
    cbor_item_t             *item;
    struct cbor_load_result  res;

    *out = NULL;

    rc = wa_cbor_scan(p, len, flags, &n, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (consumed == NULL && n != len) {
        return wa_fail(err, WA_ERR_MALFORMED, "cbor.trailing_bytes");
    }

    item = cbor_load(p, n, &res);

    if (item == NULL) {
        if (res.error.code == CBOR_ERR_MEMERROR) {
            return wa_fail(err, WA_ERR_INTERNAL, "cbor.memory");
        }
        return wa_fail(err, WA_ERR_MALFORMED, "cbor.decode");
    }

    if (res.read != n) {
        cbor_decref(&item);
        return wa_fail(err, WA_ERR_MALFORMED, "cbor.decode");
    }

    if (consumed != NULL) {
        *consumed = n;
    }

    *out = item;

    return WA_OK;
}


cbor_item_t *
wa_cbor_map_get_str(const cbor_item_t *map, const char *key)
{
    size_t             i, n, klen;
    struct cbor_pair  *pairs;

    if (map == NULL || !cbor_isa_map(map)) {
        return NULL;
    }

    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    klen = strlen(key);

    for (i = 0; i < n; i++) {
        if (cbor_isa_string(pairs[i].key)
            && cbor_string_length(pairs[i].key) == klen
            && memcmp(cbor_string_handle(pairs[i].key), key, klen) == 0)
        {
            return pairs[i].value;
        }
    }

    return NULL;
}


cbor_item_t *
wa_cbor_map_get_int(const cbor_item_t *map, int64_t key)
{
    size_t             i, n;
    int64_t            v;
    struct cbor_pair  *pairs;

    if (map == NULL || !cbor_isa_map(map)) {
        return NULL;
    }

    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);

    for (i = 0; i < n; i++) {
        if (wa_cbor_int(pairs[i].key, &v) == 0 && v == key) {
            return pairs[i].value;
        }
    }

    return NULL;
}


int
wa_cbor_int(const cbor_item_t *item, int64_t *v)
{
    uint64_t  u;

    if (item == NULL || !cbor_is_int(item)) {
        return -1;
    }

    u = cbor_get_int(item);

    if (u > INT64_MAX) {
        return -1;
    }

    /* A negative integer n is encoded as -1 - n. */
    *v = cbor_isa_uint(item) ? (int64_t) u : -1 - (int64_t) u;

    return 0;
}


int
wa_cbor_text_is(const cbor_item_t *item, const char *s)
{
    size_t  len;

    if (item == NULL || !cbor_isa_string(item)
        || cbor_string_is_indefinite(item))
    {
        return 0;
    }

    len = strlen(s);

    return cbor_string_length(item) == len
           && memcmp(cbor_string_handle(item), s, len) == 0;
}


int
wa_cbor_bytes(const cbor_item_t *item, size_t max, const uint8_t **p,
    size_t *len)
{
    if (item == NULL || !cbor_isa_bytestring(item)
        || !cbor_bytestring_is_definite(item))
    {
        return -1;
    }

    *p = cbor_bytestring_handle(item);
    *len = cbor_bytestring_length(item);

    return (*len == 0 || *len > max || *p == NULL) ? -1 : 0;
}
