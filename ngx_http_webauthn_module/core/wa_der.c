/*
 * Strict DER reading (X.690 section 10) for the attestation evidence that
 * authenticators put inside certificate extensions, and a raw-OID
 * extension lookup.  OpenSSL parses the certificates themselves; these
 * helpers only walk extension payloads, which OpenSSL hands over as opaque
 * octets.
 */

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "wa_der.h"


/* Start reading len octets at p. */
void
wa_der_init(wa_der_t *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->end = (p != NULL) ? p + len : p;
}


/* Callers use this to refuse trailing octets after the last element. */
int
wa_der_done(const wa_der_t *r)
{
    return r->p == r->end;
}


/*
 * One identifier, one length, the contents.  DER requires the minimal
 * form of both the tag number and the length, and forbids the indefinite
 * length; anything else is refused so that one value has exactly one
 * encoding and no two parsers can disagree about where an element ends.
 */
int
wa_der_next(wa_der_t *r, wa_der_tlv_t *t)
{
    const uint8_t  *p = r->p;
    size_t          avail, len, i, n;
    uint32_t        tag;
    uint8_t         b;

    if (p == NULL || p >= r->end) {
        return -1;
    }

    b = *p++;
    t->cls = b & 0xc0;
    t->constructed = (b & 0x20) != 0;
    tag = b & 0x1f;

    if (tag == 0x1f) {
        /* high-tag-number form: base 128, no leading 0x80, >= 31 */
        tag = 0;
        for (i = 0; ; i++) {
            if (p >= r->end || i == 3) {
                return -1;
            }
            b = *p++;
            if (i == 0 && b == 0x80) {
                return -1;
            }
            tag = (tag << 7) | (b & 0x7f);
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (tag < 0x1f || tag > WA_DER_MAX_TAG) {
            return -1;
        }
    }
    t->tag = tag;

    if (p >= r->end) {
        return -1;
    }
    b = *p++;

    if (b < 0x80) {
        len = b;

    } else {
        n = b & 0x7f;
        /* 0x80 is the indefinite form; more than 4 octets is absurd */
        if (n == 0 || n > 4 || (size_t) (r->end - p) < n) {
            return -1;
        }
        if (p[0] == 0) {
            return -1;                          /* leading zero octet */
        }
        len = 0;
        for (i = 0; i < n; i++) {
            len = (len << 8) | p[i];
        }
        p += n;
        if (len < 0x80) {
            return -1;                          /* short form required */
        }
    }

    avail = (size_t) (r->end - p);
    if (len > avail) {
        return -1;
    }

    t->val = p;
    t->len = len;
    r->p = p + len;

    return 0;
}


/* The element must be exactly the one the schema expects at this point. */
int
wa_der_expect(wa_der_t *r, unsigned cls, int constructed, uint32_t tag,
    wa_der_tlv_t *t)
{
    if (wa_der_next(r, t) != 0) {
        return -1;
    }

    if (t->cls != cls || t->constructed != (constructed != 0)
        || t->tag != tag)
    {
        return -1;
    }

    return 0;
}


/* X.690 8.3.2: the first nine bits of an INTEGER are never all equal. */
int
wa_der_int_check(const wa_der_tlv_t *t)
{
    if (t->len == 0) {
        return -1;
    }

    if (t->len > 1) {
        if (t->val[0] == 0x00 && (t->val[1] & 0x80) == 0) {
            return -1;
        }
        if (t->val[0] == 0xff && (t->val[1] & 0x80) != 0) {
            return -1;
        }
    }

    return 0;
}


/* Small non-negative integers: tag numbers, enum values, purposes. */
int
wa_der_uint32(const wa_der_tlv_t *t, uint32_t *v)
{
    const uint8_t  *p;
    size_t          len, i;
    uint32_t        acc;

    if (wa_der_int_check(t) != 0 || (t->val[0] & 0x80) != 0) {
        return -1;
    }

    p = t->val;
    len = t->len;

    if (len > 1 && p[0] == 0x00) {
        p++;
        len--;
    }

    if (len > 4) {
        return -1;
    }

    acc = 0;
    for (i = 0; i < len; i++) {
        acc = (acc << 8) | p[i];
    }

    *v = acc;

    return 0;
}


/*
 * Extensions are found by their encoded OID rather than by NID so that
 * private OIDs (FIDO, Android, Apple) need no registration in OpenSSL's
 * global object table, which is not ours to change inside nginx.  A
 * repeated extension is reported so that callers refuse it: RFC 5280
 * 4.2 forbids it, and two copies could say different things.
 */
int
wa_x509_ext_find(X509 *cert, const uint8_t *oid, size_t oid_len,
    const uint8_t **value, size_t *value_len, int *critical)
{
    X509_EXTENSION       *ext;
    const ASN1_OBJECT    *obj;
    ASN1_OCTET_STRING    *os;
    int                   i, n, found;

    found = 0;
    n = X509_get_ext_count(cert);

    for (i = 0; i < n; i++) {
        ext = X509_get_ext(cert, i);
        if (ext == NULL) {
            continue;
        }

        obj = X509_EXTENSION_get_object(ext);
        if (obj == NULL || OBJ_length(obj) != oid_len
            || memcmp(OBJ_get0_data(obj), oid, oid_len) != 0)
        {
            continue;
        }

        if (found) {
            return -1;
        }
        found = 1;

        os = X509_EXTENSION_get_data(ext);
        if (os == NULL) {
            return -1;
        }

        *value = ASN1_STRING_get0_data(os);
        *value_len = (size_t) ASN1_STRING_length(os);
        *critical = X509_EXTENSION_get_critical(ext) ? 1 : 0;
    }

    return found;
}
