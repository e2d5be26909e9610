/*
 * The whole authentication path (wa_verify_assertion).  Input:
 *
 *   byte 0: length of authenticatorData
 *   byte 1: length of the signature (low 7 bits); the top bit turns on
 *           the policy's BER signature tolerance
 *   authenticatorData | signature | clientDataJSON (the rest)
 *
 * Lengths beyond the input are cut to what is there.  The stored
 * credential is fixed: the none-es256 spec vector's ES256 key and
 * credential id, counter 0, backup eligibility unknown; the challenge is
 * that vector's authentication challenge, so its assertion verifies.
 *
 * Invariants: the error contract; on success the counter to store is the
 * authenticatorData's, the flags are its flags with UP set and AT clear,
 * and the counter moved forward (or stayed at zero).
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


static const fv_case_t  *fuzz_case;
static wa_key_t         *fuzz_key;
static wa_policy_t       fuzz_pol, fuzz_pol_ber;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_att_fixed_t  f;

    (void) argc;
    (void) argv;

    fuzz_case = fv_case("none-es256");
    fuzz_att_fixed(&f, "none-es256");
    fuzz_key = f.key;

    fuzz_pol = *fuzz_policy();
    fuzz_pol_ber = fuzz_pol;
    fuzz_pol_ber.ber_signatures = 1;

    return 0;
}


static size_t
fuzz_take(size_t want, size_t *left)
{
    size_t  n;

    n = want < *left ? want : *left;
    *left -= n;

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                       ber;
    size_t                    ad_len, sig_len, left;
    wa_rc_t                   rc;
    wa_err_t                  err = FUZZ_ERR_INIT;
    wa_assertion_result_t     res;
    wa_stored_credential_t    cred;
    wa_assertion_response_t   resp;

    if (size < 2) {
        return 0;
    }

    ber = data[1] >> 7;
    left = size - 2;
    ad_len = fuzz_take(data[0], &left);
    sig_len = fuzz_take(data[1] & 0x7f, &left);
    data += 2;

    memset(&resp, 0, sizeof(resp));
    resp.id.data = fuzz_dup(fuzz_case->cred_id, fuzz_case->cred_id_len);
    resp.id.len = fuzz_case->cred_id_len;
    resp.raw_id.data = fuzz_dup(fuzz_case->cred_id, fuzz_case->cred_id_len);
    resp.raw_id.len = fuzz_case->cred_id_len;
    resp.authenticator_data.data = fuzz_dup(data, ad_len);
    resp.authenticator_data.len = ad_len;
    resp.signature.data = fuzz_dup(data + ad_len, sig_len);
    resp.signature.len = sig_len;
    resp.client_data_json.data = fuzz_dup(data + ad_len + sig_len, left);
    resp.client_data_json.len = left;

    memset(&cred, 0, sizeof(cred));
    cred.key = fuzz_key;
    cred.cred_id = fuzz_case->cred_id;
    cred.cred_id_len = fuzz_case->cred_id_len;
    cred.sign_count = 0;
    cred.backup_eligible = -1;

    rc = wa_verify_assertion(ber ? &fuzz_pol_ber : &fuzz_pol,
                             fuzz_case->auth_challenge,
                             fuzz_case->auth_challenge_len, &resp, &cred,
                             &res, &err);
    fuzz_check_err(rc, &err);

    if (rc == WA_OK) {
        FUZZ_CHECK(err.rc == WA_OK);
        FUZZ_CHECK(ad_len >= 37);
        FUZZ_CHECK(res.flags == data[32]);
        FUZZ_CHECK(res.flags & WA_FLAG_UP);
        FUZZ_CHECK(!(res.flags & WA_FLAG_AT));
        FUZZ_CHECK(res.sign_count == (((uint32_t) data[33] << 24)
                                      | ((uint32_t) data[34] << 16)
                                      | ((uint32_t) data[35] << 8)
                                      | data[36]));
    }

    wa_assertion_response_free(&resp);
    fuzz_end();

    return 0;
}
