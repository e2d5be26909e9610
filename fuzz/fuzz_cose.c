/*
 * COSE_Key parsing (wa_key_from_cose) and, for a key that parses, a
 * signature check with it (wa_key_verify).
 *
 * Input: a COSE_Key, then the signature.  The key's length is what the
 * strict CBOR scan says the first item spans; when the scan refuses, the
 * whole input goes to wa_key_from_cose.  The signed message is fixed: the
 * none-es256 vector's assertion (authenticatorData || SHA-256 of its
 * clientDataJSON), so that the seed made of that vector's key and
 * signature verifies.
 *
 * Invariants: the error contract; a key that parses has a supported,
 * named algorithm; the same key followed by any byte is refused (no
 * trailing bytes); a signature accepted as strict DER is also accepted
 * with BER tolerance on.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


static uint8_t  *fuzz_msg;
static size_t    fuzz_msg_len;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const fv_case_t  *c;

    (void) argc;
    (void) argv;

    c = fv_case("none-es256");
    fuzz_msg_len = c->auth_ad_len + 32;
    fuzz_msg = malloc(fuzz_msg_len);
    FUZZ_CHECK(fuzz_msg != NULL);
    memcpy(fuzz_msg, c->auth_ad, c->auth_ad_len);
    wa_sha256(c->auth_cdj, c->auth_cdj_len, fuzz_msg + c->auth_ad_len);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t     klen;
    int32_t    alg;
    wa_rc_t    rc, rc_der, rc_ber;
    uint8_t   *kbuf, *sig;
    wa_err_t   err = FUZZ_ERR_INIT;
    wa_key_t  *key, *again;

    if (wa_cbor_scan(data, size, WA_CBOR_CANONICAL, &klen, NULL) != WA_OK) {
        klen = size;
    }

    kbuf = fuzz_dup(data, klen);
    key = NULL;
    rc = wa_key_from_cose(kbuf, klen, &key, &err);
    fuzz_check_err(rc, &err);
    FUZZ_CHECK((rc == WA_OK) == (key != NULL));

    if (rc == WA_OK) {
        alg = wa_key_alg(key);
        FUZZ_CHECK(wa_alg_supported(alg));
        FUZZ_CHECK(wa_alg_name(alg) != NULL);
        FUZZ_CHECK(wa_key_pkey(key) != NULL);

        sig = fuzz_dup(data + klen, size - klen);

        err = (wa_err_t) FUZZ_ERR_INIT;
        rc_der = wa_key_verify(key, fuzz_msg, fuzz_msg_len, sig, size - klen,
                               0, &err);
        fuzz_check_err(rc_der, &err);

        err = (wa_err_t) FUZZ_ERR_INIT;
        rc_ber = wa_key_verify(key, fuzz_msg, fuzz_msg_len, sig, size - klen,
                               1, &err);
        fuzz_check_err(rc_ber, &err);

        if (rc_der == WA_OK) {
            FUZZ_CHECK(rc_ber == WA_OK);
        }

        free(sig);
        wa_key_free(key);

        /* The key with the signature still behind it is not one key. */
        if (klen < size) {
            again = NULL;
            err = (wa_err_t) FUZZ_ERR_INIT;
            rc = wa_key_from_cose(data, size, &again, &err);
            fuzz_check_err(rc, &err);
            FUZZ_CHECK(rc != WA_OK && again == NULL);
        }
    }

    free(kbuf);
    fuzz_end();

    return 0;
}
