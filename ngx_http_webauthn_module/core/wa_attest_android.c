/*
 * The "android-key" attestation statement format (WebAuthn L3 8.4).
 *
 * Android Keystore signs authenticatorData || clientDataHash with the
 * credential key itself and proves where that key lives with a
 * certificate chain whose leaf carries the Android key attestation
 * extension, 1.3.6.1.4.1.11129.2.1.17, a DER KeyDescription:
 *
 *   KeyDescription ::= SEQUENCE {
 *       attestationVersion         INTEGER,
 *       attestationSecurityLevel   ENUMERATED,
 *       keyMintVersion             INTEGER,
 *       keyMintSecurityLevel       ENUMERATED,
 *       attestationChallenge       OCTET STRING,
 *       uniqueId                   OCTET STRING,
 *       softwareEnforced           AuthorizationList,
 *       hardwareEnforced           AuthorizationList }
 *
 *   AuthorizationList ::= SEQUENCE {
 *       purpose          [1]   EXPLICIT SET OF INTEGER OPTIONAL,
 *       ...
 *       allApplications  [600] EXPLICIT NULL OPTIONAL,
 *       ...
 *       origin           [702] EXPLICIT INTEGER OPTIONAL,
 *       ... }
 *
 * (source.android.com, "Key and ID attestation", schema; hardwareEnforced
 * is the spec's "teeEnforced").  Only the fields WebAuthn checks are
 * interpreted; every other element is still walked as well-formed DER.
 */

#include <string.h>

#include <openssl/err.h>

#include "wa_internal.h"
#include "wa_der.h"


/* 1.3.6.1.4.1.11129.2.1.17 */
static const uint8_t  wa_oid_android_key[] = {
    0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11
};

#define WA_KM_TAG_PURPOSE           1
#define WA_KM_TAG_ALL_APPLICATIONS  600
#define WA_KM_TAG_ORIGIN            702

#define WA_KM_ORIGIN_GENERATED      0
#define WA_KM_PURPOSE_SIGN          2

/* Bounds: no real list comes near them. */
#define WA_KM_MAX_TAGS              128
#define WA_KM_MAX_PURPOSES          16


/* What one AuthorizationList says about the fields WebAuthn checks. */
typedef struct {
    int         all_applications;       /* [600] present */
    int         origin_present;
    uint32_t    origin;
    int         purpose_present;
    int         purpose_sign;           /* KM_PURPOSE_SIGN in the set */
} wa_km_list_t;

typedef struct {
    const uint8_t  *challenge;          /* borrows the extension */
    size_t          challenge_len;
    wa_km_list_t    sw;                 /* softwareEnforced */
    wa_km_list_t    tee;                /* hardwareEnforced (teeEnforced) */
} wa_key_description_t;


/* [1] purpose: SET OF INTEGER, each a small non-negative value. */
static int
wa_km_purpose(const wa_der_tlv_t *inner, wa_km_list_t *list)
{
    wa_der_t      r;
    wa_der_tlv_t  t;
    uint32_t      v;
    size_t        n;

    if (inner->cls != WA_DER_UNIVERSAL || !inner->constructed
        || inner->tag != WA_DER_SET)
    {
        return -1;
    }

    wa_der_init(&r, inner->val, inner->len);

    for (n = 0; !wa_der_done(&r); n++) {
        if (n == WA_KM_MAX_PURPOSES
            || wa_der_expect(&r, WA_DER_UNIVERSAL, 0, WA_DER_INTEGER, &t) != 0
            || wa_der_uint32(&t, &v) != 0)
        {
            return -1;
        }

        if (v == WA_KM_PURPOSE_SIGN) {
            list->purpose_sign = 1;
        }
    }

    list->purpose_present = 1;

    return 0;
}


/*
 * An AuthorizationList: a SEQUENCE of context-specific EXPLICIT tags,
 * each wrapping exactly one element.  A tag seen twice is refused: two
 * copies of origin or purpose could disagree, and readers would pick
 * different ones.  Tag order is not enforced; devices differ there.
 */
