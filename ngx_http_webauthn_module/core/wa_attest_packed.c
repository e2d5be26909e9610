/*
 * The "packed" (WebAuthn L3 8.2) and "fido-u2f" (8.6) attestation
 * statement formats.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>

#include "wa_internal.h"


/* Statement members other than these are refused: both formats have a
 * fixed syntax, and an unknown member is a sign of confusion. */
static int
wa_stmt_only(const cbor_item_t *stmt, const char *const *names, size_t n)
{
    size_t             i, k;
    struct cbor_pair  *pairs;

    pairs = cbor_map_handle(stmt);

    for (i = 0; i < cbor_map_size(stmt); i++) {
        for (k = 0; k < n; k++) {
            if (wa_cbor_text_is(pairs[i].key, names[k])) {
                break;
            }
        }

        if (k == n) {
            return 0;
        }
    }

    return 1;
}


uint8_t *
wa_att_to_be_signed(const wa_att_input_t *in, size_t *len)
{
    uint8_t  *p;

    *len = in->auth_data_len + 32;
    p = malloc(*len);

    if (p != NULL) {
        memcpy(p, in->auth_data, in->auth_data_len);
        memcpy(p + in->auth_data_len, in->client_data_hash, 32);
    }

    return p;
}


/*
 * A statement's signature.  Whatever OpenSSL's reason, a signature that
 * does not verify is the attestation's failure (attestation_invalid), not
 * the ceremony's signature_invalid; an algorithm that does not fit the key
 * stays algorithm_unsupported.
 */
wa_rc_t
wa_att_sig_verify(const wa_att_input_t *in, EVP_PKEY *pkey, int32_t alg,
    const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len,
    wa_err_t *err)
{
    wa_rc_t  rc;

    if (pkey == NULL) {
        ERR_clear_error();
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].publicKey");
    }

    rc = wa_pkey_verify(pkey, alg, data, len, sig, sig_len,
                        in->policy->ber_signatures, NULL);

    switch (rc) {
    case WA_OK:
        return WA_OK;
    case WA_ERR_INTERNAL:
        return wa_fail(err, rc, "attStmt.sig");
    case WA_ERR_ALGORITHM_UNSUPPORTED:
        return wa_fail(err, rc, "attStmt.alg");
    default:
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID, "attStmt.sig");
    }
}


static wa_rc_t
wa_att_packed_x5c(const wa_att_input_t *in, int32_t alg,
    const uint8_t *sig, size_t sig_len, const cbor_item_t *x5c,
    const uint8_t *tbs, size_t tbs_len, wa_att_output_t *out, wa_err_t *err)
{
    X509             *leaf;
    wa_rc_t           rc;
    STACK_OF(X509)   *chain;

    rc = wa_x5c_parse(x5c, &chain, err);
    if (rc != WA_OK) {
        return rc;
    }

    leaf = sk_X509_value(chain, 0);

    rc = wa_att_sig_verify(in, X509_get0_pubkey(leaf), alg, tbs, tbs_len,
                           sig, sig_len, err);

    if (rc == WA_OK) {
        rc = wa_x509_check_packed(leaf, err);
    }

    if (rc == WA_OK) {
        rc = wa_x509_check_aaguid(leaf, in->ad->aaguid, err);
    }

    if (rc == WA_OK) {
        rc = wa_x5c_verify_chain(in->policy, chain, &out->trusted, err);
    }

    sk_X509_pop_free(chain, X509_free);

    if (rc == WA_OK) {
        out->type = WA_ATT_BASIC;
    }

    return rc;
}


