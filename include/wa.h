/*
 * wa: the WebAuthn verifier core of ngx_http_webauthn_module.
 *
 * nginx-free and Redis-free C: bytes in, a verdict and a stable reason code
 * out.  It never prints and never aborts; every function that can fail
 * returns a wa_rc_t and, when given a wa_err_t, names the step that failed.
 *
 * Dependencies: OpenSSL 3 and libcbor.
 *
 * Ownership: structures named *_t that hold wa_buf_t members own their
 * memory and have a matching *_free(); pointers into caller memory are
 * "const" and documented as borrowed.
 */

#ifndef WA_H
#define WA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


/* Reason codes.  The strings returned by wa_rc_code() are a stable public
 * contract (logs, JSON errors, metrics labels): extend, never rename. */
typedef enum {
    WA_OK = 0,
    WA_ERR_MALFORMED,               /* malformed_request */
    WA_ERR_TOO_LARGE,               /* payload_too_large */
    WA_ERR_TYPE_MISMATCH,           /* type_mismatch */
    WA_ERR_CHALLENGE_MISMATCH,      /* challenge_mismatch */
    WA_ERR_ORIGIN_MISMATCH,         /* origin_mismatch */
    WA_ERR_CROSS_ORIGIN,            /* cross_origin_refused */
    WA_ERR_TOP_ORIGIN_MISMATCH,     /* top_origin_mismatch */
    WA_ERR_RP_ID_MISMATCH,          /* rp_id_mismatch */
    WA_ERR_UP_MISSING,              /* user_presence_missing */
    WA_ERR_UV_REQUIRED,             /* user_verification_required */
    WA_ERR_BACKUP_STATE,            /* backup_state_invalid */
    WA_ERR_BACKUP_ELIGIBILITY,      /* backup_eligibility_changed */
    WA_ERR_SIGNATURE_INVALID,       /* signature_invalid */
    WA_ERR_COUNTER_REGRESSION,      /* counter_regression */
    WA_ERR_CREDENTIAL_MISMATCH,     /* credential_id_mismatch */
    WA_ERR_CREDENTIAL_UNKNOWN,      /* credential_unknown */
    WA_ERR_USER_MISMATCH,           /* user_mismatch */
    WA_ERR_ALGORITHM_UNSUPPORTED,   /* algorithm_unsupported */
    WA_ERR_KEY_INVALID,             /* key_invalid */
    WA_ERR_ATTESTATION_INVALID,     /* attestation_invalid */
    WA_ERR_ATTESTATION_UNTRUSTED,   /* attestation_untrusted */
    WA_ERR_ATTESTATION_FORMAT,      /* attestation_format_unsupported */
    WA_ERR_INTERNAL,                /* internal_error (out of memory) */
    WA_RC_COUNT
} wa_rc_t;

/* The stable string for a code ("signature_invalid"); never NULL. */
const char *wa_rc_code(wa_rc_t rc);


/* Where a failure happened.  detail is a static string naming the step
 * ("clientDataJSON.origin", "attStmt.x5c[0].basicConstraints"), never
 * input data, so it is safe to log. */
typedef struct {
    wa_rc_t      rc;
    const char  *detail;
} wa_err_t;


/* An owned byte buffer. */
typedef struct {
    uint8_t     *data;
    size_t       len;
} wa_buf_t;


/* Limits.  Inputs beyond these are refused with WA_ERR_TOO_LARGE before any
 * parsing work.  They are generous for every authenticator we know of. */
#define WA_MAX_RESPONSE_JSON      (256 * 1024)
#define WA_MAX_CLIENT_DATA_JSON   (16 * 1024)
#define WA_MAX_ATTESTATION_OBJECT (128 * 1024)
#define WA_MAX_AUTH_DATA          (16 * 1024)
#define WA_MAX_SIGNATURE          2048
#define WA_MAX_CREDENTIAL_ID      1023      /* WebAuthn L3 6.1 */
#define WA_MAX_USER_HANDLE        64        /* WebAuthn L3 5.4.3 */
#define WA_MAX_CHALLENGE          1024
#define WA_MAX_CBOR_DEPTH         16


/* authenticatorData flags (WebAuthn L3 6.1). */
#define WA_FLAG_UP   0x01
#define WA_FLAG_UV   0x04
#define WA_FLAG_BE   0x08
#define WA_FLAG_BS   0x10
#define WA_FLAG_AT   0x40
#define WA_FLAG_ED   0x80


/* COSE algorithm identifiers supported. */
#define WA_ALG_ES256   -7
#define WA_ALG_ES384   -35
#define WA_ALG_ES512   -36
#define WA_ALG_EDDSA   -8       /* Ed25519 or Ed448, by the key's curve */
#define WA_ALG_ED25519 -19      /* fully specified (RFC 9864) */
#define WA_ALG_ED448   -53      /* fully specified (RFC 9864) */
#define WA_ALG_RS256   -257
#define WA_ALG_RS384   -258
#define WA_ALG_RS512   -259
#define WA_ALG_PS256   -37
#define WA_ALG_PS384   -38
#define WA_ALG_PS512   -39
#define WA_ALG_RS1     -65535   /* only inside TPM/packed attestation stmts */

