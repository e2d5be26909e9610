/*
 * The "tpm" attestation statement format (WebAuthn L3 8.3).
 *
 * The TPM certifies the credential key (pubArea, a TPMT_PUBLIC) with its
 * attestation identity key: certInfo is a TPMS_ATTEST whose extraData is
 * the hash of authenticatorData || clientDataHash and whose attested name
 * is the TPM Name of pubArea; sig is the AIK's signature over certInfo;
 * x5c[0] is the AIK certificate (8.3.1).
 *
 * Both TPM structures are big-endian, length-prefixed and parsed here
 * strictly: every size within its parent, every union arm known, nothing
 * left over.  References: TPM 2.0 Library Part 2 (Structures), 10.12.8
 * TPMS_ATTEST, 12.2.4 TPMT_PUBLIC.
 */

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509v3.h>

#include "wa_internal.h"
#include "wa_der.h"


/* TPM_ALG_ID values (Part 2, 6.3). */
#define TPM_ALG_RSA             0x0001
#define TPM_ALG_SHA1            0x0004
#define TPM_ALG_AES             0x0006
#define TPM_ALG_MGF1            0x0007
#define TPM_ALG_SHA256          0x000b
#define TPM_ALG_SHA384          0x000c
#define TPM_ALG_SHA512          0x000d
#define TPM_ALG_NULL            0x0010
#define TPM_ALG_SM4             0x0013
#define TPM_ALG_RSASSA          0x0014
#define TPM_ALG_RSAES           0x0015
#define TPM_ALG_RSAPSS          0x0016
#define TPM_ALG_OAEP            0x0017
#define TPM_ALG_ECDSA           0x0018
#define TPM_ALG_ECDH            0x0019
#define TPM_ALG_ECDAA           0x001a
#define TPM_ALG_SM2             0x001b
#define TPM_ALG_ECSCHNORR       0x001c
#define TPM_ALG_ECMQV           0x001d
#define TPM_ALG_KDF1_SP800_56A  0x0020
#define TPM_ALG_KDF2            0x0021
#define TPM_ALG_KDF1_SP800_108  0x0022
#define TPM_ALG_ECC             0x0023
#define TPM_ALG_CAMELLIA        0x0026

/* TPM_ECC_CURVE values (Part 2, 6.4). */
#define TPM_ECC_NIST_P256       0x0003
#define TPM_ECC_NIST_P384       0x0004
#define TPM_ECC_NIST_P521       0x0005

#define TPM_GENERATED_VALUE     0xff544347u
#define TPM_ST_ATTEST_CERTIFY   0x8017

/* The largest RSA modulus accepted (8192 bits) and digest (SHA-512). */
#define WA_TPM_MAX_MODULUS      1024
#define WA_TPM_MAX_DIGEST       64

/* Bounds on the attStmt byte strings, far above any real TPM's. */
#define WA_TPM_MAX_PUB_AREA     2048
#define WA_TPM_MAX_CERT_INFO    1024


/* tcg-at-tpmManufacturer, tcg-at-tpmModel, tcg-at-tpmVersion, 2.23.133.2.x
 * and tcg-kp-AIKCertificate 2.23.133.8.3, as OID contents octets. */
static const uint8_t  wa_oid_tpm_manufacturer[] = {
    0x67, 0x81, 0x05, 0x02, 0x01
};
static const uint8_t  wa_oid_tpm_model[] = { 0x67, 0x81, 0x05, 0x02, 0x02 };
static const uint8_t  wa_oid_tpm_version[] = { 0x67, 0x81, 0x05, 0x02, 0x03 };
static const uint8_t  wa_oid_tcg_kp_aik[] = { 0x67, 0x81, 0x05, 0x08, 0x03 };


typedef struct {
    const uint8_t  *p;
    size_t          left;
} wa_tpm_rd_t;

/* TPMT_PUBLIC, the parts that matter here (pointers borrow pubArea). */
typedef struct {
    uint16_t        type;
    uint16_t        name_alg;
    uint32_t        object_attributes;
    uint16_t        curve;                  /* ECC */
    uint16_t        key_bits;               /* RSA */
    uint32_t        exponent;               /* RSA, 0 already mapped */
    const uint8_t  *n;                      /* RSA modulus */
    size_t          n_len;
    const uint8_t  *x;                      /* ECC point */
    size_t          x_len;
    const uint8_t  *y;
    size_t          y_len;
} wa_tpm_public_t;

