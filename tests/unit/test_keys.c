/*
 * COSE keys built byte by byte: the weak and degenerate keys the core must
 * refuse, whatever a (malicious) authenticator or client sends, and the
 * policy corners of the assertion check that do not need a whole ceremony.
 *
 * Ed25519 small-order keys matter most: OpenSSL does not check a public
 * key's order, and with the identity as the key one fixed signature
 * verifies for every message.
 */

#include "harness.h"

#include <stdio.h>
#include <string.h>


/* {1: 1 (OKP), 3: alg, -1: crv, -2: x} in canonical order. */
static size_t
okp_key(uint8_t *out, int alg_byte, int crv, const uint8_t *x, size_t xlen)
{
    size_t  n;

    n = 0;
    out[n++] = 0xa4;
    out[n++] = 0x01; out[n++] = 0x01;
    out[n++] = 0x03;
    if (alg_byte >= 0) {
        out[n++] = (uint8_t) alg_byte;           /* -8: 0x27 */
    } else {
        out[n++] = 0x38; out[n++] = 0x34;        /* -53 */
    }
    out[n++] = 0x20; out[n++] = (uint8_t) crv;
    out[n++] = 0x21; out[n++] = 0x58; out[n++] = (uint8_t) xlen;
    memcpy(out + n, x, xlen);

    return n + xlen;
}


static void
ed25519_case(const char *name, const uint8_t y[32], int sign, wa_rc_t want)
{
    size_t     len;
    wa_rc_t    rc;
    wa_err_t   err;
    wa_key_t  *key;
    uint8_t    x[32], cose[64];

    memcpy(x, y, 32);
    if (sign) {
        x[31] |= 0x80;
    }

    len = okp_key(cose, 0x27, 6, x, 32);
    memset(&err, 0, sizeof(err));
    rc = wa_key_from_cose(cose, len, &key, &err);
    t_rc(name, rc, want, &err);
    wa_key_free(key);
}


static void
test_ed25519(void)
{
    uint8_t  y[32];

    /* the identity: y = 1 */
    memset(y, 0, 32);
    y[0] = 1;
    ed25519_case("Ed25519 identity key refused", y, 0, WA_ERR_KEY_INVALID);
    ed25519_case("Ed25519 identity key with x sign refused", y, 1,
                 WA_ERR_KEY_INVALID);

    /* y = 0: the two points of order 4 */
    memset(y, 0, 32);
    ed25519_case("Ed25519 order-4 key (y = 0) refused", y, 0,
                 WA_ERR_KEY_INVALID);
    ed25519_case("Ed25519 order-4 key (y = 0, x sign) refused", y, 1,
                 WA_ERR_KEY_INVALID);

    /* y = p - 1: order 2 */
    memset(y, 0xff, 32);
    y[0] = 0xec;
    y[31] = 0x7f;
    ed25519_case("Ed25519 order-2 key (y = p-1) refused", y, 0,
                 WA_ERR_KEY_INVALID);

    /* y = p + 1: a non-canonical encoding of the identity */
    memset(y, 0xff, 32);
    y[0] = 0xee;
    y[31] = 0x7f;
    ed25519_case("Ed25519 non-canonical identity (y = p+1) refused", y, 0,
                 WA_ERR_KEY_INVALID);

    /* y = p: non-canonical zero */
    y[0] = 0xed;
    ed25519_case("Ed25519 non-canonical y = p refused", y, 0,
                 WA_ERR_KEY_INVALID);

    /* an order-8 point */
    {
        static const uint8_t  o8[32] = {
            0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0,
            0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
            0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39,
            0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05
        };

        ed25519_case("Ed25519 order-8 key refused", o8, 0,
                     WA_ERR_KEY_INVALID);
        ed25519_case("Ed25519 order-8 key with x sign refused", o8, 1,
                     WA_ERR_KEY_INVALID);
    }

    /* the base point (RFC 8032: y = 4/5) is a valid key */
    {
        static const uint8_t  base[32] = {
            0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
            0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66
        };

        ed25519_case("Ed25519 base point accepted as a key", base, 0, WA_OK);
    }
}


static void
ed448_case(const char *name, const uint8_t x[57], wa_rc_t want)
{
    size_t     len;
    wa_rc_t    rc;
    wa_err_t   err;
    wa_key_t  *key;
    uint8_t    cose[96];

    len = okp_key(cose, -1, 7, x, 57);
    memset(&err, 0, sizeof(err));
    rc = wa_key_from_cose(cose, len, &key, &err);
    t_rc(name, rc, want, &err);
    wa_key_free(key);
}


