/*
 * softauth: a software WebAuthn authenticator and client for tests.
 *
 * It produces what a browser and an authenticator would send: COSE keys in
 * CTAP2 canonical CBOR, authenticatorData, clientDataJSON in the browser's
 * member order, attestation objects (none, packed self, packed x5c,
 * fido-u2f), assertion signatures, and the RegistrationResponseJSON /
 * AuthenticationResponseJSON that PublicKeyCredential.toJSON() returns.
 *
 * Every piece can be overridden so that tests can build malformed variants:
 * plain fields in sa_opts_t for the common cases, and three kinds of hooks
 * for everything else:
 *
 *   - byte hooks get each serialized piece (COSE key, authenticatorData,
 *     clientDataJSON, the bytes to be signed, the signature, the
 *     attestation object, the response JSON) and may rewrite it in place;
 *   - CBOR hooks get the libcbor tree of the COSE key, the attStmt and the
 *     attestation object before it is serialized and may replace it;
 *   - a JSON hook gets the jansson tree of the response before it is
 *     serialized.
 *
 * Pieces are built in dependency order, so a change made by a hook is
 * covered by the signatures computed after it:
 *
 *   COSE key -> authenticatorData -> clientDataJSON -> to-be-signed bytes
 *   -> signature -> attStmt -> attestation object -> response JSON
 *
 * softauth does not depend on the wa core.  It uses OpenSSL 3, libcbor and
 * jansson.  Functions returning int return 0 on success and -1 on failure;
 * a failure is a bug in the caller or an allocation failure, and a message
 * is left in sa_last_error().
 */

