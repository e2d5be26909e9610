/*
 * Hashing and signature verification over OpenSSL 3.
 *
 * Digests are fetched from the provider once per process: an implicit
 * fetch on every call is a measurable part of an assertion's cost.
 */

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "wa_internal.h"


static EVP_MD          *wa_md_sha1;
static EVP_MD          *wa_md_sha256;
static EVP_MD          *wa_md_sha384;
static EVP_MD          *wa_md_sha512;
static pthread_once_t   wa_md_once = PTHREAD_ONCE_INIT;


static void
wa_md_init(void)
{
    wa_md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
    wa_md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    wa_md_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
    wa_md_sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
}


const EVP_MD *
wa_alg_md(int32_t alg)
{
    pthread_once(&wa_md_once, wa_md_init);

    switch (alg) {
    case WA_ALG_ES256:
    case WA_ALG_RS256:
    case WA_ALG_PS256:
        return wa_md_sha256;
    case WA_ALG_ES384:
    case WA_ALG_RS384:
    case WA_ALG_PS384:
        return wa_md_sha384;
    case WA_ALG_ES512:
    case WA_ALG_RS512:
    case WA_ALG_PS512:
        return wa_md_sha512;
    case WA_ALG_RS1:
        return wa_md_sha1;
    default:
        return NULL;
    }
}


int
wa_sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
    return wa_sha256_2(p, len, NULL, 0, out);
}


/*
 * One digest context per thread, reused: EVP_DigestInit_ex() on a context
 * that already holds the same digest skips the provider's allocation.
 */
static _Thread_local EVP_MD_CTX  *wa_md_ctx;


static int
wa_digest(const EVP_MD *md, const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t *out, unsigned int *out_len)
{
    if (wa_md_ctx == NULL) {
        wa_md_ctx = EVP_MD_CTX_new();
        if (wa_md_ctx == NULL) {
            return 0;
        }
    }

    return EVP_DigestInit_ex(wa_md_ctx, md, NULL)
           && EVP_DigestUpdate(wa_md_ctx, a, alen)
           && (blen == 0 || EVP_DigestUpdate(wa_md_ctx, b, blen))
           && EVP_DigestFinal_ex(wa_md_ctx, out, out_len);
}


int
wa_sha256_2(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t out[32])
{
    pthread_once(&wa_md_once, wa_md_init);

    /* A digest that could not be fetched or computed must stop the
     * ceremony: a placeholder value could be matched by an attacker. */
    if (wa_md_sha256 == NULL
        || !wa_digest(wa_md_sha256, a, alen, b, blen, out, NULL))
    {
        return -1;
    }

    return 0;
}


int
wa_alg_supported(int32_t alg)
{
    switch (alg) {
    case WA_ALG_ES256:
    case WA_ALG_ES384:
    case WA_ALG_ES512:
    case WA_ALG_EDDSA:
    case WA_ALG_ED25519:
    case WA_ALG_ED448:
    case WA_ALG_RS256:
    case WA_ALG_RS384:
    case WA_ALG_RS512:
    case WA_ALG_PS256:
    case WA_ALG_PS384:
    case WA_ALG_PS512:
        return 1;
    default:
        return 0;
    }
}


const char *
wa_alg_name(int32_t alg)
{
    switch (alg) {
    case WA_ALG_ES256:   return "ES256";
    case WA_ALG_ES384:   return "ES384";
    case WA_ALG_ES512:   return "ES512";
    case WA_ALG_EDDSA:   return "EdDSA";
    case WA_ALG_ED25519: return "Ed25519";
    case WA_ALG_ED448:   return "Ed448";
    case WA_ALG_RS256:   return "RS256";
    case WA_ALG_RS384:   return "RS384";
    case WA_ALG_RS512:   return "RS512";
    case WA_ALG_PS256:   return "PS256";
    case WA_ALG_PS384:   return "PS384";
    case WA_ALG_PS512:   return "PS512";
    case WA_ALG_RS1:     return "RS1";
    default:             return NULL;
    }
}


/* ---- ECDSA-Sig-Value --------------------------------------------------- */

/*
 * Reads a DER/BER length at p[*pos].  Strict: the short form below 128 and
 * the minimal long form above.  Lenient (BER): any definite form.
 */
static int
wa_der_len(const uint8_t *p, size_t len, size_t *pos, size_t *out, int ber)
{
    size_t  n, v, i;

    if (*pos >= len) {
        return -1;
    }

    if (p[*pos] < 0x80) {
        *out = p[(*pos)++];
        return 0;
    }

    n = p[(*pos)++] & 0x7f;

    if (n == 0 || n > 2 || len - *pos < n) {
        return -1;              /* indefinite, or larger than any sig */
    }

    v = 0;
    for (i = 0; i < n; i++) {
        v = (v << 8) | p[(*pos)++];
    }

    if (!ber && (v < 0x80 || (n == 2 && v < 0x100))) {
        return -1;
    }

    *out = v;

    return 0;
}