/* TPMS_ATTEST with a TPMS_CERTIFY_INFO arm (pointers borrow certInfo). */
typedef struct {
    uint32_t        magic;
    uint16_t        type;
    const uint8_t  *extra_data;
    size_t          extra_data_len;
    const uint8_t  *name;
    size_t          name_len;
    const uint8_t  *qualified_name;
    size_t          qualified_name_len;
} wa_tpm_attest_t;


/* Big-endian fixed-size reads, each refusing to run past the input. */
static int
wa_tpm_u16(wa_tpm_rd_t *r, uint16_t *v)
{
    if (r->left < 2) {
        return -1;
    }
    *v = (uint16_t) ((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    r->left -= 2;
    return 0;
}


static int
wa_tpm_u32(wa_tpm_rd_t *r, uint32_t *v)
{
    if (r->left < 4) {
        return -1;
    }
    *v = ((uint32_t) r->p[0] << 24) | ((uint32_t) r->p[1] << 16)
         | ((uint32_t) r->p[2] << 8) | (uint32_t) r->p[3];
    r->p += 4;
    r->left -= 4;
    return 0;
}


static int
wa_tpm_skip(wa_tpm_rd_t *r, size_t n)
{
    if (r->left < n) {
        return -1;
    }
    r->p += n;
    r->left -= n;
    return 0;
}


/* A TPM2B: 16-bit size, then that many octets, at most max. */
static int
wa_tpm_sized(wa_tpm_rd_t *r, size_t max, const uint8_t **p, size_t *len)
{
    uint16_t  n;

    if (wa_tpm_u16(r, &n) != 0 || n > max || r->left < n) {
        return -1;
    }
    *p = r->p;
    *len = n;
    r->p += n;
    r->left -= n;
    return 0;
}


/* The digest a TPM_ALG_ID names (nameAlg), or NULL. */
static const EVP_MD *
wa_tpm_md(uint16_t alg)
{
    switch (alg) {
    case TPM_ALG_SHA1:
        return EVP_sha1();
    case TPM_ALG_SHA256:
        return EVP_sha256();
    case TPM_ALG_SHA384:
        return EVP_sha384();
    case TPM_ALG_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}


/* TPMT_SYM_DEF_OBJECT: an algorithm, then keyBits and mode unless NULL. */
static int
wa_tpm_sym_def(wa_tpm_rd_t *r)
{
    uint16_t  alg;

    if (wa_tpm_u16(r, &alg) != 0) {
        return -1;
    }

    switch (alg) {
    case TPM_ALG_NULL:
        return 0;
    case TPM_ALG_AES:
    case TPM_ALG_SM4:
    case TPM_ALG_CAMELLIA:
        return wa_tpm_skip(r, 4);
    default:
        return -1;
    }
}


/* Which union a scheme selector belongs to. */
#define WA_TPM_RSA_SCHEME  1
#define WA_TPM_ECC_SCHEME  2
#define WA_TPM_KDF_SCHEME  3

/*
 * TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME: a selector, then
 * the arm's details (a hash algorithm; ECDAA adds a count).  A selector
 * that is not an arm of the expected union has no defined layout there
 * and is refused.
 */
static int
wa_tpm_scheme(wa_tpm_rd_t *r, int kind)
{
    uint16_t  scheme;

    if (wa_tpm_u16(r, &scheme) != 0) {
        return -1;
    }

    if (scheme == TPM_ALG_NULL) {
        return 0;
    }

    switch (kind) {

    case WA_TPM_RSA_SCHEME:
        switch (scheme) {
        case TPM_ALG_RSAES:
            return 0;
        case TPM_ALG_RSASSA:
        case TPM_ALG_RSAPSS:
        case TPM_ALG_OAEP:
            return wa_tpm_skip(r, 2);
        default:
            return -1;
        }

    case WA_TPM_ECC_SCHEME:
        switch (scheme) {
        case TPM_ALG_ECDSA:
        case TPM_ALG_ECDH:
        case TPM_ALG_SM2:
        case TPM_ALG_ECSCHNORR:
        case TPM_ALG_ECMQV:
            return wa_tpm_skip(r, 2);
        case TPM_ALG_ECDAA:
            return wa_tpm_skip(r, 4);
        default:
            return -1;
        }

    default:
        switch (scheme) {
        case TPM_ALG_MGF1:
        case TPM_ALG_KDF1_SP800_56A:
        case TPM_ALG_KDF2:
        case TPM_ALG_KDF1_SP800_108:
            return wa_tpm_skip(r, 2);
        default:
            return -1;
        }
    }
}


/* Octets of a coordinate on a TPM_ECC_CURVE, 0 when not supported. */
static size_t
wa_tpm_curve_bytes(uint16_t curve)
{
    switch (curve) {
    case TPM_ECC_NIST_P256:
        return 32;
    case TPM_ECC_NIST_P384:
        return 48;
    case TPM_ECC_NIST_P521:
        return 66;
    default:
        return 0;
    }
}


/*
 * pubArea (8.3 "pubArea"): TPMT_PUBLIC = type, nameAlg, objectAttributes,
 * authPolicy, parameters (TPMS_RSA_PARMS or TPMS_ECC_PARMS), unique
 * (TPM2B_PUBLIC_KEY_RSA or TPMS_ECC_POINT).  Only RSA and ECC keys can be
 * WebAuthn credentials.
 */
static wa_rc_t
wa_tpm_parse_public(const uint8_t *p, size_t len, wa_tpm_public_t *pub,
    wa_err_t *err)
{
    wa_tpm_rd_t     r = { p, len };
    const uint8_t  *policy;
    size_t          policy_len, coord;

    memset(pub, 0, sizeof(*pub));

    if (wa_tpm_u16(&r, &pub->type) != 0
        || wa_tpm_u16(&r, &pub->name_alg) != 0
        || wa_tpm_u32(&r, &pub->object_attributes) != 0
        || wa_tpm_sized(&r, WA_TPM_MAX_DIGEST, &policy, &policy_len) != 0)
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea");
    }

    if (pub->type != TPM_ALG_RSA && pub->type != TPM_ALG_ECC) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED,
                       "attStmt.pubArea.type");
    }

    if (wa_tpm_md(pub->name_alg) == NULL) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED,
                       "attStmt.pubArea.nameAlg");
    }

    if (wa_tpm_sym_def(&r) != 0
        || wa_tpm_scheme(&r, pub->type == TPM_ALG_RSA ? WA_TPM_RSA_SCHEME
                                                      : WA_TPM_ECC_SCHEME)
           != 0)
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea.parameters");
    }

    if (pub->type == TPM_ALG_RSA) {
        /* TPMS_RSA_PARMS: symmetric, scheme, keyBits, exponent */
        if (wa_tpm_u16(&r, &pub->key_bits) != 0
            || wa_tpm_u32(&r, &pub->exponent) != 0)
        {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "attStmt.pubArea.parameters");
        }

        /* Part 2 12.2.3.5: zero selects the default exponent 2^16 + 1 */
        if (pub->exponent == 0) {
            pub->exponent = 65537;
        }

        if (wa_tpm_sized(&r, WA_TPM_MAX_MODULUS, &pub->n, &pub->n_len) != 0
            || pub->n_len == 0)
        {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea.unique");
        }

        if (pub->n_len * 8 != pub->key_bits) {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea.unique");
        }

    } else {
        /* TPMS_ECC_PARMS: symmetric, scheme, curveID, kdf */
        if (wa_tpm_u16(&r, &pub->curve) != 0
            || wa_tpm_scheme(&r, WA_TPM_KDF_SCHEME) != 0)
        {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "attStmt.pubArea.parameters");
        }

        coord = wa_tpm_curve_bytes(pub->curve);
        if (coord == 0) {
            return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED,
                           "attStmt.pubArea.curveID");
        }

        /* TPMS_ECC_POINT: two TPM2B_ECC_PARAMETERs, at most curve size */
        if (wa_tpm_sized(&r, coord, &pub->x, &pub->x_len) != 0
            || wa_tpm_sized(&r, coord, &pub->y, &pub->y_len) != 0
            || pub->x_len == 0 || pub->y_len == 0)
        {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea.unique");
        }
    }

    if (r.left != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea");
    }

    return WA_OK;
}


