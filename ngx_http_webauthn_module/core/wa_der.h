/*
 * A small strict DER reader, a raw-OID certificate extension lookup and
 * the CA-false rule, shared by the attestation formats that carry their
 * evidence inside certificate extensions (android-key, apple, tpm) and by
 * wa_x509.c.
 *
 * Private to the wa core.  The DER functions are bounded by their input
 * and allocate nothing.
 */

#ifndef WA_DER_H
#define WA_DER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <wa.h>


/* Tag classes, as the top two bits of the identifier octet. */
#define WA_DER_UNIVERSAL    0x00
#define WA_DER_APPLICATION  0x40
#define WA_DER_CONTEXT      0x80
#define WA_DER_PRIVATE      0xc0

/* Universal tag numbers used by the core. */
#define WA_DER_BOOLEAN      1
#define WA_DER_INTEGER      2
#define WA_DER_BIT_STRING   3
#define WA_DER_OCTET_STRING 4
#define WA_DER_NULL         5
#define WA_DER_OID          6
#define WA_DER_ENUMERATED   10
#define WA_DER_SEQUENCE     16
#define WA_DER_SET          17

/* Largest tag number accepted (high-tag-number form, up to 3 octets). */
#define WA_DER_MAX_TAG      0x1fffff

typedef struct {
    const uint8_t  *p;          /* next unread octet */
    const uint8_t  *end;        /* one past the last octet */
} wa_der_t;

typedef struct {
    unsigned        cls;        /* WA_DER_UNIVERSAL ... WA_DER_PRIVATE */
    int             constructed;
    uint32_t        tag;        /* tag number */
    const uint8_t  *val;        /* contents octets (borrowed) */
    size_t          len;
} wa_der_tlv_t;

void wa_der_init(wa_der_t *r, const uint8_t *p, size_t len);

/* Nothing left to read? */
int wa_der_done(const wa_der_t *r);

/*
 * Read one TLV and advance.  Refused (-1): truncation, indefinite length,
 * non-minimal length or tag encodings, tag numbers above WA_DER_MAX_TAG,
 * lengths beyond the input.  0 on success.
 */
int wa_der_next(wa_der_t *r, wa_der_tlv_t *t);

/* wa_der_next, then the identifier must be exactly (cls, constructed,
 * tag). */
int wa_der_expect(wa_der_t *r, unsigned cls, int constructed, uint32_t tag,
    wa_der_tlv_t *t);

/* Contents of an INTEGER/ENUMERATED TLV: minimal two's complement, at
 * least one octet.  0 when well formed. */
int wa_der_int_check(const wa_der_tlv_t *t);

/* Non-negative INTEGER/ENUMERATED that fits in 32 bits into *v; -1
 * otherwise (malformed, negative or too large). */
int wa_der_uint32(const wa_der_tlv_t *t, uint32_t *v);

/*
 * Look up a certificate extension by the contents octets of its OID
 * (no tag, no length).  Returns 0 when absent, 1 when present exactly
 * once (*value is the extnValue OCTET STRING's contents, borrowed from
 * cert; *critical 0/1), -1 when present more than once.
 */
int wa_x509_ext_find(X509 *cert, const uint8_t *oid, size_t oid_len,
    const uint8_t **value, size_t *value_len, int *critical);

/*
 * basicConstraints of an attestation certificate, when present, must say
 * CA false (WebAuthn L3 8.2.1, 8.3.1); absent is accepted (wa_x509.c).
 */
wa_rc_t wa_x509_check_not_ca(X509 *cert, wa_err_t *err);

#endif /* WA_DER_H */