static int
wa_km_list(const wa_der_tlv_t *seq, wa_km_list_t *list)
{
    wa_der_t      r, w;
    wa_der_tlv_t  t, inner;
    uint32_t      seen[WA_KM_MAX_TAGS];
    size_t        n, i;

    memset(list, 0, sizeof(*list));

    wa_der_init(&r, seq->val, seq->len);

    for (n = 0; !wa_der_done(&r); n++) {
        if (n == WA_KM_MAX_TAGS || wa_der_next(&r, &t) != 0
            || t.cls != WA_DER_CONTEXT || !t.constructed)
        {
            return -1;
        }

        for (i = 0; i < n; i++) {
            if (seen[i] == t.tag) {
                return -1;
            }
        }
        seen[n] = t.tag;

        /* EXPLICIT: exactly one inner TLV */
        wa_der_init(&w, t.val, t.len);
        if (wa_der_next(&w, &inner) != 0 || !wa_der_done(&w)) {
            return -1;
        }

        switch (t.tag) {

        case WA_KM_TAG_PURPOSE:
            if (wa_km_purpose(&inner, list) != 0) {
                return -1;
            }
            break;

        case WA_KM_TAG_ALL_APPLICATIONS:
            if (inner.cls != WA_DER_UNIVERSAL || inner.constructed
                || inner.tag != WA_DER_NULL || inner.len != 0)
            {
                return -1;
            }
            list->all_applications = 1;
            break;

        case WA_KM_TAG_ORIGIN:
            if (inner.cls != WA_DER_UNIVERSAL || inner.constructed
                || inner.tag != WA_DER_INTEGER
                || wa_der_uint32(&inner, &list->origin) != 0)
            {
                return -1;
            }
            list->origin_present = 1;
            break;

        default:
            break;
        }
    }

    return 0;
}


/* A primitive universal INTEGER or ENUMERATED, minimally encoded. */
static int
wa_km_int(wa_der_t *r, uint32_t tag)
{
    wa_der_tlv_t  t;

    if (wa_der_expect(r, WA_DER_UNIVERSAL, 0, tag, &t) != 0) {
        return -1;
    }

    return wa_der_int_check(&t);
}


/*
 * The whole KeyDescription, strictly: the eight fields in order, nothing
 * after them, nothing after the SEQUENCE.
 */
static wa_rc_t
wa_key_description_parse(const uint8_t *p, size_t len,
    wa_key_description_t *kd, wa_err_t *err)
{
    wa_der_t      top, r;
    wa_der_tlv_t  seq, t;

    memset(kd, 0, sizeof(*kd));

    wa_der_init(&top, p, len);

    if (wa_der_expect(&top, WA_DER_UNIVERSAL, 1, WA_DER_SEQUENCE, &seq) != 0
        || !wa_der_done(&top))
    {
        goto malformed;
    }

    wa_der_init(&r, seq.val, seq.len);

    if (wa_km_int(&r, WA_DER_INTEGER) != 0          /* attestationVersion */
        || wa_km_int(&r, WA_DER_ENUMERATED) != 0    /* attestationSecLevel */
        || wa_km_int(&r, WA_DER_INTEGER) != 0       /* keyMintVersion */
        || wa_km_int(&r, WA_DER_ENUMERATED) != 0)   /* keyMintSecLevel */
    {
        goto malformed;
    }

    if (wa_der_expect(&r, WA_DER_UNIVERSAL, 0, WA_DER_OCTET_STRING, &t) != 0)
    {
        goto malformed;
    }
    kd->challenge = t.val;
    kd->challenge_len = t.len;

    /* uniqueId */
    if (wa_der_expect(&r, WA_DER_UNIVERSAL, 0, WA_DER_OCTET_STRING, &t) != 0)
    {
        goto malformed;
    }

    if (wa_der_expect(&r, WA_DER_UNIVERSAL, 1, WA_DER_SEQUENCE, &t) != 0
        || wa_km_list(&t, &kd->sw) != 0)
    {
        goto malformed;
    }

    if (wa_der_expect(&r, WA_DER_UNIVERSAL, 1, WA_DER_SEQUENCE, &t) != 0
        || wa_km_list(&t, &kd->tee) != 0)
    {
        goto malformed;
    }

    if (!wa_der_done(&r)) {
        goto malformed;
    }

    return WA_OK;

malformed:

    return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                   "attStmt.x5c[0].keyDescription");
}


/*
 * 8.4 verification, steps on the extension data:
 *  - attestationChallenge is identical to clientDataHash;
 *  - allApplications is present in neither list (the key must be scoped
 *    to the RP ID);
 *  - origin is KM_ORIGIN_GENERATED and purpose is KM_PURPOSE_SIGN, using
 *    the union of teeEnforced and softwareEnforced.  This core does not
 *    offer the spec's TEE-only option: an RP wanting hardware-backed keys
 *    should pin the hardware attestation roots.  Every origin present
 *    must say GENERATED; a purpose list present must include SIGN.  Both
 *    absent from both lists is accepted, as the spec's own android-key
 *    test vector has two empty lists.
 */