/*
 * certInfo (8.3 "certInfo"): TPMS_ATTEST = magic, type, qualifiedSigner,
 * extraData, clockInfo (clock 8, resetCount 4, restartCount 4, safe 1),
 * firmwareVersion 8, attested; for TPM_ST_ATTEST_CERTIFY the attested arm
 * is TPMS_CERTIFY_INFO = name, qualifiedName.
 */
static wa_rc_t
wa_tpm_parse_attest(const uint8_t *p, size_t len, wa_tpm_attest_t *att,
    wa_err_t *err)
{
    wa_tpm_rd_t     r = { p, len };
    const uint8_t  *signer;
    size_t          signer_len;

    memset(att, 0, sizeof(*att));

    if (wa_tpm_u32(&r, &att->magic) != 0 || wa_tpm_u16(&r, &att->type) != 0)
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.certInfo");
    }

    if (att->magic != TPM_GENERATED_VALUE) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.certInfo.magic");
    }

    if (att->type != TPM_ST_ATTEST_CERTIFY) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.certInfo.type");
    }

    /* a TPM2B_NAME holds a handle (4) or nameAlg (2) plus a digest */
    if (wa_tpm_sized(&r, 2 + WA_TPM_MAX_DIGEST, &signer, &signer_len) != 0
        || wa_tpm_sized(&r, WA_TPM_MAX_DIGEST, &att->extra_data,
                        &att->extra_data_len) != 0
        || wa_tpm_skip(&r, 17) != 0
        || wa_tpm_skip(&r, 8) != 0
        || wa_tpm_sized(&r, 2 + WA_TPM_MAX_DIGEST, &att->name,
                        &att->name_len) != 0
        || wa_tpm_sized(&r, 2 + WA_TPM_MAX_DIGEST, &att->qualified_name,
                        &att->qualified_name_len) != 0)
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.certInfo");
    }

    if (r.left != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.certInfo");
    }

    return WA_OK;
}


