/*
 * AuthenticationResponseJSON (wa_assertion_response_parse).
 *
 * Invariants on success: id and rawId are the same non-empty bytes within
 * the credential id limit, every decoded member is within its limit.  The
 * free function releases everything and leaves the structure empty.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                     *p;
    wa_rc_t                   rc;
    wa_err_t                  err = FUZZ_ERR_INIT;
    wa_assertion_response_t   r;

    p = (char *) fuzz_dup(data, size);

    rc = wa_assertion_response_parse(p, size, &r, &err);
    fuzz_check_err(rc, &err);

    if (rc == WA_OK) {
        FUZZ_CHECK(size <= WA_MAX_RESPONSE_JSON);
        FUZZ_CHECK(r.id.len >= 1 && r.id.len <= WA_MAX_CREDENTIAL_ID);
        FUZZ_CHECK(r.raw_id.len == r.id.len
                   && memcmp(r.raw_id.data, r.id.data, r.id.len) == 0);
        FUZZ_CHECK(r.client_data_json.len <= WA_MAX_CLIENT_DATA_JSON);
        FUZZ_CHECK(r.authenticator_data.len <= WA_MAX_AUTH_DATA);
        FUZZ_CHECK(r.signature.len <= WA_MAX_SIGNATURE);
        FUZZ_CHECK(r.user_handle.len <= WA_MAX_USER_HANDLE);
        FUZZ_CHECK(r.client_data_json.data != NULL
                   && r.authenticator_data.data != NULL
                   && r.signature.data != NULL);
    }

    wa_assertion_response_free(&r);
    FUZZ_CHECK(r.id.data == NULL && r.raw_id.data == NULL
               && r.client_data_json.data == NULL
               && r.authenticator_data.data == NULL
               && r.signature.data == NULL && r.user_handle.data == NULL);

    free(p);
    fuzz_end();

    return 0;
}
