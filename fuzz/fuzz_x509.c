/*
 * The certificate helpers of wa_x509.c and wa_der.c on one certificate:
 * the input is used as x5c[0] (a one-element CBOR array of one byte
 * string, as an attestation statement carries it), parsed with
 * wa_x5c_parse(), and the leaf then goes through every check the formats
 * make: the packed certificate requirements, the FIDO AAGUID extension
 * (against the packed-es256 vector's AAGUID), the credential key match
 * (against that vector's key), CA false, the lookups of the android-key,
 * apple and AAGUID extensions, and chain verification against the
 * vectors' CA at the fixed time, with and without trust required.
 *
 * Invariants: the error contract; an extension found is borrowed from the
 * certificate's own encoding and within it; a chain never comes back
 * trusted when verification failed.
 */

#include <string.h>

#include <openssl/x509.h>

#include "fuzz_common.h"
#include "wa_der.h"


/* 1.3.6.1.4.1.11129.2.1.17 android key attestation */
static const uint8_t  fuzz_oid_android[] = {
    0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11
};

/* 1.2.840.113635.100.8.2 apple anonymous attestation nonce */
static const uint8_t  fuzz_oid_apple[] = {
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02
};

/* 1.3.6.1.4.1.45724.1.1.4 id-fido-gen-ce-aaguid */
static const uint8_t  fuzz_oid_aaguid[] = {
    0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xe5, 0x1c, 0x01, 0x01, 0x04
};

static fuzz_att_fixed_t  fuzz_fixed;
static wa_policy_t       fuzz_pol_required;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    fuzz_att_fixed(&fuzz_fixed, "packed-es256");
    fuzz_pol_required = *fuzz_policy();
    fuzz_pol_required.require_trusted_attestation = 1;

    return 0;
}


static void
fuzz_ext(X509 *cert, const uint8_t *oid, size_t oid_len)
{
    int             found, critical;
    size_t          len;
    const uint8_t  *v;

    v = NULL;
    len = 0;
    critical = -1;

    found = wa_x509_ext_find(cert, oid, oid_len, &v, &len, &critical);
    FUZZ_CHECK(found >= -1 && found <= 1);

    if (found == 1) {
        FUZZ_CHECK(v != NULL || len == 0);
        FUZZ_CHECK(critical == 0 || critical == 1);

        /* Touch every octet: AddressSanitizer checks they are readable. */
        if (len > 0) {
            volatile uint8_t  x = 0;
            size_t            i;

            for (i = 0; i < len; i++) {
                x ^= v[i];
            }
            (void) x;
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              trusted;
    X509            *leaf;
    wa_rc_t          rc;
    wa_err_t         err = FUZZ_ERR_INIT;
    cbor_item_t     *x5c, *cert;
    STACK_OF(X509)  *chain;

    x5c = cbor_new_definite_array(1);
    cert = cbor_build_bytestring(data, size);
    FUZZ_CHECK(x5c != NULL && cert != NULL);
    FUZZ_CHECK(cbor_array_push(x5c, cert));
    cbor_decref(&cert);

    chain = NULL;
    rc = wa_x5c_parse(x5c, &chain, &err);
    fuzz_check_err(rc, &err);
    FUZZ_CHECK((rc == WA_OK) == (chain != NULL));

    if (rc == WA_OK) {
        FUZZ_CHECK(sk_X509_num(chain) == 1);
        leaf = sk_X509_value(chain, 0);

        err = (wa_err_t) FUZZ_ERR_INIT;
        fuzz_check_err(wa_x509_check_packed(leaf, &err), &err);

        err = (wa_err_t) FUZZ_ERR_INIT;
        fuzz_check_err(wa_x509_check_aaguid(leaf, fuzz_fixed.ad.aaguid, &err),
                       &err);

        err = (wa_err_t) FUZZ_ERR_INIT;
        fuzz_check_err(wa_x509_check_not_ca(leaf, &err), &err);

        rc = wa_x509_key_matches(leaf, fuzz_fixed.key);
        FUZZ_CHECK(rc == 0 || rc == 1);

        fuzz_ext(leaf, fuzz_oid_android, sizeof(fuzz_oid_android));
        fuzz_ext(leaf, fuzz_oid_apple, sizeof(fuzz_oid_apple));
        fuzz_ext(leaf, fuzz_oid_aaguid, sizeof(fuzz_oid_aaguid));

        trusted = -1;
        err = (wa_err_t) FUZZ_ERR_INIT;
        rc = wa_x5c_verify_chain(fuzz_policy(), chain, &trusted, &err);
        fuzz_check_err(rc, &err);
        if (rc == WA_OK) {
            FUZZ_CHECK(trusted == 0 || trusted == 1);
        }

        trusted = -1;
        err = (wa_err_t) FUZZ_ERR_INIT;
        rc = wa_x5c_verify_chain(&fuzz_pol_required, chain, &trusted, &err);
        fuzz_check_err(rc, &err);
        if (rc == WA_OK) {
            FUZZ_CHECK(trusted == 1);
        }

        sk_X509_pop_free(chain, X509_free);
    }

    cbor_decref(&x5c);
    fuzz_end();

    return 0;
}