/* Big-endian n octets, left-padded to width (n <= width checked). */
static void
wa_tpm_pad(uint8_t *out, size_t width, const uint8_t *p, size_t n)
{
    memset(out, 0, width - n);
    memcpy(out + width - n, p, n);
}


/* An EVP_PKEY from the key that pubArea describes. */
static wa_rc_t
wa_tpm_public_pkey(const wa_tpm_public_t *pub, EVP_PKEY **out,
    wa_err_t *err)
{
    OSSL_PARAM_BLD  *bld;
    OSSL_PARAM      *params;
    EVP_PKEY_CTX    *pctx;
    BIGNUM          *n, *e;
    const char      *group, *type;
    uint8_t          point[1 + 2 * 66];
    size_t           coord;
    int              ok;

    *out = NULL;
    n = NULL;
    e = NULL;
    params = NULL;
    pctx = NULL;

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.pubArea");
    }

    if (pub->type == TPM_ALG_RSA) {
        type = "RSA";
        n = BN_bin2bn(pub->n, (int) pub->n_len, NULL);
        e = BN_new();
        ok = n != NULL && e != NULL
             && BN_set_word(e, pub->exponent)
             && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
             && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);

    } else {
        type = "EC";
        coord = wa_tpm_curve_bytes(pub->curve);
        group = pub->curve == TPM_ECC_NIST_P256 ? "P-256"
                : pub->curve == TPM_ECC_NIST_P384 ? "P-384" : "P-521";

        point[0] = 0x04;
        wa_tpm_pad(point + 1, coord, pub->x, pub->x_len);
        wa_tpm_pad(point + 1 + coord, coord, pub->y, pub->y_len);

        ok = OSSL_PARAM_BLD_push_utf8_string(bld,
                                             OSSL_PKEY_PARAM_GROUP_NAME,
                                             group, 0)
             && OSSL_PARAM_BLD_push_octet_string(bld,
                                                 OSSL_PKEY_PARAM_PUB_KEY,
                                                 point, 1 + 2 * coord);
    }

    if (ok) {
        params = OSSL_PARAM_BLD_to_param(bld);
        pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        ok = params != NULL && pctx != NULL
             && EVP_PKEY_fromdata_init(pctx) == 1
             && EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, params)
                == 1;
    }

    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);

    if (!ok) {
        /* an off-curve point lands here too: not the credential key */
        ERR_clear_error();
        EVP_PKEY_free(*out);
        *out = NULL;
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.pubArea.unique");
    }

    return WA_OK;
}


