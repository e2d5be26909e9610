/*
 * Internal interfaces of the wa core, shared between its source files.
 * Not installed, not used by the nginx glue.
 */

#ifndef WA_INTERNAL_H
#define WA_INTERNAL_H

#include <wa.h>

#include <cbor.h>
#include <openssl/evp.h>
#include <openssl/x509.h>


#define wa_fail(err, code, what)                                             \
    wa_set_err((err), (code), (what))

/* Records the failure in err (when non-NULL) and returns code. */
wa_rc_t wa_set_err(wa_err_t *err, wa_rc_t code, const char *detail);


/* ---- strict CBOR (wa_cbor.c) ------------------------------------------ */

/* Decoding modes. */
#define WA_CBOR_CANONICAL  0x01   /* map keys in CTAP2 canonical order */

/*
 * Decode exactly one CBOR item from p.  Refused: indefinite lengths,
 * reserved additional-info values, non-minimal heads (lengths and integers),
 * nesting deeper than WA_MAX_CBOR_DEPTH, duplicate map keys, and with
 * WA_CBOR_CANONICAL map keys out of canonical order.
 *
 * When consumed is NULL, the item must span all of len (trailing bytes are
 * refused); otherwise *consumed receives the item's length and trailing
 * bytes are left to the caller.  Errors are WA_ERR_MALFORMED or
 * WA_ERR_INTERNAL; *out is a libcbor tree to cbor_decref().
 */
wa_rc_t wa_cbor_decode(const uint8_t *p, size_t len, unsigned flags,
    cbor_item_t **out, size_t *consumed, wa_err_t *err);

/* Only the syntactic scan of wa_cbor_decode (no tree built). */
wa_rc_t wa_cbor_scan(const uint8_t *p, size_t len, unsigned flags,
    size_t *consumed, wa_err_t *err);

/* Map lookups; NULL when absent or when map is not a map. */
cbor_item_t *wa_cbor_map_get_str(const cbor_item_t *map, const char *key);
cbor_item_t *wa_cbor_map_get_int(const cbor_item_t *map, int64_t key);

/* Integer value of a uint/negint item into *v; 0 on success, -1 when the
 * item is not an integer or does not fit int64_t. */
int wa_cbor_int(const cbor_item_t *item, int64_t *v);

/* A definite byte string of 1..max bytes into *p, *len: 0, else -1. */
int wa_cbor_bytes(const cbor_item_t *item, size_t max, const uint8_t **p,
    size_t *len);

/* Text string item equal to s? */
int wa_cbor_text_is(const cbor_item_t *item, const char *s);


/* RFC 3629 UTF-8 (no overlongs, surrogates or code points past U+10FFFF)? */
int wa_utf8_valid(const uint8_t *p, size_t len);


/* ---- strict JSON (wa_jsmall.c) ------------------------------------------ */

#define WA_J_OBJECT       1
#define WA_J_ARRAY        2
#define WA_J_STRING       3
#define WA_J_NUMBER       4
#define WA_J_TRUE         5
#define WA_J_FALSE        6
#define WA_J_NULL         7

#define WA_J_MAX_TOKENS   256
#define WA_J_MAX_DEPTH    16
#define WA_J_MAX_MEMBERS  64
#define WA_J_MAX_KEY      256

/*
 * A value: for strings start/end delimit the contents between the quotes
 * (escaped: it holds backslash escapes); next is the index of the first
 * token after this value and everything inside it; size counts an
 * object's members or an array's elements.  An object's tokens are key,
 * value, key, value...
 */
typedef struct {
    uint8_t     type;
    uint8_t     escaped;
    uint32_t    start;
    uint32_t    end;
    uint32_t    next;
    uint32_t    size;
} wa_jtok_t;

/* Parses p into tok[WA_J_MAX_TOKENS] (tok[0] is the root): 0, or -1 for
 * anything that is not one strict JSON value within the limits. */
int wa_jparse(const uint8_t *p, size_t len, wa_jtok_t *tok, size_t *ntok);

/* A string token's contents, unescaped, into out (room for end - start
 * bytes: unescaping never lengthens); returns the length. */
size_t wa_jstr_decode(const uint8_t *p, const wa_jtok_t *t, uint8_t *out);

/* Are two key tokens the same key once unescaped? */
int wa_jkey_same(const uint8_t *p, const wa_jtok_t *a, const wa_jtok_t *b);

/* The index of member name's value in object tok[obj], or -1. */
int wa_jobj_get(const uint8_t *p, const wa_jtok_t *tok, size_t obj,
    const char *name);


/* ---- hashing and signatures (wa_crypto.c) ------------------------------ */

/* SHA-256 with a digest fetched once per process: 0, or -1 when OpenSSL
 * failed (the caller answers WA_ERR_INTERNAL). */
int wa_sha256(const uint8_t *p, size_t len, uint8_t out[32]);
int wa_sha256_2(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t out[32]);

/* The EVP_MD for a COSE algorithm (SHA-1 for RS1), or NULL; fetched once. */
const EVP_MD *wa_alg_md(int32_t alg);

/* Verify sig over data with an arbitrary EVP_PKEY (attestation certificates)
 * by COSE alg; the key type must agree with alg (WA_ERR_ALGORITHM_UNSUPPORTED
 * otherwise).  ECDSA signatures are DER, strict unless ber. */