/* One INTEGER of r or s: its magnitude (without sign padding) is returned
 * in *mag / *mag_len. */
static wa_rc_t
wa_der_sig_int(const uint8_t *p, size_t len, size_t *pos, size_t order_bytes,
    int ber, const uint8_t **mag, size_t *mag_len, wa_err_t *err)
{
    size_t          n;
    const uint8_t  *v;

    if (*pos >= len || p[(*pos)++] != 0x02) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.der.integer");
    }

    if (wa_der_len(p, len, pos, &n, ber) != 0 || n == 0 || n > len - *pos) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.der.length");
    }

    v = p + *pos;
    *pos += n;

    if (v[0] & 0x80) {
        /* Negative in DER; some devices forget the sign byte. */
        if (!ber) {
            return wa_fail(err, WA_ERR_SIGNATURE_INVALID,
                           "signature.der.negative");
        }

    } else if (n > 1 && v[0] == 0 && !(v[1] & 0x80)) {
        if (!ber) {
            return wa_fail(err, WA_ERR_SIGNATURE_INVALID,
                           "signature.der.non_minimal");
        }
    }

    while (n > 0 && v[0] == 0) {
        v++;
        n--;
    }

    if (n == 0) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.der.zero");
    }

    if (n > order_bytes) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.der.range");
    }

    *mag = v;
    *mag_len = n;

    return WA_OK;
}


static size_t
wa_der_put_int(uint8_t *out, const uint8_t *mag, size_t n)
{
    size_t  o, pad;

    pad = (mag[0] & 0x80) ? 1 : 0;
    o = 0;
    out[o++] = 0x02;
    out[o++] = (uint8_t) (n + pad);
    if (pad) {
        out[o++] = 0;
    }
    memcpy(out + o, mag, n);

    return o + n;
}


wa_rc_t
wa_ecdsa_sig_check(const uint8_t *sig, size_t sig_len, size_t order_bytes,
    int ber, uint8_t *der_out, size_t *der_len, wa_err_t *err)
{
    size_t          pos, n, rlen, slen, body;
    wa_rc_t         rc;
    const uint8_t  *r, *s;

    pos = 0;

    if (sig_len < 8 || sig[pos++] != 0x30) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.der.sequence");
    }

    if (wa_der_len(sig, sig_len, &pos, &n, ber) != 0) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.der.length");
    }

    if (n != sig_len - pos) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID,
                       "signature.der.trailing_bytes");
    }

    rc = wa_der_sig_int(sig, sig_len, &pos, order_bytes, ber, &r, &rlen, err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_der_sig_int(sig, sig_len, &pos, order_bytes, ber, &s, &slen, err);
    if (rc != WA_OK) {
        return rc;
    }

    if (pos != sig_len) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID,
                       "signature.der.extra_integer");
    }

    if (der_out == NULL) {
        return WA_OK;
    }

    /* Re-encode as DER; r and s are at most 66 bytes, so the body fits
     * the short length form only up to 127 bytes. */
    body = 2 + rlen + ((r[0] & 0x80) ? 1 : 0) + 2 + slen
           + ((s[0] & 0x80) ? 1 : 0);
    pos = 0;
    der_out[pos++] = 0x30;
    if (body >= 0x80) {
        der_out[pos++] = 0x81;
    }
    der_out[pos++] = (uint8_t) body;
    pos += wa_der_put_int(der_out + pos, r, rlen);
    pos += wa_der_put_int(der_out + pos, s, slen);
    *der_len = pos;

    return WA_OK;
}


/* ---- verification ------------------------------------------------------ */

/* The order size of an EC key's group, or 0 for another key type. */
static size_t
wa_ec_order_bytes(EVP_PKEY *pkey)
{
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
        return 0;
    }

    return (size_t) (EVP_PKEY_get_bits(pkey) + 7) / 8;
}


static wa_rc_t
wa_verify_eddsa(EVP_PKEY *pkey, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t sig_len, wa_err_t *err)
{
    int          ok;
    EVP_MD_CTX  *ctx;

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "signature.memory");
    }

    ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1
         && EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;

    EVP_MD_CTX_free(ctx);

    return ok ? WA_OK
              : wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.verify");
}


/*
 * Prepares a verification context for pkey and alg: ECDSA and RSA verify a
 * digest we compute, so the context holds the padding and nothing about
 * the message, and one context serves any number of verifications.
 */
EVP_PKEY_CTX *
wa_verify_ctx_new(EVP_PKEY *pkey, int32_t alg)
{
    int            ok;
    const EVP_MD  *md;
    EVP_PKEY_CTX  *ctx;

    md = wa_alg_md(alg);
    if (md == NULL) {
        return NULL;
    }

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        return NULL;
    }

    ok = EVP_PKEY_verify_init(ctx) == 1;

    if (ok && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
        ok = EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;

        if (ok && (alg == WA_ALG_PS256 || alg == WA_ALG_PS384
                   || alg == WA_ALG_PS512))
        {
            /* COSE (RFC 8230): MGF1 with the same hash, salt of the
             * digest's length. */
            ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1
                 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1
                 && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx,
                                                RSA_PSS_SALTLEN_DIGEST) == 1;
        } else if (ok) {
            ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
        }
    }

    if (!ok) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }

    return ctx;
}


