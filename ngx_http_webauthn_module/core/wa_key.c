/*
 * COSE_Key (RFC 9052/9053, RFC 8230) to a verification key.
 *
 * The algorithm is bound to the key type and curve: an ES256 key must be a
 * P-256 point, an RS256 key an RSA modulus of 2048 bits or more, and so on.
 * A key that carries private material is refused.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "wa_internal.h"


#define WA_COSE_KTY      1
#define WA_COSE_ALG      3
#define WA_COSE_CRV      -1         /* EC2 and OKP */
#define WA_COSE_X        -2
#define WA_COSE_Y        -3
#define WA_COSE_D        -4
#define WA_COSE_RSA_N    -1
#define WA_COSE_RSA_E    -2

#define WA_KTY_OKP       1
#define WA_KTY_EC2       2
#define WA_KTY_RSA       3

#define WA_RSA_MIN_BITS  2048
#define WA_RSA_MAX_BITS  16384


/* vctx is the prepared verification context of ECDSA and RSA keys (NULL
 * for EdDSA, which cannot reuse one): making it costs about as much as the
 * rest of an assertion's checks together, so it is made once per key. */
struct wa_key_s {
    EVP_PKEY      *pkey;
    EVP_PKEY_CTX  *vctx;
    int32_t        alg;
};


static const uint8_t *
wa_cose_bytes(const cbor_item_t *map, int64_t label, size_t *len)
{
    cbor_item_t  *v;

    v = wa_cbor_map_get_int(map, label);
    if (v == NULL || !cbor_isa_bytestring(v)
        || cbor_bytestring_is_indefinite(v))
    {
        return NULL;
    }

    *len = cbor_bytestring_length(v);

    return cbor_bytestring_handle(v);
}


static wa_rc_t
wa_key_build(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out,
    wa_err_t *err)
{
    int            ok;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    ok = params != NULL && ctx != NULL
         && EVP_PKEY_fromdata_init(ctx) == 1
         && EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1;

    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);

    return ok ? WA_OK : wa_fail(err, WA_ERR_KEY_INVALID, "cose.key");
}


static wa_rc_t
wa_key_ec2(const cbor_item_t *map, int32_t alg, EVP_PKEY **out, wa_err_t *err)
{
    int              ok;
    size_t           xlen, ylen, flen;
    int64_t          crv;
    wa_rc_t          rc;
    const char      *group;
    const uint8_t   *x, *y;
    EVP_PKEY_CTX    *cctx;
    OSSL_PARAM_BLD  *bld;
    uint8_t          point[1 + 2 * 66];

    if (wa_cbor_int(wa_cbor_map_get_int(map, WA_COSE_CRV), &crv) != 0) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.crv");
    }

    switch (crv) {
    case 1:  group = "P-256"; flen = 32; ok = alg == WA_ALG_ES256; break;
    case 2:  group = "P-384"; flen = 48; ok = alg == WA_ALG_ES384; break;
    case 3:  group = "P-521"; flen = 66; ok = alg == WA_ALG_ES512; break;
    default:
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.crv");
    }

    if (!ok) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.crv_alg");
    }

    x = wa_cose_bytes(map, WA_COSE_X, &xlen);
    y = wa_cose_bytes(map, WA_COSE_Y, &ylen);

    /* Compressed points (y as a bool) are not allowed by WebAuthn. */
    if (x == NULL || y == NULL || xlen != flen || ylen != flen) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.point");
    }

    point[0] = 0x04;
    memcpy(point + 1, x, flen);
    memcpy(point + 1 + flen, y, flen);

    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            group, 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, 1 + 2 * flen))
    {
        OSSL_PARAM_BLD_free(bld);
        return wa_fail(err, WA_ERR_INTERNAL, "cose.memory");
    }

    rc = wa_key_build("EC", bld, out, err);
    OSSL_PARAM_BLD_free(bld);

    if (rc != WA_OK) {
        return rc;
    }

    /* Point on the curve and not the identity: an invalid point would
     * make every later verification meaningless. */
    cctx = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
    ok = cctx != NULL && EVP_PKEY_public_check(cctx) == 1;
    EVP_PKEY_CTX_free(cctx);

    if (!ok) {
        EVP_PKEY_free(*out);
        *out = NULL;
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.point");
    }

    return WA_OK;
}


/*
 * Compares two little-endian numbers of n bytes: <0, 0, >0.
 */
static int
wa_le_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
    while (n-- > 0) {
        if (a[n] != b[n]) {
            return a[n] < b[n] ? -1 : 1;
        }
    }

    return 0;
}


