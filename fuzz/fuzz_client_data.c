/*
 * clientDataJSON (wa_client_data_parse).
 *
 * Invariants on success: a known ceremony type, a challenge within its
 * limit whose base64url encoding decodes back to it, a non-empty origin,
 * crossOrigin 0/1.  Everything is freed (LeakSanitizer checks).
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t            n;
    char             *enc;
    wa_rc_t           rc;
    uint8_t          *p, *dec;
    wa_err_t          err = FUZZ_ERR_INIT;
    wa_client_data_t  cd;

    p = fuzz_dup(data, size);

    rc = wa_client_data_parse(p, size, &cd, &err);
    fuzz_check_err(rc, &err);

    if (rc == WA_OK) {
        FUZZ_CHECK(size <= WA_MAX_CLIENT_DATA_JSON);
        FUZZ_CHECK(cd.type == WA_CEREMONY_CREATE || cd.type == WA_CEREMONY_GET);
        FUZZ_CHECK(cd.challenge.len <= WA_MAX_CHALLENGE);
        FUZZ_CHECK(cd.challenge.len == 0 || cd.challenge.data != NULL);
        FUZZ_CHECK(cd.origin != NULL && cd.origin[0] != '\0');
        FUZZ_CHECK(strlen(cd.origin) < size);
        FUZZ_CHECK(cd.top_origin == NULL || strlen(cd.top_origin) < size);
        FUZZ_CHECK(cd.cross_origin == 0 || cd.cross_origin == 1);

        enc = malloc((cd.challenge.len + 2) / 3 * 4 + 1);
        dec = malloc(cd.challenge.len + 3);
        FUZZ_CHECK(enc != NULL && dec != NULL);
        n = wa_b64url_encode(cd.challenge.data, cd.challenge.len, enc);
        FUZZ_CHECK(wa_b64url_decode(enc, n, dec, &n) == WA_OK);
        FUZZ_CHECK(n == cd.challenge.len
                   && (n == 0 || memcmp(dec, cd.challenge.data, n) == 0));
        free(enc);
        free(dec);

        wa_client_data_free(&cd);
        FUZZ_CHECK(cd.origin == NULL && cd.top_origin == NULL
                   && cd.challenge.data == NULL);
    }

    free(p);
    fuzz_end();

    return 0;
}