#ifndef SOFTAUTH_H
#define SOFTAUTH_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#ifdef __cplusplus
extern "C" {
#endif


/* ---- byte buffers ------------------------------------------------------- */

typedef struct {
    uint8_t     *data;
    size_t       len;
    size_t       cap;
} sa_buf_t;

void sa_buf_free(sa_buf_t *b);
int sa_buf_reserve(sa_buf_t *b, size_t extra);
int sa_buf_append(sa_buf_t *b, const void *p, size_t n);
int sa_buf_append_byte(sa_buf_t *b, uint8_t c);
int sa_buf_append_str(sa_buf_t *b, const char *s);
int sa_buf_set(sa_buf_t *b, const void *p, size_t n);
/* Replace n bytes at off with the len bytes of p (any of them may be 0). */
int sa_buf_splice(sa_buf_t *b, size_t off, size_t n, const void *p,
    size_t len);
/* Replace the first occurrence of needle; -1 when it is absent. */
int sa_buf_replace(sa_buf_t *b, const char *needle, const char *with);
/* Truncate to len (no-op when already shorter). */
void sa_buf_truncate(sa_buf_t *b, size_t len);

/* The last failure message ("" when none). */
const char *sa_last_error(void);


/* ---- encodings ---------------------------------------------------------- */

/* Unpadded base64url; returns a malloc'ed NUL-terminated string. */
char *sa_b64url(const uint8_t *p, size_t n);
/* Strict unpadded base64url decode; -1 on any bad character. */
int sa_b64url_decode(const char *s, sa_buf_t *out);
/* Hex; returns a malloc'ed string / decodes into out (-1 on bad input). */
char *sa_hex(const uint8_t *p, size_t n);
int sa_unhex(const char *s, sa_buf_t *out);
/* SHA-256. */
void sa_sha256(const void *p, size_t n, uint8_t out[32]);
/* Random bytes. */
int sa_random(uint8_t *p, size_t n);


/* ---- CBOR helpers ------------------------------------------------------- */

/* An integer item with the minimal width (CTAP2 canonical). */
cbor_item_t *sa_cbor_int(int64_t v);
/* Serialize an item; libcbor writes definite items with the widths the
 * items were built with, so trees built with sa_cbor_int() are minimal. */
int sa_cbor_encode(const cbor_item_t *item, sa_buf_t *out);
/* Append a CBOR head (major type 0..7, argument v) with the minimal
 * length, or with exactly width argument bytes (1, 2, 4, 8) when width is
 * non-zero; for building non-canonical encodings by hand. */
int sa_cbor_head(sa_buf_t *b, int major, uint64_t v, int width);
/* Map helpers.  Each returns a new map (the old one is released) or NULL.
 * Keys and values passed in are consumed (their reference is taken over).
 * _add appends a pair even when the key is already there (duplicates). */
cbor_item_t *sa_cbor_map_add(cbor_item_t *map, cbor_item_t *key,
    cbor_item_t *value);
/* Replace the value of the first pair whose key is the integer k or the
 * text s; the pair is appended when absent. */
cbor_item_t *sa_cbor_map_set_int(cbor_item_t *map, int64_t k,
    cbor_item_t *value);
cbor_item_t *sa_cbor_map_set_str(cbor_item_t *map, const char *k,
    cbor_item_t *value);
/* Remove every pair with this key. */
cbor_item_t *sa_cbor_map_del_int(cbor_item_t *map, int64_t k);
cbor_item_t *sa_cbor_map_del_str(cbor_item_t *map, const char *k);
/* The value of key k (borrowed) or NULL. */
cbor_item_t *sa_cbor_map_get_int(const cbor_item_t *map, int64_t k);
cbor_item_t *sa_cbor_map_get_str(const cbor_item_t *map, const char *k);
/* A copy of map with the pairs in reverse order. */
cbor_item_t *sa_cbor_map_reversed(const cbor_item_t *map);
/* The same pairs in an indefinite-length map. */
cbor_item_t *sa_cbor_map_indefinite(const cbor_item_t *map);


/* ---- keys --------------------------------------------------------------- */

/* COSE key types and curves. */
#define SA_KTY_OKP      1
#define SA_KTY_EC2      2
#define SA_KTY_RSA      3
#define SA_CRV_P256     1
#define SA_CRV_P384     2
#define SA_CRV_P521     3
#define SA_CRV_ED25519  6
#define SA_CRV_ED448    7

typedef struct {
    EVP_PKEY    *pkey;
    int32_t      alg;       /* the COSE alg written into the key, and the
                               one signatures are made with */
    int          kty;       /* SA_KTY_* of pkey */
    int          crv;       /* SA_CRV_* of pkey, 0 for RSA */
    int          bits;      /* RSA modulus size */
} sa_key_t;

/*
 * Generate a key for a COSE algorithm: -7 P-256, -35 P-384, -36 P-521,
 * -257/-258/-259 and -37/-38/-39 RSA, -8 and -19 Ed25519, -53 Ed448.
 * param overrides the default: a SA_CRV_* for EC2/OKP (a P-384 key under
 * alg -7, an Ed448 key under -8), the modulus size in bits for RSA (0: 2048).
 * Tests may change key->alg afterwards to write a mismatching alg.
 */
sa_key_t *sa_key_new(int32_t alg, int param);
/* Wrap an existing private key (its reference count is taken, not
 * stolen): lets tests share one slow RSA key between credentials. */
sa_key_t *sa_key_from_pkey(EVP_PKEY *pkey, int32_t alg);
/* Load a PKCS#8 PEM private key; alg as in sa_key_new. */
sa_key_t *sa_key_from_pem(const char *pem, int32_t alg);
/* PKCS#8 PEM of the private key (malloc'ed). */
char *sa_key_to_pem(const sa_key_t *k);
void sa_key_free(sa_key_t *k);

/* The COSE_Key in CTAP2 canonical order (1, 3, -1, -2, -3).  The item is
 * the caller's (cbor_decref). */
cbor_item_t *sa_key_cose_item(const sa_key_t *k);
int sa_key_cose(const sa_key_t *k, sa_buf_t *out);
/* DER SubjectPublicKeyInfo. */
int sa_key_spki(const sa_key_t *k, sa_buf_t *out);
/* Raw public key pieces: EC x and y (field size each), OKP x, RSA n, e. */
int sa_key_ec_xy(const sa_key_t *k, sa_buf_t *x, sa_buf_t *y);

/*
 * Sign data: ECDSA (DER, digest by alg: SHA-256 for -7 and anything
 * unknown, SHA-384 for -35, SHA-512 for -36), RSA PKCS#1 v1.5 (-257, -258,
 * -259, -65535 SHA-1), RSA-PSS (-37, -38, -39; MGF1 with the same digest,
 * salt length = digest length), EdDSA (pure).  alg 0 means key->alg.
 */
int sa_sign(const sa_key_t *k, int32_t alg, const uint8_t *data, size_t len,
    sa_buf_t *sig);

/* Split a DER ECDSA-Sig-Value into r and s (big-endian, minimal, no sign
 * byte) / build one from r and s (strict DER). */
int sa_ecdsa_sig_split(const uint8_t *sig, size_t len, sa_buf_t *r,
    sa_buf_t *s);
int sa_ecdsa_sig_join(const uint8_t *r, size_t rlen, const uint8_t *s,
    size_t slen, sa_buf_t *out);


/* ---- attestation certificates ------------------------------------------ */

typedef struct {
    /* Subject attributes: NULL gives the default, "" leaves it out.
     * Defaults are those of WebAuthn L3 8.2.1 for packed: C "AA",
     * O "softauth", OU "Authenticator Attestation", CN "softauth packed". */
    const char     *c;
    const char     *o;
    const char     *ou;
    const char     *cn;

    unsigned        is_ca:1;             /* basicConstraints CA:TRUE */
    unsigned        no_basic_constraints:1;
    unsigned        version1:1;          /* an X.509 v1 certificate */

    /* Validity (Unix seconds); 0: one day ago / in ten years. */
    int64_t         not_before;
    int64_t         not_after;

    /* When set, the id-fido-gen-ce-aaguid extension with these 16 bytes. */
    const uint8_t  *aaguid;
    unsigned        aaguid_critical:1;
} sa_cert_opts_t;

/* A generated certificate authority: a P-256 key and a self-signed root
 * (CA:TRUE, keyCertSign).  Shared by every cert it issues. */
typedef struct {
    sa_key_t    *key;
    X509        *cert;
} sa_ca_t;

sa_ca_t *sa_ca_new(const char *cn);
void sa_ca_free(sa_ca_t *ca);
int sa_cert_der(X509 *cert, sa_buf_t *out);
/* Write the certificate as PEM to path. */
int sa_cert_write_pem(X509 *cert, const char *path);
/* Issue a certificate for subject's public key, signed by ca (or
 * self-signed with subject when ca is NULL).  o may be NULL (defaults). */
X509 *sa_cert_issue(const sa_ca_t *ca, const sa_key_t *subject,
    const sa_cert_opts_t *o);


/* ---- credentials -------------------------------------------------------- */

typedef struct {
    sa_key_t    *key;
    sa_buf_t     id;            /* credential id */
    sa_buf_t     user_handle;   /* may be empty */
    uint8_t      aaguid[16];
    uint32_t     counter;       /* last counter used */
    unsigned     be:1;          /* backup eligible (default for sa_opts) */
    unsigned     bs:1;          /* backed up */
} sa_cred_t;

/* A credential with a new key (see sa_key_new), a random 32-byte id, a
 * random 16-byte user handle and aaguid, counter 0.  Takes key when given
 * (alg and param are then ignored). */
sa_cred_t *sa_cred_new(int32_t alg, int param, sa_key_t *key);
void sa_cred_free(sa_cred_t *c);


/* ---- ceremonies --------------------------------------------------------- */

typedef enum {
    SA_ATT_NONE = 0,        /* fmt "none", empty attStmt */
    SA_ATT_PACKED_SELF,     /* fmt "packed", {alg, sig} by the credential */
    SA_ATT_PACKED_X5C,      /* fmt "packed", {alg, sig, x5c} */
    SA_ATT_FIDO_U2F         /* fmt "fido-u2f", {sig, x5c} (P-256 only) */
} sa_att_t;

/* Byte hooks: the piece may be rewritten in place; return non-zero to
 * abort the ceremony. */
typedef enum {
    SA_HOOK_COSE_KEY = 1,   /* credentialPublicKey inside authData */
    SA_HOOK_AUTH_DATA,      /* authenticatorData, before it is signed */
    SA_HOOK_CLIENT_DATA,    /* clientDataJSON, before it is hashed */
    SA_HOOK_TO_BE_SIGNED,   /* the exact bytes about to be signed */
    SA_HOOK_SIGNATURE,      /* assertion signature or attStmt sig */
    SA_HOOK_ATT_OBJECT,     /* the serialized attestationObject */
    SA_HOOK_RESPONSE_JSON   /* the response JSON text */
} sa_hook_t;

/* CBOR hooks: *item may be changed or replaced (release what you drop). */
typedef enum {
    SA_CHOOK_COSE_KEY = 1,  /* the COSE_Key map */
    SA_CHOOK_ATT_STMT,      /* the attStmt map */
    SA_CHOOK_ATT_OBJECT     /* the {fmt, attStmt, authData} map */
} sa_chook_t;

typedef int (*sa_bytes_hook_pt)(void *ctx, sa_hook_t what, sa_buf_t *bytes);
typedef int (*sa_cbor_hook_pt)(void *ctx, sa_chook_t what,
    cbor_item_t **item);
typedef int (*sa_json_hook_pt)(void *ctx, json_t *response);

typedef struct {
    /* relying party and client */
    const char     *rp_id;           /* required unless rp_id_hash */
    const uint8_t  *rp_id_hash;      /* 32 bytes replacing SHA-256(rp_id) */
    const uint8_t  *challenge;
    size_t          challenge_len;
    const char     *origin;          /* required */

    /* clientDataJSON */
    const char     *type;            /* NULL: webauthn.create / .get */
    const char     *challenge_text;  /* replaces base64url(challenge) */
    int             cross_origin;    /* 0 false, 1 true, -1 left out */
    const char     *top_origin;      /* NULL: left out */
    const char     *client_data_extra; /* raw members inserted before the
                                          closing brace: ",\"x\":1" */
    const char     *client_data_raw; /* replaces the whole clientDataJSON */
    size_t          client_data_raw_len; /* 0: strlen(client_data_raw) */

    /* authenticatorData */
    unsigned        no_up:1;
    unsigned        uv:1;
    unsigned        be:1;            /* also set when the credential's be */
    unsigned        bs:1;            /* also set when the credential's bs */
    unsigned        no_attested_data:1; /* registration without AT data */
    unsigned        attested_data:1; /* assertion WITH attested data */
    unsigned        counter_set:1;   /* use counter below */
    uint8_t         flags_set;       /* OR'ed in last */
    uint8_t         flags_clear;     /* cleared last */
    uint32_t        counter;
    const uint8_t  *extensions;      /* CBOR map bytes; sets ED */
    size_t          extensions_len;
    const uint8_t  *aaguid;          /* 16 bytes replacing cred->aaguid */

    /* attestation (registration) */
    sa_att_t        att;
    const char     *fmt;             /* replaces the fmt text */
    int32_t         att_alg;         /* replaces attStmt alg (0: key's) */
    const sa_ca_t  *ca;              /* issuer of the x5c leaf; NULL:
                                        a process-wide default CA */
    const sa_cert_opts_t *cert;      /* leaf certificate options */
    X509           *att_cert;        /* a ready leaf (then att_key too) */
    const sa_key_t *att_key;         /* attestation key (default: a
                                        process-wide P-256 key) */
    unsigned        x5c_with_ca:1;   /* append the CA cert to x5c */

    /* response JSON (PublicKeyCredential.toJSON()) */
    const char     *id;              /* replaces "id" */
    const char     *raw_id;          /* replaces "rawId" */
    const char     *cred_type;       /* replaces "public-key" */
    const char     *attachment;      /* NULL: "platform"; "": left out */
    const char     *transports;      /* comma-separated; NULL: "hybrid,
                                        internal"; "": [] */
    const char     *user_handle;     /* replaces userHandle (base64url) */
    unsigned        no_user_handle:1;/* leave userHandle out */
    unsigned        no_public_key:1; /* leave response.publicKey out */

    /* hooks */
    sa_bytes_hook_pt  bytes_hook;
    sa_cbor_hook_pt   cbor_hook;
    sa_json_hook_pt   json_hook;
    void             *hook_ctx;
} sa_opts_t;

typedef struct {
    sa_buf_t     client_data_json;
    sa_buf_t     auth_data;
    sa_buf_t     cose_key;          /* as placed in authData */
    sa_buf_t     signature;         /* assertion signature or attStmt sig */
    sa_buf_t     att_object;        /* registration only */
    sa_buf_t     x5c0;              /* DER leaf, when one was made */
    char        *json;              /* the response JSON, NUL-terminated */
    size_t       json_len;
} sa_result_t;

/* Create a credential: builds everything from cred and o.  Uses counter
 * cred->counter unless o->counter_set. */
int sa_register(sa_cred_t *cred, const sa_opts_t *o, sa_result_t *out);

/* Get an assertion.  The counter is cred->counter + 1 unless
 * o->counter_set; cred->counter is updated to the value used. */
int sa_login(sa_cred_t *cred, const sa_opts_t *o, sa_result_t *out);

void sa_result_free(sa_result_t *r);

/* The process-wide default attestation CA and key (created on first use,
 * released by sa_cleanup). */
const sa_ca_t *sa_default_ca(void);
const sa_key_t *sa_default_att_key(void);
void sa_cleanup(void);


/* ---- state files (the command-line front end) -------------------------- */

/* JSON: {"alg", "credentialId", "userHandle", "aaguid", "counter", "be",
 * "bs", "rpId", "privateKey" (PKCS#8 PEM)}. */
int sa_state_save(const sa_cred_t *c, const char *rp_id, const char *path);
sa_cred_t *sa_state_load(const char *path, char **rp_id);

#ifdef __cplusplus
}
#endif

#endif /* SOFTAUTH_H */