/*
 * Ed25519 and Ed448 keys that are not canonical encodings, or that are
 * points of small order, are refused.  OpenSSL does not check the key's
 * order when verifying, and with a small-order key (the identity, say) a
 * fixed signature verifies for every message: anyone could sign for the
 * credential.  y (the encoding without the x sign bit) must be below p and
 * not the y of a small-order point: 0, 1, p-1, and for Ed25519 the two y
 * of the order-8 points.
 */
static const uint8_t  wa_ed25519_p[32] = {
    0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
};

static const uint8_t  wa_ed25519_small[3][32] = {
    /* p - 1 (order 2) */
    { 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
    /* the order-8 points */
    { 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0,
      0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
      0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39,
      0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
    { 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f,
      0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
      0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6,
      0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a }
};


static int
wa_eddsa_key_ok(int id, const uint8_t *x, size_t len)
{
    size_t   i, n;
    uint8_t  y[57], p[56], pm1[56];

    n = (id == EVP_PKEY_ED25519) ? 32 : 56;

    memcpy(y, x, n);

    if (id == EVP_PKEY_ED25519) {
        y[31] &= 0x7f;

    } else if ((x[56] & 0x7f) != 0) {
        return 0;               /* Ed448: byte 56 holds the sign bit only */
    }

    for (i = 1; i < n && y[i] == 0; i++) { /* void */ }

    if (i == n && y[0] <= 1) {
        return 0;               /* y = 0 (order 4) or 1 (the identity) */
    }

    if (id == EVP_PKEY_ED25519) {
        if (wa_le_cmp(y, wa_ed25519_p, 32) >= 0) {
            return 0;
        }

        for (i = 0; i < 3; i++) {
            if (memcmp(y, wa_ed25519_small[i], 32) == 0) {
                return 0;
            }
        }

        return 1;
    }

    /* Ed448: p = 2^448 - 2^224 - 1 */
    memset(p, 0xff, sizeof(p));
    p[28] = 0xfe;
    memcpy(pm1, p, sizeof(pm1));
    pm1[0] = 0xfe;

    return wa_le_cmp(y, p, 56) < 0 && memcmp(y, pm1, 56) != 0;
}


static wa_rc_t
wa_key_okp(const cbor_item_t *map, int32_t alg, EVP_PKEY **out, wa_err_t *err)
{
    int             id;
    size_t          xlen, want;
    int64_t         crv;
    const uint8_t  *x;

    if (wa_cbor_int(wa_cbor_map_get_int(map, WA_COSE_CRV), &crv) != 0) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.crv");
    }

    if (crv == 6) {
        id = EVP_PKEY_ED25519;
        want = 32;
        if (alg != WA_ALG_EDDSA && alg != WA_ALG_ED25519) {
            return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.crv_alg");
        }

    } else if (crv == 7) {
        id = EVP_PKEY_ED448;
        want = 57;
        if (alg != WA_ALG_EDDSA && alg != WA_ALG_ED448) {
            return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.crv_alg");
        }

    } else {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.crv");
    }

    x = wa_cose_bytes(map, WA_COSE_X, &xlen);
    if (x == NULL || xlen != want) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.x");
    }

    if (!wa_eddsa_key_ok(id, x, xlen)) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.x.small_order");
    }

    *out = EVP_PKEY_new_raw_public_key(id, NULL, x, xlen);
    if (*out == NULL) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.x");
    }

    return WA_OK;
}