/* Is alg one this core can verify a credential signature with? */
int wa_alg_supported(int32_t alg);
/* "ES256", ... or NULL. */
const char *wa_alg_name(int32_t alg);


/* Transports (bit mask) as carried in response.transports. */
#define WA_TRANSPORT_USB        0x01
#define WA_TRANSPORT_NFC        0x02
#define WA_TRANSPORT_BLE        0x04
#define WA_TRANSPORT_INTERNAL   0x08
#define WA_TRANSPORT_HYBRID     0x10
#define WA_TRANSPORT_SMART_CARD 0x20


/* ---- trust anchors for attestation certificate chains ---------------- */

typedef struct wa_trust_s  wa_trust_t;

wa_trust_t *wa_trust_new(void);
/* PEM file with one or more certificates, or a single DER certificate. */
wa_rc_t wa_trust_add_file(wa_trust_t *t, const char *path, wa_err_t *err);
wa_rc_t wa_trust_add_der(wa_trust_t *t, const uint8_t *der, size_t len,
    wa_err_t *err);
size_t wa_trust_count(const wa_trust_t *t);
void wa_trust_free(wa_trust_t *t);


/* ---- relying party policy -------------------------------------------- */

typedef struct {
    const char          *rp_id;            /* NUL-terminated, required */

    /* Allowed origins, compared byte for byte: "https://example.org",
     * "https://example.org:8443", "android:apk-key-hash:...". */
    const char * const  *origins;
    size_t               n_origins;

    /* Allowed topOrigin values when crossOrigin is true. */
    const char * const  *top_origins;
    size_t               n_top_origins;

    unsigned             allow_cross_origin:1;

    /* With allow_cross_origin: a cross-origin clientDataJSON must name its
     * embedder (topOrigin, from top_origins).  Off by default, since
     * clients before WebAuthn Level 3 do not send topOrigin. */
    unsigned             require_top_origin:1;

    unsigned             require_uv:1;

    /* Accept BER-encoded (non-minimal) ECDSA signatures by re-encoding them
     * as DER; off by default: strict DER only. */
    unsigned             ber_signatures:1;

    /* Refuse attestation whose chain does not reach a trust anchor
     * (self and none attestation are then refused too). */
    unsigned             require_trusted_attestation:1;

    /* Allowed credential algorithms (COSE ids) at registration; NULL or
     * empty: every supported one. */
    const int32_t       *algorithms;
    size_t               n_algorithms;

    /* Trust anchors for x5c chains; NULL: chains are not checked and the
     * attestation is reported untrusted. */
    const wa_trust_t    *trust;

    /* Certificate verification time (Unix seconds); 0: now. */
    int64_t              time;
} wa_policy_t;


/* ---- public keys ------------------------------------------------------ */

typedef struct wa_key_s  wa_key_t;

/* Parse a COSE_Key (strict canonical CBOR, whole input consumed) into a
 * verification key.  Build once, verify many times: building an EVP_PKEY
 * is the expensive part in OpenSSL 3. */
wa_rc_t wa_key_from_cose(const uint8_t *cose, size_t len, wa_key_t **out,
    wa_err_t *err);
int32_t wa_key_alg(const wa_key_t *key);
void wa_key_free(wa_key_t *key);

/* Verify sig over data with key, by the key's algorithm. */
wa_rc_t wa_key_verify(const wa_key_t *key, const uint8_t *data, size_t len,
    const uint8_t *sig, size_t sig_len, int ber, wa_err_t *err);


/* ---- parsed pieces (borrowing the input) ------------------------------ */

enum {
    WA_CEREMONY_CREATE = 1,          /* "webauthn.create" */
    WA_CEREMONY_GET = 2              /* "webauthn.get" */
};

typedef struct {
    int          type;               /* WA_CEREMONY_* */
    wa_buf_t     challenge;          /* decoded from base64url, owned */
    char        *origin;             /* owned, NUL-terminated */
    char        *top_origin;         /* owned or NULL */
    int          cross_origin;       /* 0/1 */
} wa_client_data_t;

/* Strict JSON (valid UTF-8, no duplicate keys, one object, nothing after
 * it).  Unknown members are ignored, as the spec requires. */
wa_rc_t wa_client_data_parse(const uint8_t *json, size_t len,
    wa_client_data_t *out, wa_err_t *err);
void wa_client_data_free(wa_client_data_t *cd);

typedef struct {
    const uint8_t  *rp_id_hash;      /* 32 bytes */
    uint8_t         flags;
    uint32_t        sign_count;

    /* present when flags & WA_FLAG_AT */
    const uint8_t  *aaguid;          /* 16 bytes */
    const uint8_t  *cred_id;
    size_t          cred_id_len;
    const uint8_t  *cose_key;
    size_t          cose_key_len;

    /* present when flags & WA_FLAG_ED */
    const uint8_t  *extensions;
    size_t          extensions_len;
} wa_auth_data_t;