/*
 * 8.3 verification: "Verify that the public key specified by the
 * parameters and unique fields of pubArea is identical to the
 * credentialPublicKey in the attestedCredentialData in authenticatorData."
 */
static wa_rc_t
wa_tpm_check_key(const wa_tpm_public_t *pub, const wa_key_t *cred,
    wa_err_t *err)
{
    EVP_PKEY  *pk, *ck;
    wa_rc_t    rc;
    int        eq;

    ck = wa_key_pkey(cred);
    if (ck == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.pubArea");
    }

    rc = wa_tpm_public_pkey(pub, &pk, err);
    if (rc != WA_OK) {
        return rc;
    }

    eq = EVP_PKEY_eq(pk, ck);
    EVP_PKEY_free(pk);
    ERR_clear_error();

    if (eq != 1) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.pubArea.unique");
    }

    return WA_OK;
}


/* digest(a || b) into out (EVP_MAX_MD_SIZE), its length into *out_len. */
static int
wa_tpm_digest2(const EVP_MD *md, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *out, unsigned *out_len)
{
    EVP_MD_CTX  *ctx;
    int          ok;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    ok = EVP_DigestInit_ex(ctx, md, NULL) == 1
         && EVP_DigestUpdate(ctx, a, alen) == 1
         && (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1)
         && EVP_DigestFinal_ex(ctx, out, out_len) == 1;

    EVP_MD_CTX_free(ctx);

    if (!ok) {
        ERR_clear_error();
        return -1;
    }

    return 0;
}


/*
 * 8.3 "Validate that certInfo is valid": extraData is the hash of
 * attToBeSigned by alg's hash; attested.name is the Name of pubArea,
 * nameAlg || H_nameAlg(pubArea) (TPM 2.0 Part 1, 16).
 */
static wa_rc_t
wa_tpm_check_attest(const wa_att_input_t *in, const EVP_MD *md,
    const wa_tpm_attest_t *att, const wa_tpm_public_t *pub,
    const uint8_t *pub_area, size_t pub_area_len, wa_err_t *err)
{
    uint8_t    h[EVP_MAX_MD_SIZE], name[2 + EVP_MAX_MD_SIZE];
    unsigned   hlen;

    if (wa_tpm_digest2(md, in->auth_data, in->auth_data_len,
                       in->client_data_hash, 32, h, &hlen) != 0)
    {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.certInfo.extraData");
    }

    if (att->extra_data_len != hlen
        || !wa_ct_equal(att->extra_data, att->extra_data_len, h, hlen))
    {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.certInfo.extraData");
    }

    name[0] = (uint8_t) (pub->name_alg >> 8);
    name[1] = (uint8_t) pub->name_alg;

    if (wa_tpm_digest2(wa_tpm_md(pub->name_alg), pub_area, pub_area_len,
                       NULL, 0, name + 2, &hlen) != 0)
    {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.certInfo.attested");
    }

    if (att->name_len != 2 + (size_t) hlen
        || memcmp(att->name, name, 2 + (size_t) hlen) != 0)
    {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.certInfo.attested.name");
    }

    return WA_OK;
}


/* Is the raw OID one of the subject name entry's? */
static int
wa_tpm_entry_is(const X509_NAME_ENTRY *e, const uint8_t *oid, size_t len)
{
    const ASN1_OBJECT  *obj;

    obj = X509_NAME_ENTRY_get_object(e);

    return obj != NULL && OBJ_length(obj) == len
           && memcmp(OBJ_get0_data(obj), oid, len) == 0;
}


