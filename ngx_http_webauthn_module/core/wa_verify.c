/*
 * The two ceremonies: registration (WebAuthn L3 7.1) and authentication
 * (7.2), in the spec's order, each step refusing with its own code.
 */

#include <stdlib.h>
#include <string.h>

#include "wa_internal.h"


static const struct {
    const char        *fmt;
    wa_att_verify_pt   verify;
} wa_att_formats[] = {
    { "none", wa_att_none },
    { "packed", wa_att_packed },
    { "fido-u2f", wa_att_fido_u2f },
    { "tpm", wa_att_tpm },
    { "android-key", wa_att_android_key },
    { "apple", wa_att_apple },
    { "compound", wa_att_compound },
};


wa_att_verify_pt
wa_att_find(const char *fmt, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(wa_att_formats) / sizeof(wa_att_formats[0]); i++) {
        if (strlen(wa_att_formats[i].fmt) == len
            && memcmp(wa_att_formats[i].fmt, fmt, len) == 0)
        {
            return wa_att_formats[i].verify;
        }
    }

    return NULL;
}


/* 8.7: "none" carries an empty statement. */
wa_rc_t
wa_att_none(const wa_att_input_t *in, wa_att_output_t *out, wa_err_t *err)
{
    if (!cbor_isa_map(in->att_stmt) || cbor_map_size(in->att_stmt) != 0) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID, "attStmt.none");
    }

    out->type = WA_ATT_NONE;
    out->trusted = 0;

    return WA_OK;
}