/* Layout checks only: lengths, flag consistency (AT/ED against the
 * contents, BS without BE), strict CBOR for the key and extensions, no
 * trailing bytes.  Borrows p. */
wa_rc_t wa_auth_data_parse(const uint8_t *p, size_t len, wa_auth_data_t *out,
    wa_err_t *err);


/* ---- the JSON forms sent by PublicKeyCredential.toJSON() -------------- */

typedef struct {
    wa_buf_t     id;                 /* decoded base64url of "id" */
    wa_buf_t     raw_id;             /* decoded base64url of "rawId" */
    wa_buf_t     client_data_json;
    wa_buf_t     attestation_object;
    uint32_t     transports;         /* WA_TRANSPORT_* */
} wa_registration_response_t;

typedef struct {
    wa_buf_t     id;
    wa_buf_t     raw_id;
    wa_buf_t     client_data_json;
    wa_buf_t     authenticator_data;
    wa_buf_t     signature;
    wa_buf_t     user_handle;        /* len 0 when absent or null */
} wa_assertion_response_t;

/* RegistrationResponseJSON / AuthenticationResponseJSON (WebAuthn L3 5.1).
 * Checks: one JSON object, valid UTF-8, no duplicate keys, "type" is
 * "public-key", base64url (unpadded, canonical) fields, id == rawId, every
 * size limit.  Unknown members are ignored. */
wa_rc_t wa_registration_response_parse(const char *json, size_t len,
    wa_registration_response_t *out, wa_err_t *err);
void wa_registration_response_free(wa_registration_response_t *r);

wa_rc_t wa_assertion_response_parse(const char *json, size_t len,
    wa_assertion_response_t *out, wa_err_t *err);
void wa_assertion_response_free(wa_assertion_response_t *r);


/* ---- registration (WebAuthn L3 7.1) ----------------------------------- */

typedef enum {
    WA_ATT_NONE = 0,                 /* no attestation */
    WA_ATT_SELF,                     /* signed by the credential key */
    WA_ATT_BASIC,                    /* x5c (packed, fido-u2f, android) */
    WA_ATT_ATTCA,                    /* tpm */
    WA_ATT_ANONCA                    /* apple */
} wa_att_type_t;

const char *wa_att_type_name(wa_att_type_t t);

typedef struct {
    wa_buf_t        cred_id;
    wa_buf_t        public_key;      /* the COSE_Key bytes, as sent */
    wa_key_t       *key;             /* parsed public_key */
    int32_t         alg;
    uint32_t        sign_count;
    uint8_t         aaguid[16];
    uint8_t         flags;
    char            fmt[24];
    wa_att_type_t   att_type;
    int             att_trusted;     /* chain verified to a trust anchor */
    uint32_t        transports;
} wa_credential_t;

/* Verify a registration against the challenge the RP issued.  On success
 * fills cred (free it with wa_credential_free).  On failure cred holds
 * nothing to free; its aaguid is the authenticator data's when the
 * failure came after that was read (the authenticator's claim, for
 * statistics only), else zeros. */
wa_rc_t wa_verify_registration(const wa_policy_t *pol,
    const uint8_t *challenge, size_t challenge_len,
    const wa_registration_response_t *resp, wa_credential_t *cred,
    wa_err_t *err);

void wa_credential_free(wa_credential_t *cred);


/* ---- authentication (WebAuthn L3 7.2) --------------------------------- */

typedef struct {
    const wa_key_t  *key;            /* required */

    /* When set, the response must be for this credential... */
    const uint8_t   *cred_id;
    size_t           cred_id_len;

    /* ...and, when set and the response carries a userHandle, for this
     * user.  Passkey-first login sets it to the owner's handle. */
    const uint8_t   *user_handle;
    size_t           user_handle_len;
    unsigned         user_handle_required:1;

    uint32_t         sign_count;     /* stored counter */
    int              backup_eligible; /* stored BE: 0, 1, or -1 unknown */
} wa_stored_credential_t;

typedef struct {
    uint32_t         sign_count;     /* to be stored */
    uint8_t          flags;
} wa_assertion_result_t;

wa_rc_t wa_verify_assertion(const wa_policy_t *pol,
    const uint8_t *challenge, size_t challenge_len,
    const wa_assertion_response_t *resp, const wa_stored_credential_t *cred,
    wa_assertion_result_t *res, wa_err_t *err);


/* ---- helpers shared with the glue and the tools ----------------------- */

/* Unpadded base64url (RFC 4648 5).  decode is strict: alphabet only, no
 * padding, canonical trailing bits.  out must hold len*3/4+3 bytes. */
wa_rc_t wa_b64url_decode(const char *in, size_t len, uint8_t *out,
    size_t *out_len);
/* out must hold (len+2)/3*4+1 bytes; it is NUL-terminated. */
size_t wa_b64url_encode(const uint8_t *in, size_t len, char *out);

/* Constant-time equality of two byte strings (length leaks only). */
int wa_ct_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* Overwrite secrets so the compiler cannot elide it. */
void wa_memzero(void *p, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* WA_H */
