/*
 * The whole registration ceremony (wa_verify_registration) for the two
 * registration targets: one response, then the checks on the result.
 */

#ifndef FUZZ_REG_COMMON_H
#define FUZZ_REG_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


/*
 * clientDataJSON and attestationObject are copied to buffers of their
 * exact size; the reported rawId is the credential id inside the object
 * when it has one (else the vector's), so that a response gets past the
 * id check to the attestation statement.
 *
 * Invariants: the error contract; on success a credential whose key
 * parses again from the stored COSE bytes with the same algorithm, whose
 * id is the one reported, whose fmt is a known format, and whose
 * attestation is not trusted without a chain.
 */
static void
fuzz_registration(const uint8_t *cdj, size_t cdj_len, const uint8_t *obj,
    size_t obj_len, const uint8_t *challenge, size_t challenge_len,
    const fv_case_t *fallback)
{
    size_t                       id_len;
    wa_rc_t                      rc;
    uint8_t                     *id;
    wa_err_t                     err = FUZZ_ERR_INIT;
    wa_key_t                    *again;
    wa_credential_t              cred;
    wa_att_output_t              att;
    wa_registration_response_t   resp;

    memset(&resp, 0, sizeof(resp));

    if (!fuzz_att_object_cred_id(obj, obj_len, &id, &id_len)) {
        id = fuzz_dup(fallback->cred_id, fallback->cred_id_len);
        id_len = fallback->cred_id_len;
    }

    resp.id.data = fuzz_dup(id, id_len);
    resp.id.len = id_len;
    resp.raw_id.data = id;
    resp.raw_id.len = id_len;
    resp.client_data_json.data = fuzz_dup(cdj, cdj_len);
    resp.client_data_json.len = cdj_len;
    resp.attestation_object.data = fuzz_dup(obj, obj_len);
    resp.attestation_object.len = obj_len;
    resp.transports = WA_TRANSPORT_USB | WA_TRANSPORT_NFC;

    rc = wa_verify_registration(fuzz_policy(), challenge, challenge_len,
                                &resp, &cred, &err);
    fuzz_check_err(rc, &err);

    if (rc == WA_OK) {
        FUZZ_CHECK(err.rc == WA_OK);
        FUZZ_CHECK(cred.key != NULL);
        FUZZ_CHECK(cred.alg == wa_key_alg(cred.key));
        FUZZ_CHECK(wa_alg_supported(cred.alg));
        FUZZ_CHECK(cred.cred_id.len == id_len
                   && memcmp(cred.cred_id.data, id, id_len) == 0);
        FUZZ_CHECK(memchr(cred.fmt, '\0', sizeof(cred.fmt)) != NULL);
        FUZZ_CHECK(wa_att_find(cred.fmt, strlen(cred.fmt)) != NULL);
        FUZZ_CHECK(cred.flags & WA_FLAG_AT);
        FUZZ_CHECK(cred.transports == resp.transports);

        att.type = cred.att_type;
        att.trusted = cred.att_trusted;
        fuzz_check_att_output(&att);

        /* What the module stores must load again as the same key. */
        again = NULL;
        FUZZ_CHECK(wa_key_from_cose(cred.public_key.data, cred.public_key.len,
                                    &again, NULL)
                   == WA_OK);
        FUZZ_CHECK(wa_key_alg(again) == cred.alg);
        wa_key_free(again);

        wa_credential_free(&cred);

    } else {
        /* A refused registration leaves nothing to free. */
        FUZZ_CHECK(cred.key == NULL && cred.cred_id.data == NULL
                   && cred.public_key.data == NULL);
    }

    wa_registration_response_free(&resp);
}

#endif /* FUZZ_REG_COMMON_H */