wa_rc_t
wa_att_packed(const wa_att_input_t *in, wa_att_output_t *out, wa_err_t *err)
{
    size_t              tbs_len, sig_len;
    int64_t             alg;
    wa_rc_t             rc;
    uint8_t            *tbs;
    const uint8_t      *sig_p;
    cbor_item_t        *alg_item, *sig, *x5c;
    static const char  *names[] = { "alg", "sig", "x5c" };

    if (!cbor_isa_map(in->att_stmt) || !wa_stmt_only(in->att_stmt, names, 3)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.packed");
    }

    alg_item = wa_cbor_map_get_str(in->att_stmt, "alg");
    sig = wa_cbor_map_get_str(in->att_stmt, "sig");
    x5c = wa_cbor_map_get_str(in->att_stmt, "x5c");

    if (alg_item == NULL || wa_cbor_int(alg_item, &alg) != 0
        || alg < INT32_MIN || alg > INT32_MAX)
    {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");
    }

    if (wa_cbor_bytes(sig, WA_MAX_SIGNATURE, &sig_p, &sig_len) != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.sig");
    }

    tbs = wa_att_to_be_signed(in, &tbs_len);
    if (tbs == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.memory");
    }

    if (x5c != NULL) {
        rc = wa_att_packed_x5c(in, (int32_t) alg, sig_p, sig_len, x5c, tbs,
                               tbs_len, out, err);

    } else if (alg != wa_key_alg(in->cred_key)) {
        /* 8.2 self attestation: alg must be the credential's own. */
        rc = wa_fail(err, WA_ERR_ATTESTATION_INVALID, "attStmt.alg");

    } else {
        rc = wa_att_sig_verify(in, wa_key_pkey(in->cred_key), (int32_t) alg,
                               tbs, tbs_len, sig_p, sig_len, err);
        out->type = WA_ATT_SELF;
        out->trusted = 0;
    }

    free(tbs);

    return rc;
}


/* The credential key as the U2F raw form 0x04 || x || y (P-256 only). */
static wa_rc_t
wa_u2f_public_key(const wa_key_t *key, uint8_t out[65], wa_err_t *err)
{
    size_t  len;

    if (wa_key_alg(key) != WA_ALG_ES256
        || EVP_PKEY_get_octet_string_param(wa_key_pkey(key),
                                       OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                       out, 65, &len) != 1
        || len != 65 || out[0] != 0x04)
    {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.fido-u2f.credentialPublicKey");
    }

    return WA_OK;
}


wa_rc_t
wa_att_fido_u2f(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err)
{
    size_t              pos, sig_len;
    wa_rc_t             rc;
    const uint8_t      *sig_p;
    EVP_PKEY           *cert_key;
    cbor_item_t        *sig, *x5c;
    STACK_OF(X509)     *chain;
    static const char  *names[] = { "sig", "x5c" };
    uint8_t             data[1 + 32 + 32 + WA_MAX_CREDENTIAL_ID + 65];

    if (!cbor_isa_map(in->att_stmt) || !wa_stmt_only(in->att_stmt, names, 2)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.fido-u2f");
    }

    sig = wa_cbor_map_get_str(in->att_stmt, "sig");
    x5c = wa_cbor_map_get_str(in->att_stmt, "x5c");

    if (wa_cbor_bytes(sig, WA_MAX_SIGNATURE, &sig_p, &sig_len) != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.sig");
    }

    /* 8.6: exactly one certificate, with a P-256 key. */
    if (x5c == NULL || !cbor_isa_array(x5c) || cbor_array_size(x5c) != 1) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID, "attStmt.x5c");
    }

    rc = wa_x5c_parse(x5c, &chain, err);
    if (rc != WA_OK) {
        return rc;
    }

    cert_key = X509_get0_pubkey(sk_X509_value(chain, 0));

    if (cert_key == NULL || EVP_PKEY_get_base_id(cert_key) != EVP_PKEY_EC
        || EVP_PKEY_get_bits(cert_key) != 256)
    {
        rc = wa_fail(err, WA_ERR_ATTESTATION_INVALID, "attStmt.x5c[0].key");
        goto done;
    }

    /* verificationData = 0x00 || rpIdHash || clientDataHash || credentialId
     *                    || publicKeyU2F */
    pos = 0;
    data[pos++] = 0x00;
    memcpy(data + pos, in->ad->rp_id_hash, 32);
    pos += 32;
    memcpy(data + pos, in->client_data_hash, 32);
    pos += 32;
    memcpy(data + pos, in->ad->cred_id, in->ad->cred_id_len);
    pos += in->ad->cred_id_len;

    rc = wa_u2f_public_key(in->cred_key, data + pos, err);
    if (rc != WA_OK) {
        goto done;
    }
    pos += 65;

    rc = wa_att_sig_verify(in, cert_key, WA_ALG_ES256, data, pos, sig_p,
                           sig_len, err);

    if (rc == WA_OK) {
        rc = wa_x5c_verify_chain(in->policy, chain, &out->trusted, err);
    }

    if (rc == WA_OK) {
        out->type = WA_ATT_BASIC;
    }

done:

    sk_X509_pop_free(chain, X509_free);

    return rc;
}