wa_rc_t wa_pkey_verify(EVP_PKEY *pkey, int32_t alg, const uint8_t *data,
    size_t len, const uint8_t *sig, size_t sig_len, int ber, wa_err_t *err);

/* The same with a context from wa_verify_ctx_new() for pkey and alg
 * (NULL: one is made for this call).  The context is not thread-safe. */
wa_rc_t wa_pkey_verify_ctx(EVP_PKEY *pkey, EVP_PKEY_CTX *ctx, int32_t alg,
    const uint8_t *data, size_t len, const uint8_t *sig, size_t sig_len,
    int ber, wa_err_t *err);

/* A reusable verification context for ECDSA and RSA keys, NULL on
 * failure or for another key type. */
EVP_PKEY_CTX *wa_verify_ctx_new(EVP_PKEY *pkey, int32_t alg);

/* The credential key's EVP_PKEY (borrowed). */
EVP_PKEY *wa_key_pkey(const wa_key_t *key);

/* Strict DER check of an ECDSA-Sig-Value for a curve with order_bytes-byte
 * order: SEQUENCE of two minimal positive INTEGERs in [1, n-1] by length,
 * nothing after.  With ber, a lenient parse re-encoded into der_out
 * (capacity >= sig_len + 8); without, der_out may be NULL. */
wa_rc_t wa_ecdsa_sig_check(const uint8_t *sig, size_t sig_len,
    size_t order_bytes, int ber, uint8_t *der_out, size_t *der_len,
    wa_err_t *err);


/* ---- attestation (wa_attest*.c) --------------------------------------- */

typedef struct {
    const wa_policy_t      *policy;
    const cbor_item_t      *att_stmt;       /* the attStmt map (or array) */
    const uint8_t          *auth_data;      /* raw authenticatorData */
    size_t                  auth_data_len;
    const wa_auth_data_t   *ad;             /* parsed auth_data */
    const uint8_t          *client_data_hash; /* 32 bytes */
    const wa_key_t         *cred_key;       /* parsed credential key */
} wa_att_input_t;

typedef struct {
    wa_att_type_t           type;
    int                     trusted;        /* chain reached an anchor */
} wa_att_output_t;

typedef wa_rc_t (*wa_att_verify_pt)(const wa_att_input_t *in,
    wa_att_output_t *out, wa_err_t *err);

/* authenticatorData || clientDataHash, the data signed in packed,
 * android-key and self attestation; malloc()ed, NULL when out of memory. */
uint8_t *wa_att_to_be_signed(const wa_att_input_t *in, size_t *len);

/* A statement's signature by pkey (NULL: a certificate without a usable
 * key) with alg; failures are attestation_invalid "attStmt.sig", or
 * algorithm_unsupported "attStmt.alg". */
wa_rc_t wa_att_sig_verify(const wa_att_input_t *in, EVP_PKEY *pkey,
    int32_t alg, const uint8_t *data, size_t len, const uint8_t *sig,
    size_t sig_len, wa_err_t *err);

/* Looks up a format by its fmt string (NULL when unknown). */
wa_att_verify_pt wa_att_find(const char *fmt, size_t len);

/* One verifier per format. */
wa_rc_t wa_att_none(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);
wa_rc_t wa_att_packed(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);
wa_rc_t wa_att_fido_u2f(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);
wa_rc_t wa_att_tpm(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);
wa_rc_t wa_att_android_key(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);
wa_rc_t wa_att_apple(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);
wa_rc_t wa_att_compound(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err);


/* ---- X.509 helpers (wa_x509.c) ----------------------------------------- */

/* x5c: a CBOR array (1..WA_MAX_X5C) of byte strings, each exactly one DER
 * certificate with no trailing bytes.  *chain[0] is the leaf. */
#define WA_MAX_X5C  8

wa_rc_t wa_x5c_parse(const cbor_item_t *x5c, STACK_OF(X509) **chain,
    wa_err_t *err);

/* Verify the chain (leaf first) against policy->trust at policy->time and
 * set *trusted.  A chain that reaches no anchor (or no anchors at all) is
 * WA_OK with *trusted = 0, unless the policy requires trusted attestation:
 * then WA_ERR_ATTESTATION_UNTRUSTED. */
wa_rc_t wa_x5c_verify_chain(const wa_policy_t *pol, STACK_OF(X509) *chain,
    int *trusted, wa_err_t *err);

/* The id-fido-gen-ce-aaguid extension (1.3.6.1.4.1.45724.1.1.4): when
 * present it must be non-critical and equal aaguid. */
wa_rc_t wa_x509_check_aaguid(X509 *cert, const uint8_t aaguid[16],
    wa_err_t *err);

/* Does the certificate's public key equal the credential key? */
int wa_x509_key_matches(X509 *cert, const wa_key_t *key);

/* Packed attestation statement certificate requirements (WebAuthn L3
 * 8.2.1): version 3; subject C (two-letter code), O, OU exactly
 * "Authenticator Attestation", CN; basicConstraints CA false. */
wa_rc_t wa_x509_check_packed(X509 *cert, wa_err_t *err);

#endif /* WA_INTERNAL_H */