static int
wa_in_list(const char *s, const char *const *list, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (list[i] != NULL && strcmp(s, list[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Steps 7.1.5-7.1.11 and 7.2.10-7.2.15: clientDataJSON's type, challenge,
 * origin, crossOrigin and topOrigin, then its hash.  Origins are compared
 * exactly: scheme, host, port and case all count.
 */
static wa_rc_t
wa_client_data_verify(const wa_policy_t *pol, const wa_buf_t *json, int type,
    const uint8_t *challenge, size_t challenge_len, uint8_t hash[32],
    wa_err_t *err)
{
    wa_rc_t           rc;
    wa_client_data_t  cd;

    rc = wa_client_data_parse(json->data, json->len, &cd, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (cd.type != type) {
        rc = wa_fail(err, WA_ERR_TYPE_MISMATCH, "clientDataJSON.type");

    } else if (challenge == NULL || challenge_len == 0
               || !wa_ct_equal(cd.challenge.data, cd.challenge.len,
                               challenge, challenge_len))
    {
        rc = wa_fail(err, WA_ERR_CHALLENGE_MISMATCH,
                     "clientDataJSON.challenge");

    } else if (!wa_in_list(cd.origin, pol->origins, pol->n_origins)) {
        rc = wa_fail(err, WA_ERR_ORIGIN_MISMATCH, "clientDataJSON.origin");

    } else if (cd.cross_origin && !pol->allow_cross_origin) {
        rc = wa_fail(err, WA_ERR_CROSS_ORIGIN, "clientDataJSON.crossOrigin");

    } else if (cd.top_origin != NULL && !cd.cross_origin) {
        /* 5.8.1: topOrigin is only present in a cross-origin iframe. */
        rc = wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.topOrigin");

    } else if (cd.top_origin != NULL
               && !wa_in_list(cd.top_origin, pol->top_origins,
                              pol->n_top_origins))
    {
        rc = wa_fail(err, WA_ERR_TOP_ORIGIN_MISMATCH,
                     "clientDataJSON.topOrigin");

    } else if (cd.cross_origin && cd.top_origin == NULL
               && pol->require_top_origin)
    {
        /* Clients before Level 3 do not send topOrigin; an RP that must
         * know its embedder refuses them. */
        rc = wa_fail(err, WA_ERR_TOP_ORIGIN_MISMATCH,
                     "clientDataJSON.topOrigin");
    }

    wa_client_data_free(&cd);

    if (rc == WA_OK && wa_sha256(json->data, json->len, hash) != 0) {
        rc = wa_fail(err, WA_ERR_INTERNAL, "clientDataJSON.hash");
    }

    return rc;
}


/* Steps 7.1.15-7.1.18 and 7.2.16-7.2.19: the RP ID hash and the flags. */
static wa_rc_t
wa_auth_data_verify(const wa_policy_t *pol, const wa_auth_data_t *ad,
    wa_err_t *err)
{
    uint8_t  hash[32];

    if (wa_sha256((const uint8_t *) pol->rp_id, strlen(pol->rp_id), hash)
        != 0)
    {
        return wa_fail(err, WA_ERR_INTERNAL, "authenticatorData.rpIdHash");
    }

    if (!wa_ct_equal(ad->rp_id_hash, 32, hash, 32)) {
        return wa_fail(err, WA_ERR_RP_ID_MISMATCH,
                       "authenticatorData.rpIdHash");
    }

    if (!(ad->flags & WA_FLAG_UP)) {
        return wa_fail(err, WA_ERR_UP_MISSING, "authenticatorData.flags.UP");
    }

    if (pol->require_uv && !(ad->flags & WA_FLAG_UV)) {
        return wa_fail(err, WA_ERR_UV_REQUIRED, "authenticatorData.flags.UV");
    }

    return WA_OK;
}


static wa_rc_t
wa_policy_check(const wa_policy_t *pol, wa_err_t *err)
{
    if (pol == NULL || pol->rp_id == NULL || pol->rp_id[0] == '\0') {
        return wa_fail(err, WA_ERR_INTERNAL, "policy.rp_id");
    }

    return WA_OK;
}


static int
wa_alg_allowed(const wa_policy_t *pol, int32_t alg)
{
    size_t  i;

    if (pol->algorithms == NULL || pol->n_algorithms == 0) {
        return 1;
    }

    for (i = 0; i < pol->n_algorithms; i++) {
        if (pol->algorithms[i] == alg) {
            return 1;
        }
    }

    return 0;
}


/* The attestation object: a map of fmt, attStmt and authData.  Key order
 * is not enforced here (browsers build this map, not authenticators);
 * duplicates are. */
static wa_rc_t
wa_att_object_parse(const wa_buf_t *obj, cbor_item_t **root,
    cbor_item_t **fmt, cbor_item_t **stmt, cbor_item_t **auth_data,
    wa_err_t *err)
{
    wa_rc_t  rc;

    rc = wa_cbor_decode(obj->data, obj->len, 0, root, NULL, err);
    if (rc != WA_OK) {
        return rc;
    }

    *fmt = wa_cbor_map_get_str(*root, "fmt");
    *stmt = wa_cbor_map_get_str(*root, "attStmt");
    *auth_data = wa_cbor_map_get_str(*root, "authData");

    if (*fmt == NULL || !cbor_isa_string(*fmt)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attestationObject.fmt");
    }

    if (*stmt == NULL || !(cbor_isa_map(*stmt) || cbor_isa_array(*stmt))) {
        return wa_fail(err, WA_ERR_MALFORMED, "attestationObject.attStmt");
    }

    if (*auth_data == NULL || !cbor_isa_bytestring(*auth_data)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attestationObject.authData");
    }

    return WA_OK;
}


static wa_rc_t
wa_credential_fill(wa_credential_t *cred, const wa_auth_data_t *ad,
    const char *fmt, size_t fmt_len, wa_err_t *err)
{
    cred->cred_id.data = malloc(ad->cred_id_len);
    cred->public_key.data = malloc(ad->cose_key_len);

    if (cred->cred_id.data == NULL || cred->public_key.data == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "credential.memory");
    }

    memcpy(cred->cred_id.data, ad->cred_id, ad->cred_id_len);
    cred->cred_id.len = ad->cred_id_len;
    memcpy(cred->public_key.data, ad->cose_key, ad->cose_key_len);
    cred->public_key.len = ad->cose_key_len;
    memcpy(cred->aaguid, ad->aaguid, 16);
    cred->sign_count = ad->sign_count;
    cred->flags = ad->flags;

    if (fmt_len >= sizeof(cred->fmt)) {
        fmt_len = sizeof(cred->fmt) - 1;
    }
    memcpy(cred->fmt, fmt, fmt_len);
    cred->fmt[fmt_len] = '\0';

    return WA_OK;
}


static wa_rc_t
wa_registration_steps(const wa_policy_t *pol, const uint8_t *challenge,
    size_t challenge_len, const wa_registration_response_t *resp,
    wa_credential_t *cred, cbor_item_t **root, wa_err_t *err)
{
    size_t             fmt_len;
    wa_rc_t            rc;
    const char        *fmt;
    cbor_item_t       *fmt_item, *stmt, *ad_item;
    wa_auth_data_t     ad;
    wa_att_input_t     in;
    wa_att_output_t    out;
    wa_att_verify_pt   verify;
    uint8_t            hash[32];

    rc = wa_client_data_verify(pol, &resp->client_data_json,
                               WA_CEREMONY_CREATE, challenge, challenge_len,
                               hash, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (resp->attestation_object.len > WA_MAX_ATTESTATION_OBJECT) {
        return wa_fail(err, WA_ERR_TOO_LARGE, "attestationObject.size");
    }

    rc = wa_att_object_parse(&resp->attestation_object, root, &fmt_item,
                             &stmt, &ad_item, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_auth_data_parse(cbor_bytestring_handle(ad_item),
                            cbor_bytestring_length(ad_item), &ad, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (!(ad.flags & WA_FLAG_AT)) {
        return wa_fail(err, WA_ERR_MALFORMED, "authenticatorData.flags.AT");
    }

    /* which authenticator this says it is: kept even when a later step
     * fails (wa_verify_registration), for the caller's statistics */
    memcpy(cred->aaguid, ad.aaguid, 16);

    rc = wa_auth_data_verify(pol, &ad, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_key_from_cose(ad.cose_key, ad.cose_key_len, &cred->key, err);
    if (rc != WA_OK) {
        return rc;
    }

    cred->alg = wa_key_alg(cred->key);

    if (!wa_alg_allowed(pol, cred->alg)) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "policy.algorithms");
    }

    /* The id the client reported is the one the authenticator made. */
    if (!wa_ct_equal(ad.cred_id, ad.cred_id_len, resp->raw_id.data,
                     resp->raw_id.len))
    {
        return wa_fail(err, WA_ERR_CREDENTIAL_MISMATCH,
                       "authenticatorData.credentialId");
    }

    fmt = (const char *) cbor_string_handle(fmt_item);
    fmt_len = cbor_string_length(fmt_item);

    verify = wa_att_find(fmt, fmt_len);
    if (verify == NULL) {
        return wa_fail(err, WA_ERR_ATTESTATION_FORMAT, "attestationObject.fmt");
    }

    in.policy = pol;
    in.att_stmt = stmt;
    in.auth_data = cbor_bytestring_handle(ad_item);
    in.auth_data_len = cbor_bytestring_length(ad_item);
    in.ad = &ad;
    in.client_data_hash = hash;
    in.cred_key = cred->key;
    out.type = WA_ATT_NONE;
    out.trusted = 0;

    rc = verify(&in, &out, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (pol->require_trusted_attestation && !out.trusted) {
        return wa_fail(err, WA_ERR_ATTESTATION_UNTRUSTED, "attStmt.trust");
    }

    cred->att_type = out.type;
    cred->att_trusted = out.trusted;
    cred->transports = resp->transports;

    return wa_credential_fill(cred, &ad, fmt, fmt_len, err);
}


wa_rc_t
wa_verify_registration(const wa_policy_t *pol, const uint8_t *challenge,
    size_t challenge_len, const wa_registration_response_t *resp,
    wa_credential_t *cred, wa_err_t *err)
{
    wa_rc_t       rc;
    cbor_item_t  *root;
    uint8_t       aaguid[16];

    memset(cred, 0, sizeof(*cred));

    rc = wa_policy_check(pol, err);
    if (rc != WA_OK) {
        return rc;
    }

    root = NULL;
    rc = wa_registration_steps(pol, challenge, challenge_len, resp, cred,
                               &root, err);

    if (root != NULL) {
        cbor_decref(&root);
    }

    if (rc != WA_OK) {
        /* nothing of a refused credential stays, but its AAGUID */
        memcpy(aaguid, cred->aaguid, 16);
        wa_credential_free(cred);
        memcpy(cred->aaguid, aaguid, 16);
        return rc;
    }

    if (err != NULL) {
        err->rc = WA_OK;
        err->detail = NULL;
    }

    return WA_OK;
}


void
wa_credential_free(wa_credential_t *cred)
{
    free(cred->cred_id.data);
    free(cred->public_key.data);
    wa_key_free(cred->key);
    memset(cred, 0, sizeof(*cred));
}


/* 7.2 steps 5-6: which credential and whose. */
static wa_rc_t
wa_assertion_owner(const wa_assertion_response_t *resp,
    const wa_stored_credential_t *cred, wa_err_t *err)
{
    if (cred->cred_id != NULL
        && !wa_ct_equal(resp->raw_id.data, resp->raw_id.len, cred->cred_id,
                        cred->cred_id_len))
    {
        return wa_fail(err, WA_ERR_CREDENTIAL_UNKNOWN, "rawId");
    }

    if (cred->user_handle_required && cred->user_handle == NULL) {
        /* A caller that asks for the check must say whose handle. */
        return wa_fail(err, WA_ERR_INTERNAL, "credential.user_handle");
    }

    if (resp->user_handle.len == 0) {
        return cred->user_handle_required
               ? wa_fail(err, WA_ERR_USER_MISMATCH, "response.userHandle")
               : WA_OK;
    }

    if (cred->user_handle != NULL
        && !wa_ct_equal(resp->user_handle.data, resp->user_handle.len,
                        cred->user_handle, cred->user_handle_len))
    {
        return wa_fail(err, WA_ERR_USER_MISMATCH, "response.userHandle");
    }

    return WA_OK;
}


wa_rc_t
wa_verify_assertion(const wa_policy_t *pol, const uint8_t *challenge,
    size_t challenge_len, const wa_assertion_response_t *resp,
    const wa_stored_credential_t *cred, wa_assertion_result_t *res,
    wa_err_t *err)
{
    int             be;
    wa_rc_t         rc;
    uint8_t        *signed_data;
    size_t          n;
    wa_auth_data_t  ad;
    uint8_t         hash[32];
    uint8_t         buf[512];

    rc = wa_policy_check(pol, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (cred == NULL || cred->key == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "credential.key");
    }

    rc = wa_assertion_owner(resp, cred, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_client_data_verify(pol, &resp->client_data_json, WA_CEREMONY_GET,
                               challenge, challenge_len, hash, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_auth_data_parse(resp->authenticator_data.data,
                            resp->authenticator_data.len, &ad, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (ad.flags & WA_FLAG_AT) {
        return wa_fail(err, WA_ERR_MALFORMED, "authenticatorData.flags.AT");
    }

    rc = wa_auth_data_verify(pol, &ad, err);
    if (rc != WA_OK) {
        return rc;
    }

    /* 7.2.18: backup eligibility is fixed when the credential is made. */
    be = (ad.flags & WA_FLAG_BE) ? 1 : 0;
    if (cred->backup_eligible >= 0 && be != cred->backup_eligible) {
        return wa_fail(err, WA_ERR_BACKUP_ELIGIBILITY,
                       "authenticatorData.flags.BE");
    }

    /* 7.2.20-21: the signature over authenticatorData || hash. */
    n = resp->authenticator_data.len + 32;
    signed_data = n <= sizeof(buf) ? buf : malloc(n);
    if (signed_data == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "signature.memory");
    }

    memcpy(signed_data, resp->authenticator_data.data,
           resp->authenticator_data.len);
    memcpy(signed_data + resp->authenticator_data.len, hash, 32);

    rc = wa_key_verify(cred->key, signed_data, n, resp->signature.data,
                       resp->signature.len, pol->ber_signatures, err);

    if (signed_data != buf) {
        free(signed_data);
    }

    if (rc != WA_OK) {
        return rc;
    }

    /* 7.2.22: zero on both sides means the authenticator keeps no counter
     * (synced passkeys); otherwise it must move forward. */
    if ((ad.sign_count != 0 || cred->sign_count != 0)
        && ad.sign_count <= cred->sign_count)
    {
        return wa_fail(err, WA_ERR_COUNTER_REGRESSION,
                       "authenticatorData.signCount");
    }

    res->sign_count = ad.sign_count;
    res->flags = ad.flags;

    if (err != NULL) {
        err->rc = WA_OK;
        err->detail = NULL;
    }

    return WA_OK;
}