/*
 * 8.3.1: "The Subject Alternative Name extension MUST be set as defined
 * in [TPMv2-EK-Profile] section 3.2.9": a directoryName carrying
 * tcg-at-tpmManufacturer, tcg-at-tpmModel and tcg-at-tpmVersion, and, the
 * subject being empty, marked critical (RFC 5280 4.2.1.6).  Values are
 * only checked to be non-empty: the TCG vendor list changes, and RPs that
 * care about vendors pin their attestation CAs.
 */
static wa_rc_t
wa_tpm_check_san(X509 *cert, wa_err_t *err)
{
    GENERAL_NAMES      *gens;
    GENERAL_NAME       *gen;
    X509_NAME          *dn;
    X509_NAME_ENTRY    *e;
    const ASN1_STRING  *v;
    int                 crit, i, j, have_mf, have_model, have_ver, nonempty;

    crit = -1;
    gens = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
    if (gens == NULL) {
        ERR_clear_error();
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subjectAltName");
    }

    if (crit != 1) {
        GENERAL_NAMES_free(gens);
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subjectAltName.critical");
    }

    have_mf = 0;
    have_model = 0;
    have_ver = 0;

    for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        gen = sk_GENERAL_NAME_value(gens, i);
        if (gen == NULL || gen->type != GEN_DIRNAME) {
            continue;
        }

        dn = gen->d.directoryName;

        for (j = 0; j < X509_NAME_entry_count(dn); j++) {
            e = X509_NAME_get_entry(dn, j);
            if (e == NULL) {
                continue;
            }

            v = X509_NAME_ENTRY_get_data(e);
            nonempty = v != NULL && ASN1_STRING_length(v) > 0;

            if (wa_tpm_entry_is(e, wa_oid_tpm_manufacturer,
                                sizeof(wa_oid_tpm_manufacturer)))
            {
                have_mf |= nonempty;

            } else if (wa_tpm_entry_is(e, wa_oid_tpm_model,
                                       sizeof(wa_oid_tpm_model)))
            {
                have_model |= nonempty;

            } else if (wa_tpm_entry_is(e, wa_oid_tpm_version,
                                       sizeof(wa_oid_tpm_version)))
            {
                have_ver |= nonempty;
            }
        }
    }

    GENERAL_NAMES_free(gens);

    if (!have_mf) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subjectAltName.tpmManufacturer");
    }

    if (!have_model) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subjectAltName.tpmModel");
    }

    if (!have_ver) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subjectAltName.tpmVersion");
    }

    return WA_OK;
}


/* 8.3.1: "The Extended Key Usage extension MUST contain the OID
 * 2.23.133.8.3". */
static wa_rc_t
wa_tpm_check_eku(X509 *cert, wa_err_t *err)
{
    EXTENDED_KEY_USAGE  *eku;
    const ASN1_OBJECT   *obj;
    int                  crit, i, found;

    crit = -1;
    eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
    if (eku == NULL) {
        ERR_clear_error();
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].extKeyUsage");
    }

    found = 0;
    for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        obj = sk_ASN1_OBJECT_value(eku, i);
        if (obj != NULL && OBJ_length(obj) == sizeof(wa_oid_tcg_kp_aik)
            && memcmp(OBJ_get0_data(obj), wa_oid_tcg_kp_aik,
                      sizeof(wa_oid_tcg_kp_aik)) == 0)
        {
            found = 1;
            break;
        }
    }

    EXTENDED_KEY_USAGE_free(eku);

    if (!found) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].extKeyUsage");
    }

    return WA_OK;
}


/*
 * 8.3.1 TPM attestation statement certificate requirements: version 3,
 * empty subject, SAN as in the EK profile, EKU tcg-kp-AIKCertificate,
 * basicConstraints CA false; and 8.3's aaguid extension rule.
 */