static void
test_ed448(void)
{
    uint8_t  x[57];

    memset(x, 0, 57);
    x[0] = 1;
    ed448_case("Ed448 identity key refused", x, WA_ERR_KEY_INVALID);

    memset(x, 0, 57);
    ed448_case("Ed448 order-4 key (y = 0) refused", x, WA_ERR_KEY_INVALID);

    /* y = p - 1 = 2^448 - 2^224 - 2 */
    memset(x, 0xff, 56);
    x[0] = 0xfe;
    x[28] = 0xfe;
    x[56] = 0;
    ed448_case("Ed448 order-2 key (y = p-1) refused", x, WA_ERR_KEY_INVALID);

    /* y >= p */
    memset(x, 0xff, 56);
    x[56] = 0;
    ed448_case("Ed448 non-canonical y refused", x, WA_ERR_KEY_INVALID);

    /* bits other than the sign in the last byte */
    memset(x, 0, 57);
    x[0] = 5;
    x[56] = 0x01;
    ed448_case("Ed448 stray bits in the last byte refused", x,
               WA_ERR_KEY_INVALID);
}


/* {1: 3, 3: -257, -1: n, -2: e [, extra label: bstr]} */
static void
rsa_case(const char *name, int even, int extra_label, wa_rc_t want)
{
    size_t     n;
    wa_rc_t    rc;
    wa_err_t   err;
    wa_key_t  *key;
    uint8_t    cose[400];

    n = 0;
    cose[n++] = extra_label ? 0xa5 : 0xa4;
    cose[n++] = 0x01; cose[n++] = 0x03;
    cose[n++] = 0x03; cose[n++] = 0x39; cose[n++] = 0x01; cose[n++] = 0x00;
    cose[n++] = 0x20; cose[n++] = 0x59; cose[n++] = 0x01; cose[n++] = 0x00;
    memset(cose + n, 0xc5, 256);
    cose[n + 255] = even ? 0xc4 : 0xc5;
    n += 256;
    cose[n++] = 0x21; cose[n++] = 0x43;
    cose[n++] = 0x01; cose[n++] = 0x00; cose[n++] = 0x01;

    if (extra_label) {
        cose[n++] = (uint8_t) (0x20 | (-1 - extra_label));
        cose[n++] = 0x41;
        cose[n++] = 0x01;
    }

    memset(&err, 0, sizeof(err));
    rc = wa_key_from_cose(cose, n, &key, &err);
    t_rc(name, rc, want, &err);
    wa_key_free(key);
}


static void
test_rsa(void)
{
    rsa_case("RSA 2048 odd modulus accepted", 0, 0, WA_OK);
    rsa_case("RSA even modulus refused", 1, 0, WA_ERR_KEY_INVALID);
    rsa_case("RSA key with private label -3 (d) refused", 0, -3,
             WA_ERR_KEY_INVALID);
    rsa_case("RSA key with private label -5 (q) refused", 0, -5,
             WA_ERR_KEY_INVALID);
    rsa_case("RSA key with private label -12 refused", 0, -12,
             WA_ERR_KEY_INVALID);
}


/* Checks that fail before any data is read: the caller's own mistakes. */
static void
test_assertion_guards(void)
{
    size_t                    len;
    wa_rc_t                   rc;
    wa_err_t                  err;
    wa_key_t                 *key;
    wa_policy_t               pol;
    wa_assertion_result_t     res;
    wa_assertion_response_t   resp;
    wa_stored_credential_t    cred;
    uint8_t                   cose[64], x[32], uh[4] = { 1, 2, 3, 4 };

    memset(x, 0x66, 32);
    x[0] = 0x58;
    len = okp_key(cose, 0x27, 6, x, 32);
    key = NULL;
    wa_key_from_cose(cose, len, &key, NULL);

    memset(&pol, 0, sizeof(pol));
    pol.rp_id = "example.org";
    memset(&resp, 0, sizeof(resp));
    resp.user_handle.data = uh;
    resp.user_handle.len = sizeof(uh);

    memset(&cred, 0, sizeof(cred));
    cred.key = key;
    cred.user_handle_required = 1;
    cred.backup_eligible = -1;

    memset(&err, 0, sizeof(err));
    rc = wa_verify_assertion(&pol, uh, sizeof(uh), &resp, &cred, &res, &err);
    t_rc("user handle required but none stored to compare: internal_error",
         rc, WA_ERR_INTERNAL, &err);

    memset(&err, 0, sizeof(err));
    pol.rp_id = NULL;
    rc = wa_verify_assertion(&pol, uh, sizeof(uh), &resp, &cred, &res, &err);
    t_rc("policy without an RP ID: internal_error", rc, WA_ERR_INTERNAL,
         &err);

    wa_key_free(key);
}


int
main(void)
{
    test_ed25519();
    test_ed448();
    test_rsa();
    test_assertion_guards();

    return t_done("test_keys");
}
