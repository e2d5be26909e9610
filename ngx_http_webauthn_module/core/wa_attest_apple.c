/*
 * The "apple" anonymous attestation statement format (WebAuthn L3 8.8).
 *
 * Apple's anonymization CA issues a certificate for the credential key
 * itself; the binding to this ceremony is a nonce in the leaf's extension
 * 1.2.840.113635.100.8.2:
 *
 *   SEQUENCE { [1] EXPLICIT OCTET STRING nonce }
 *
 * with nonce = SHA-256(authenticatorData || clientDataHash).  There is no
 * separate signature in the statement.
 */

#include <string.h>

#include "wa_internal.h"
#include "wa_der.h"


/* 1.2.840.113635.100.8.2 */
static const uint8_t  wa_oid_apple_nonce[] = {
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02
};


/*
 * The extension payload, strictly: one SEQUENCE holding exactly one [1]
 * holding exactly one 32-octet OCTET STRING, nothing after any of them.
 */
static int
wa_apple_nonce_parse(const uint8_t *p, size_t len, const uint8_t **nonce)
{
    wa_der_t      r;
    wa_der_tlv_t  t;

    wa_der_init(&r, p, len);
    if (wa_der_expect(&r, WA_DER_UNIVERSAL, 1, WA_DER_SEQUENCE, &t) != 0
        || !wa_der_done(&r))
    {
        return -1;
    }

    wa_der_init(&r, t.val, t.len);
    if (wa_der_expect(&r, WA_DER_CONTEXT, 1, 1, &t) != 0
        || !wa_der_done(&r))
    {
        return -1;
    }

    wa_der_init(&r, t.val, t.len);
    if (wa_der_expect(&r, WA_DER_UNIVERSAL, 0, WA_DER_OCTET_STRING, &t) != 0
        || !wa_der_done(&r) || t.len != 32)
    {
        return -1;
    }

    *nonce = t.val;

    return 0;
}


/* 8.8 steps 2-4: compute the nonce and compare it with the extension's. */
static wa_rc_t
wa_apple_check_nonce(const wa_att_input_t *in, X509 *leaf, wa_err_t *err)
{
    const uint8_t  *v, *nonce;
    size_t          len;
    int             found, critical;
    uint8_t         expect[32];

    found = wa_x509_ext_find(leaf, wa_oid_apple_nonce,
                             sizeof(wa_oid_apple_nonce), &v, &len,
                             &critical);
    if (found != 1 || wa_apple_nonce_parse(v, len, &nonce) != 0) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].nonce");
    }

    if (wa_sha256_2(in->auth_data, in->auth_data_len, in->client_data_hash,
                    32, expect) != 0)
    {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c[0].nonce");
    }

    if (!wa_ct_equal(nonce, 32, expect, 32)) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].nonce");
    }

    return WA_OK;
}


/*
 * WebAuthn L3 8.8 verification procedure: syntax (exactly x5c), nonce,
 * credential key equals the leaf's subject public key, trust path.
 */
wa_rc_t
wa_att_apple(const wa_att_input_t *in, wa_att_output_t *out, wa_err_t *err)
{
    const cbor_item_t  *st = in->att_stmt;
    cbor_item_t        *x5c;
    STACK_OF(X509)     *chain;
    X509               *leaf;
    int                 trusted;
    wa_rc_t             rc;

    if (st == NULL || !cbor_isa_map(st) || !cbor_map_is_definite(st)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt");
    }

    x5c = wa_cbor_map_get_str(st, "x5c");
    if (x5c == NULL) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }

    if (cbor_map_size(st) != 1) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt");
    }

    if (in->cred_key == NULL || in->client_data_hash == NULL
        || in->auth_data == NULL)
    {
        return wa_fail(err, WA_ERR_MALFORMED,
                       "authData.attestedCredentialData");
    }

    rc = wa_x5c_parse(x5c, &chain, err);
    if (rc != WA_OK) {
        return rc;
    }

    leaf = sk_X509_value(chain, 0);

    rc = wa_apple_check_nonce(in, leaf, err);

    if (rc == WA_OK && !wa_x509_key_matches(leaf, in->cred_key)) {
        rc = wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                     "attStmt.x5c[0].publicKey");
    }

    if (rc == WA_OK) {
        rc = wa_x5c_verify_chain(in->policy, chain, &trusted, err);
    }

    sk_X509_pop_free(chain, X509_free);

    if (rc != WA_OK) {
        return rc;
    }

    out->type = WA_ATT_ANONCA;
    out->trusted = trusted;

    return WA_OK;
}