static wa_rc_t
wa_key_rsa(const cbor_item_t *map, int32_t alg, EVP_PKEY **out, wa_err_t *err)
{
    size_t           nlen, elen, bits;
    int64_t          label;
    wa_rc_t          rc;
    BIGNUM          *bn, *be;
    const uint8_t   *n, *e;
    OSSL_PARAM_BLD  *bld;

    switch (alg) {
    case WA_ALG_RS256: case WA_ALG_RS384: case WA_ALG_RS512:
    case WA_ALG_PS256: case WA_ALG_PS384: case WA_ALG_PS512:
        break;
    default:
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.kty_alg");
    }

    /* Private members (d, p, q, dP, dQ, qInv, other, r_i, d_i, t_i) have
     * labels -3 to -12 (RFC 8230). */
    for (label = -3; label >= -12; label--) {
        if (wa_cbor_map_get_int(map, label) != NULL) {
            return wa_fail(err, WA_ERR_KEY_INVALID, "cose.private_key");
        }
    }

    n = wa_cose_bytes(map, WA_COSE_RSA_N, &nlen);
    e = wa_cose_bytes(map, WA_COSE_RSA_E, &elen);

    /* An RSA modulus is odd, a public exponent odd and at least 3. */
    if (n == NULL || e == NULL || nlen == 0 || elen == 0 || elen > 8
        || n[0] == 0 || !(n[nlen - 1] & 1) || e[0] == 0
        || !(e[elen - 1] & 1))
    {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.rsa");
    }

    bits = nlen * 8;
    while (!(n[0] & (0x80 >> (nlen * 8 - bits)))) {
        bits--;
    }

    if (bits < WA_RSA_MIN_BITS || bits > WA_RSA_MAX_BITS
        || (elen == 1 && e[0] < 3))
    {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.rsa_size");
    }

    bn = BN_bin2bn(n, (int) nlen, NULL);
    be = BN_bin2bn(e, (int) elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (bn == NULL || be == NULL || bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
    {
        rc = wa_fail(err, WA_ERR_INTERNAL, "cose.memory");

    } else {
        rc = wa_key_build("RSA", bld, out, err);
    }

    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);

    return rc;
}


static wa_rc_t
wa_key_from_map(const cbor_item_t *map, int32_t *alg_out, EVP_PKEY **pkey,
    wa_err_t *err)
{
    int64_t       kty, alg;
    cbor_item_t  *a;

    if (!cbor_isa_map(map)) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.map");
    }

    if (wa_cbor_int(wa_cbor_map_get_int(map, WA_COSE_KTY), &kty) != 0) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.kty");
    }

    /* WebAuthn requires alg, and as an integer (COSE would allow text). */
    a = wa_cbor_map_get_int(map, WA_COSE_ALG);
    if (a == NULL) {
        return wa_fail(err, WA_ERR_KEY_INVALID, "cose.alg");
    }

    if (wa_cbor_int(a, &alg) != 0 || alg < INT32_MIN || alg > INT32_MAX
        || !wa_alg_supported((int32_t) alg))
    {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.alg");
    }

    *alg_out = (int32_t) alg;

    switch (kty) {
    case WA_KTY_EC2:
        if (wa_cbor_map_get_int(map, WA_COSE_D) != NULL) {
            return wa_fail(err, WA_ERR_KEY_INVALID, "cose.private_key");
        }
        return wa_key_ec2(map, (int32_t) alg, pkey, err);

    case WA_KTY_OKP:
        if (wa_cbor_map_get_int(map, WA_COSE_D) != NULL) {
            return wa_fail(err, WA_ERR_KEY_INVALID, "cose.private_key");
        }
        return wa_key_okp(map, (int32_t) alg, pkey, err);

    case WA_KTY_RSA:
        return wa_key_rsa(map, (int32_t) alg, pkey, err);

    default:
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "cose.kty");
    }
}


wa_rc_t
wa_key_from_cose(const uint8_t *cose, size_t len, wa_key_t **out,
    wa_err_t *err)
{
    int32_t       alg = 0;
    wa_rc_t       rc;
    EVP_PKEY     *pkey;
    wa_key_t     *key;
    cbor_item_t  *map;

    *out = NULL;

    if (len > WA_MAX_AUTH_DATA) {
        return wa_fail(err, WA_ERR_TOO_LARGE, "cose.size");
    }

    rc = wa_cbor_decode(cose, len, WA_CBOR_CANONICAL, &map, NULL, err);
    if (rc != WA_OK) {
        return rc;
    }

    pkey = NULL;
    rc = wa_key_from_map(map, &alg, &pkey, err);
    cbor_decref(&map);

    if (rc != WA_OK) {
        EVP_PKEY_free(pkey);
        return rc;
    }

    key = calloc(1, sizeof(wa_key_t));
    if (key == NULL) {
        EVP_PKEY_free(pkey);
        return wa_fail(err, WA_ERR_INTERNAL, "cose.memory");
    }

    key->pkey = pkey;
    key->alg = alg;

    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC
        || EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA)
    {
        key->vctx = wa_verify_ctx_new(pkey, alg);
        if (key->vctx == NULL) {
            wa_key_free(key);
            return wa_fail(err, WA_ERR_INTERNAL, "cose.context");
        }
    }

    *out = key;

    return WA_OK;
}


int32_t
wa_key_alg(const wa_key_t *key)
{
    return key->alg;
}


EVP_PKEY *
wa_key_pkey(const wa_key_t *key)
{
    return key->pkey;
}


void
wa_key_free(wa_key_t *key)
{
    if (key != NULL) {
        EVP_PKEY_CTX_free(key->vctx);
        EVP_PKEY_free(key->pkey);
        free(key);
    }
}


wa_rc_t
wa_key_verify(const wa_key_t *key, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t sig_len, int ber, wa_err_t *err)
{
    return wa_pkey_verify_ctx(key->pkey, key->vctx, key->alg, data, len, sig,
                              sig_len, ber, err);
}