/* ECDSA and RSA: hash here, then a raw EVP_PKEY_verify over the digest. */
static wa_rc_t
wa_verify_digest(EVP_PKEY_CTX *ctx, const EVP_MD *md, const uint8_t *data,
    size_t len, const uint8_t *sig, size_t sig_len, wa_err_t *err)
{
    unsigned int  dlen;
    uint8_t       dgst[EVP_MAX_MD_SIZE];

    if (!wa_digest(md, data, len, NULL, 0, dgst, &dlen)) {
        return wa_fail(err, WA_ERR_INTERNAL, "signature.digest");
    }

    if (EVP_PKEY_verify(ctx, sig, sig_len, dgst, dlen) != 1) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.verify");
    }

    return WA_OK;
}


/* Is pkey an EC key on the named curve?  The name, not the size: 256-bit
 * curves other than P-256 (secp256k1, brainpool) must not pass as ES256. */
static int
wa_pkey_is_curve(EVP_PKEY *pkey, const char *curve)
{
    char  name[64];

    return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC
           && EVP_PKEY_get_group_name(pkey, name, sizeof(name), NULL) == 1
           && strcmp(name, curve) == 0;
}


/* Does the key's type (and, for EC, curve) fit the algorithm? */
static int
wa_pkey_fits_alg(EVP_PKEY *pkey, int32_t alg)
{
    int  id;

    id = EVP_PKEY_get_base_id(pkey);

    switch (alg) {
    case WA_ALG_ES256:
        return wa_pkey_is_curve(pkey, "prime256v1");
    case WA_ALG_ES384:
        return wa_pkey_is_curve(pkey, "secp384r1");
    case WA_ALG_ES512:
        return wa_pkey_is_curve(pkey, "secp521r1");
    case WA_ALG_EDDSA:
        return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448;
    case WA_ALG_ED25519:
        return id == EVP_PKEY_ED25519;
    case WA_ALG_ED448:
        return id == EVP_PKEY_ED448;
    case WA_ALG_RS256:
    case WA_ALG_RS384:
    case WA_ALG_RS512:
    case WA_ALG_PS256:
    case WA_ALG_PS384:
    case WA_ALG_PS512:
    case WA_ALG_RS1:
        /* RSA-PSS-restricted keys (id-RSASSA-PSS) carry their own
         * parameters, which the contexts here do not set up. */
        return id == EVP_PKEY_RSA;
    default:
        return 0;
    }
}


wa_rc_t
wa_pkey_verify(EVP_PKEY *pkey, int32_t alg, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t sig_len, int ber, wa_err_t *err)
{
    return wa_pkey_verify_ctx(pkey, NULL, alg, data, len, sig, sig_len, ber,
                              err);
}


wa_rc_t
wa_pkey_verify_ctx(EVP_PKEY *pkey, EVP_PKEY_CTX *ctx, int32_t alg,
    const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len,
    int ber, wa_err_t *err)
{
    size_t          order, der_len;
    wa_rc_t         rc;
    const EVP_MD   *md;
    EVP_PKEY_CTX   *own;
    uint8_t         der[WA_MAX_SIGNATURE + 8];

    if (pkey == NULL || !wa_pkey_fits_alg(pkey, alg)) {
        return wa_fail(err, WA_ERR_ALGORITHM_UNSUPPORTED, "signature.alg");
    }

    if (sig_len == 0 || sig_len > WA_MAX_SIGNATURE) {
        return wa_fail(err, WA_ERR_SIGNATURE_INVALID, "signature.length");
    }

    if (alg == WA_ALG_EDDSA || alg == WA_ALG_ED25519 || alg == WA_ALG_ED448) {
        return wa_verify_eddsa(pkey, data, len, sig, sig_len, err);
    }

    md = wa_alg_md(alg);
    if (md == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "signature.digest");
    }

    order = wa_ec_order_bytes(pkey);

    if (order > 0) {
        rc = wa_ecdsa_sig_check(sig, sig_len, order, ber, ber ? der : NULL,
                                &der_len, err);
        if (rc != WA_OK) {
            return rc;
        }

        if (ber) {
            sig = der;
            sig_len = der_len;
        }
    }

    own = NULL;

    if (ctx == NULL) {
        ctx = own = wa_verify_ctx_new(pkey, alg);
        if (ctx == NULL) {
            return wa_fail(err, WA_ERR_INTERNAL, "signature.context");
        }
    }

    rc = wa_verify_digest(ctx, md, data, len, sig, sig_len, err);

    EVP_PKEY_CTX_free(own);

    return rc;
}
