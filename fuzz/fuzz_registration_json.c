/*
 * RegistrationResponseJSON (wa_registration_response_parse).
 *
 * Invariants on success: id and rawId are the same non-empty bytes within
 * the credential id limit, every decoded member is within its limit, only
 * known transport bits are set.  The free function releases everything
 * and leaves the structure empty (LeakSanitizer checks the first part).
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


#define FUZZ_TRANSPORTS                                                      \
    (WA_TRANSPORT_USB | WA_TRANSPORT_NFC | WA_TRANSPORT_BLE                  \
     | WA_TRANSPORT_INTERNAL | WA_TRANSPORT_HYBRID | WA_TRANSPORT_SMART_CARD)


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                        *p;
    wa_rc_t                      rc;
    wa_err_t                     err = FUZZ_ERR_INIT;
    wa_registration_response_t   r;

    p = (char *) fuzz_dup(data, size);

    rc = wa_registration_response_parse(p, size, &r, &err);
    fuzz_check_err(rc, &err);

    if (rc == WA_OK) {
        FUZZ_CHECK(size <= WA_MAX_RESPONSE_JSON);
        FUZZ_CHECK(r.id.len >= 1 && r.id.len <= WA_MAX_CREDENTIAL_ID);
        FUZZ_CHECK(r.raw_id.len == r.id.len
                   && memcmp(r.raw_id.data, r.id.data, r.id.len) == 0);
        FUZZ_CHECK(r.client_data_json.len <= WA_MAX_CLIENT_DATA_JSON);
        FUZZ_CHECK(r.attestation_object.len <= WA_MAX_ATTESTATION_OBJECT);
        FUZZ_CHECK(r.client_data_json.data != NULL
                   && r.attestation_object.data != NULL);
        FUZZ_CHECK((r.transports & ~(uint32_t) FUZZ_TRANSPORTS) == 0);
    }

    wa_registration_response_free(&r);
    FUZZ_CHECK(r.id.data == NULL && r.raw_id.data == NULL
               && r.client_data_json.data == NULL
               && r.attestation_object.data == NULL);

    free(p);
    fuzz_end();

    return 0;
}