static wa_rc_t
wa_key_description_check(const wa_key_description_t *kd,
    const uint8_t *client_data_hash, wa_err_t *err)
{
    if (!wa_ct_equal(kd->challenge, kd->challenge_len, client_data_hash, 32))
    {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].attestationChallenge");
    }

    if (kd->sw.all_applications || kd->tee.all_applications) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].allApplications");
    }

    if ((kd->sw.origin_present && kd->sw.origin != WA_KM_ORIGIN_GENERATED)
        || (kd->tee.origin_present
            && kd->tee.origin != WA_KM_ORIGIN_GENERATED))
    {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].origin");
    }

    if ((kd->sw.purpose_present || kd->tee.purpose_present)
        && !kd->sw.purpose_sign && !kd->tee.purpose_sign)
    {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].purpose");
    }

    return WA_OK;
}


/* The extension out of the leaf, then parsed and checked. */
static wa_rc_t
wa_android_check_ext(X509 *leaf, const uint8_t *client_data_hash,
    wa_err_t *err)
{
    wa_key_description_t   kd;
    const uint8_t         *v;
    size_t                 len;
    int                    found, critical;
    wa_rc_t                rc;

    found = wa_x509_ext_find(leaf, wa_oid_android_key,
                             sizeof(wa_oid_android_key), &v, &len,
                             &critical);
    if (found != 1) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].keyDescription");
    }

    rc = wa_key_description_parse(v, len, &kd, err);
    if (rc != WA_OK) {
        return rc;
    }

    return wa_key_description_check(&kd, client_data_hash, err);
}



/*
 * sig over authenticatorData || clientDataHash with the leaf's key
 * (8.4 step 2).  A signature that does not verify is an invalid
 * attestation, not the ceremony's signature_invalid.
 */
static wa_rc_t
wa_android_check_sig(const wa_att_input_t *in, X509 *leaf, int32_t alg,
    const uint8_t *sig, size_t sig_len, wa_err_t *err)
{
    size_t    tbs_len;
    uint8_t  *tbs;
    wa_rc_t   rc;

    tbs = wa_att_to_be_signed(in, &tbs_len);
    if (tbs == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.sig");
    }

    rc = wa_att_sig_verify(in, X509_get0_pubkey(leaf), alg, tbs, tbs_len,
                           sig, sig_len, err);
    free(tbs);

    return rc;
}


/*
 * WebAuthn L3 8.4 verification procedure: syntax (exactly alg, sig, x5c),
 * signature, key match, extension, then the trust path.
 */
wa_rc_t
wa_att_android_key(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err)
{
    const cbor_item_t  *st = in->att_stmt;
    cbor_item_t        *alg_it, *sig_it, *x5c;
    STACK_OF(X509)     *chain;
    X509               *leaf;
    const uint8_t      *sig;
    size_t              sig_len;
    int64_t             alg;
    int                 trusted;
    wa_rc_t             rc;

    if (st == NULL || !cbor_isa_map(st) || !cbor_map_is_definite(st)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt");
    }

    alg_it = wa_cbor_map_get_str(st, "alg");
    sig_it = wa_cbor_map_get_str(st, "sig");
    x5c = wa_cbor_map_get_str(st, "x5c");

    if (alg_it == NULL || wa_cbor_int(alg_it, &alg) != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.alg");
    }
    if (wa_cbor_bytes(sig_it, WA_MAX_SIGNATURE, &sig, &sig_len) != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.sig");
    }
    if (x5c == NULL) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }
    if (cbor_map_size(st) != 3) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt");
    }

    /* RS1 is for TPM and packed statements only (wa.h) */
    if (alg < INT32_MIN || alg > INT32_MAX || alg == WA_ALG_RS1
        || !wa_alg_supported((int32_t) alg))
    {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");
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

    rc = wa_android_check_sig(in, leaf, (int32_t) alg, sig, sig_len, err);

    if (rc == WA_OK && !wa_x509_key_matches(leaf, in->cred_key)) {
        rc = wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                     "attStmt.x5c[0].publicKey");
    }

    if (rc == WA_OK) {
        rc = wa_android_check_ext(leaf, in->client_data_hash, err);
    }

    if (rc == WA_OK) {
        rc = wa_x5c_verify_chain(in->policy, chain, &trusted, err);
    }

    sk_X509_pop_free(chain, X509_free);

    if (rc != WA_OK) {
        return rc;
    }

    out->type = WA_ATT_BASIC;
    out->trusted = trusted;

    return WA_OK;
}
