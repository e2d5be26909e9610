/*
 * authenticatorData layout (wa_auth_data_parse).
 *
 * Invariants on success: every span returned lies inside the input, the
 * spans follow one another in the order of the layout with nothing
 * between them and nothing after the last one, the fixed fields are read
 * from the right offsets, the AT and ED flags match what was returned,
 * and the COSE key and the extensions are each one strict canonical CBOR
 * item (the extensions a map).
 */

#include <stdlib.h>

#include "fuzz_common.h"


static int
fuzz_within(const uint8_t *base, size_t len, const uint8_t *p, size_t n)
{
    return p >= base && p <= base + len && n <= (size_t) (base + len - p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           n;
    wa_rc_t          rc;
    uint8_t         *p;
    wa_err_t         err = FUZZ_ERR_INIT;
    const uint8_t   *next;
    wa_auth_data_t   ad;

    p = fuzz_dup(data, size);

    rc = wa_auth_data_parse(p, size, &ad, &err);
    fuzz_check_err(rc, &err);

    if (rc != WA_OK) {
        goto done;
    }

    FUZZ_CHECK(size >= 37 && size <= WA_MAX_AUTH_DATA);
    FUZZ_CHECK(ad.rp_id_hash == p);
    FUZZ_CHECK(ad.flags == p[32]);
    FUZZ_CHECK(ad.sign_count == (((uint32_t) p[33] << 24)
                                 | ((uint32_t) p[34] << 16)
                                 | ((uint32_t) p[35] << 8) | p[36]));
    FUZZ_CHECK(!(ad.flags & WA_FLAG_BS) || (ad.flags & WA_FLAG_BE));

    next = p + 37;

    if (ad.flags & WA_FLAG_AT) {
        FUZZ_CHECK(ad.aaguid == next);
        FUZZ_CHECK(fuzz_within(p, size, ad.aaguid, 18));
        n = ((size_t) ad.aaguid[16] << 8) | ad.aaguid[17];
        FUZZ_CHECK(ad.cred_id == ad.aaguid + 18);
        FUZZ_CHECK(ad.cred_id_len == n);
        FUZZ_CHECK(n >= 1 && n <= WA_MAX_CREDENTIAL_ID);
        FUZZ_CHECK(fuzz_within(p, size, ad.cred_id, ad.cred_id_len));
        FUZZ_CHECK(ad.cose_key == ad.cred_id + ad.cred_id_len);
        FUZZ_CHECK(ad.cose_key_len >= 1);
        FUZZ_CHECK(fuzz_within(p, size, ad.cose_key, ad.cose_key_len));
        FUZZ_CHECK(wa_cbor_scan(ad.cose_key, ad.cose_key_len,
                                WA_CBOR_CANONICAL, NULL, NULL)
                   == WA_OK);
        next = ad.cose_key + ad.cose_key_len;

    } else {
        FUZZ_CHECK(ad.aaguid == NULL && ad.cred_id == NULL
                   && ad.cred_id_len == 0 && ad.cose_key == NULL
                   && ad.cose_key_len == 0);
    }

    if (ad.flags & WA_FLAG_ED) {
        FUZZ_CHECK(ad.extensions == next);
        FUZZ_CHECK(ad.extensions_len >= 1);
        FUZZ_CHECK(fuzz_within(p, size, ad.extensions, ad.extensions_len));
        FUZZ_CHECK((ad.extensions[0] >> 5) == 5);
        FUZZ_CHECK(wa_cbor_scan(ad.extensions, ad.extensions_len,
                                WA_CBOR_CANONICAL, NULL, NULL)
                   == WA_OK);
        next = ad.extensions + ad.extensions_len;

    } else {
        FUZZ_CHECK(ad.extensions == NULL && ad.extensions_len == 0);
    }

    FUZZ_CHECK(next == p + size);

done:

    free(p);
    fuzz_end();

    return 0;
}
