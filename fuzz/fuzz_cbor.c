/*
 * Strict CBOR: wa_cbor_scan() and wa_cbor_decode(), in both modes
 * (trailing bytes left to the caller, or refused) and both key orders.
 *
 * Invariants:
 *   - the scan and the decoder agree: when the scan accepts, the decoder
 *     accepts the same item length, and the other way round (the scan
 *     decides what is refused, libcbor only builds the tree, so a
 *     disagreement means some bytes are judged by two different rules);
 *   - the whole-input mode accepts exactly when the prefix mode accepts
 *     the whole input;
 *   - canonical acceptance implies plain acceptance, with the same length;
 *   - in the tree, every map key is found again by the core's lookups and
 *     gives back its own value (no two keys with one meaning);
 *   - the tree re-serializes to the very bytes it came from (one value,
 *     one encoding), floats aside.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


static int
fuzz_has_float(const cbor_item_t *item)
{
    size_t             i, n;
    cbor_item_t      **items;
    struct cbor_pair  *pairs;

    switch (cbor_typeof(item)) {

    case CBOR_TYPE_FLOAT_CTRL:
        return !cbor_float_ctrl_is_ctrl(item);

    case CBOR_TYPE_ARRAY:
        n = cbor_array_size(item);
        items = cbor_array_handle(item);
        for (i = 0; i < n; i++) {
            if (fuzz_has_float(items[i])) {
                return 1;
            }
        }
        return 0;

    case CBOR_TYPE_MAP:
        n = cbor_map_size(item);
        pairs = cbor_map_handle(item);
        for (i = 0; i < n; i++) {
            if (fuzz_has_float(pairs[i].key)
                || fuzz_has_float(pairs[i].value))
            {
                return 1;
            }
        }
        return 0;

    default:
        return 0;
    }
}


/* Lookups of every key of every map, and the integer helper. */
static void
fuzz_walk(const cbor_item_t *item)
{
    size_t             i, n, klen;
    int64_t            v;
    char              *key;
    cbor_item_t      **items;
    struct cbor_pair  *pairs;

    switch (cbor_typeof(item)) {

    case CBOR_TYPE_UINT:
        if (wa_cbor_int(item, &v) == 0) {
            FUZZ_CHECK(v >= 0 && (uint64_t) v == cbor_get_int(item));
        } else {
            FUZZ_CHECK(cbor_get_int(item) > INT64_MAX);
        }
        return;

    case CBOR_TYPE_NEGINT:
        if (wa_cbor_int(item, &v) == 0) {
            FUZZ_CHECK(v < 0 && (uint64_t) (-1 - v) == cbor_get_int(item));
        } else {
            FUZZ_CHECK(cbor_get_int(item) > INT64_MAX);
        }
        return;

    case CBOR_TYPE_STRING:
        klen = cbor_string_length(item);
        key = malloc(klen + 1);
        FUZZ_CHECK(key != NULL);
        memcpy(key, cbor_string_handle(item), klen);
        key[klen] = '\0';
        FUZZ_CHECK(wa_cbor_text_is(item, key) == (strlen(key) == klen));
        free(key);
        return;

    case CBOR_TYPE_ARRAY:
        n = cbor_array_size(item);
        items = cbor_array_handle(item);
        for (i = 0; i < n; i++) {
            fuzz_walk(items[i]);
        }
        return;

    case CBOR_TYPE_MAP:
        n = cbor_map_size(item);
        pairs = cbor_map_handle(item);

        for (i = 0; i < n; i++) {
            fuzz_walk(pairs[i].key);
            fuzz_walk(pairs[i].value);

            if (cbor_isa_string(pairs[i].key)) {
                klen = cbor_string_length(pairs[i].key);
                key = malloc(klen + 1);
                FUZZ_CHECK(key != NULL);
                memcpy(key, cbor_string_handle(pairs[i].key), klen);
                key[klen] = '\0';

                /* Keys with a NUL inside cannot be named by a C string. */
                if (strlen(key) == klen) {
                    FUZZ_CHECK(wa_cbor_map_get_str(item, key)
                               == pairs[i].value);
                }
                free(key);

            } else if (wa_cbor_int(pairs[i].key, &v) == 0) {
                FUZZ_CHECK(wa_cbor_map_get_int(item, v) == pairs[i].value);
            }
        }
        return;

    default:
        return;
    }
}


static void
fuzz_roundtrip(const cbor_item_t *item, const uint8_t *p, size_t len)
{
    size_t          n, cap;
    unsigned char  *buf;

    if (fuzz_has_float(item)) {
        return;
    }

    buf = NULL;
    cap = 0;
    n = cbor_serialize_alloc(item, &buf, &cap);

    if (n == 0) {
        /* Allocation failure in libcbor: nothing to compare. */
        free(buf);
        return;
    }

    FUZZ_CHECK(n == len && memcmp(buf, p, len) == 0);
    free(buf);
}


static void
fuzz_mode(const uint8_t *data, size_t size, unsigned flags, size_t *ok_len)
{
    size_t        n_scan, n_dec;
    wa_rc_t       rc_scan, rc_dec, rc_scan_all, rc_dec_all;
    wa_err_t      err = FUZZ_ERR_INIT;
    cbor_item_t  *item, *all;

    n_scan = n_dec = (size_t) -1;

    rc_scan = wa_cbor_scan(data, size, flags, &n_scan, &err);
    fuzz_check_err(rc_scan, &err);

    err = (wa_err_t) FUZZ_ERR_INIT;
    rc_dec = wa_cbor_decode(data, size, flags, &item, &n_dec, &err);
    fuzz_check_err(rc_dec, &err);

    if (rc_dec == WA_ERR_INTERNAL) {
        /* Out of memory under -malloc_limit_mb: not a disagreement. */
        *ok_len = (size_t) -1;
        return;
    }

    FUZZ_CHECK((rc_scan == WA_OK) == (rc_dec == WA_OK));
    FUZZ_CHECK(rc_dec == WA_OK || item == NULL);

    if (rc_scan == WA_OK) {
        FUZZ_CHECK(n_scan >= 1 && n_scan <= size);
        FUZZ_CHECK(n_dec == n_scan);
        FUZZ_CHECK(item != NULL);
    }

    /* Whole-input mode. */
    err = (wa_err_t) FUZZ_ERR_INIT;
    rc_scan_all = wa_cbor_scan(data, size, flags, NULL, &err);
    fuzz_check_err(rc_scan_all, &err);

    err = (wa_err_t) FUZZ_ERR_INIT;
    rc_dec_all = wa_cbor_decode(data, size, flags, &all, NULL, &err);
    fuzz_check_err(rc_dec_all, &err);

    if (rc_dec_all != WA_ERR_INTERNAL) {
        FUZZ_CHECK((rc_scan_all == WA_OK)
                   == (rc_scan == WA_OK && n_scan == size));
        FUZZ_CHECK((rc_dec_all == WA_OK) == (rc_scan_all == WA_OK));
    }

    if (all != NULL) {
        cbor_decref(&all);
    }

    if (item != NULL) {
        fuzz_walk(item);
        fuzz_roundtrip(item, data, n_dec);
        cbor_decref(&item);
    }

    *ok_len = rc_scan == WA_OK ? n_scan : 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t  plain, canonical;

    fuzz_mode(data, size, 0, &plain);
    fuzz_mode(data, size, WA_CBOR_CANONICAL, &canonical);

    /* Canonical is plain plus one more rule. */
    if (canonical != 0 && canonical != (size_t) -1
        && plain != (size_t) -1)
    {
        FUZZ_CHECK(plain == canonical);
    }

    fuzz_end();

    return 0;
}