static wa_rc_t
wa_tpm_check_aik(X509 *cert, const uint8_t *aaguid, wa_err_t *err)
{
    X509_NAME  *subj;
    wa_rc_t     rc;

    if (X509_get_version(cert) != X509_VERSION_3) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].version");
    }

    subj = X509_get_subject_name(cert);
    if (subj != NULL && X509_NAME_entry_count(subj) != 0) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subject");
    }

    rc = wa_tpm_check_san(cert, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_tpm_check_eku(cert, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_x509_check_not_ca(cert, err);
    if (rc != WA_OK) {
        return rc;
    }

    return wa_x509_check_aaguid(cert, aaguid, err);
}





/*
 * WebAuthn L3 8.3 verification procedure.  Structure first, then the
 * credential key, certInfo, the AIK signature and certificate, and the
 * trust path last, so that a forged statement is reported as invalid
 * rather than as merely untrusted.
 */
wa_rc_t
wa_att_tpm(const wa_att_input_t *in, wa_att_output_t *out, wa_err_t *err)
{
    const cbor_item_t  *st = in->att_stmt;
    cbor_item_t        *ver, *alg_it, *x5c, *sig_it, *ci_it, *pa_it;
    STACK_OF(X509)     *chain;
    const EVP_MD       *md;
    const uint8_t      *sig, *cert_info, *pub_area;
    size_t              sig_len, cert_info_len, pub_area_len;
    wa_tpm_public_t     pub;
    wa_tpm_attest_t     att;
    int64_t             alg;
    int                 trusted;
    wa_rc_t             rc;

    if (st == NULL || !cbor_isa_map(st) || !cbor_map_is_definite(st)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt");
    }

    ver = wa_cbor_map_get_str(st, "ver");
    alg_it = wa_cbor_map_get_str(st, "alg");
    x5c = wa_cbor_map_get_str(st, "x5c");
    sig_it = wa_cbor_map_get_str(st, "sig");
    ci_it = wa_cbor_map_get_str(st, "certInfo");
    pa_it = wa_cbor_map_get_str(st, "pubArea");

    if (ver == NULL || !cbor_isa_string(ver)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.ver");
    }
    if (alg_it == NULL || wa_cbor_int(alg_it, &alg) != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.alg");
    }
    if (x5c == NULL) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }
    if (wa_cbor_bytes(sig_it, WA_MAX_SIGNATURE, &sig, &sig_len) != 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.sig");
    }
    if (wa_cbor_bytes(ci_it, WA_TPM_MAX_CERT_INFO, &cert_info,
                     &cert_info_len) != 0)
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.certInfo");
    }
    if (wa_cbor_bytes(pa_it, WA_TPM_MAX_PUB_AREA, &pub_area,
                     &pub_area_len) != 0)
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.pubArea");
    }

    /* exactly these six members (ecdaaKeyId left the spec in L2) */
    if (cbor_map_size(st) != 6) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt");
    }

    if (!wa_cbor_text_is(ver, "2.0")) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID, "attStmt.ver");
    }

    if (alg < INT32_MIN || alg > INT32_MAX) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");
    }

    md = wa_alg_md((int32_t) alg);
    if (md == NULL) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");
    }

    if (in->ad == NULL || in->ad->aaguid == NULL || in->cred_key == NULL
        || in->client_data_hash == NULL)
    {
        return wa_fail(err, WA_ERR_MALFORMED,
                       "authData.attestedCredentialData");
    }

    rc = wa_tpm_parse_public(pub_area, pub_area_len, &pub, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_tpm_check_key(&pub, in->cred_key, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_tpm_parse_attest(cert_info, cert_info_len, &att, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_tpm_check_attest(in, md, &att, &pub, pub_area, pub_area_len,
                             err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_x5c_parse(x5c, &chain, err);
    if (rc != WA_OK) {
        return rc;
    }

    /* 8.3: sig over certInfo by the AIK certificate's key, with alg */
    rc = wa_att_sig_verify(in, X509_get0_pubkey(sk_X509_value(chain, 0)),
                           (int32_t) alg, cert_info, cert_info_len, sig,
                           sig_len, err);

    if (rc == WA_OK) {
        rc = wa_tpm_check_aik(sk_X509_value(chain, 0), in->ad->aaguid, err);
    }

    if (rc == WA_OK) {
        rc = wa_x5c_verify_chain(in->policy, chain, &trusted, err);
    }

    sk_X509_pop_free(chain, X509_free);

    if (rc != WA_OK) {
        return rc;
    }

    out->type = WA_ATT_ATTCA;
    out->trusted = trusted;

    return WA_OK;
}
