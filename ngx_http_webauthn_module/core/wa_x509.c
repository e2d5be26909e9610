/*
 * X.509 for attestation: the trust anchor set of the public API, x5c
 * parsing and chain verification, and the certificate requirements that
 * WebAuthn L3 section 8 places on attestation certificates.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "wa_internal.h"
#include "wa_der.h"


/* Largest trust anchor file read (a bundle of a few hundred roots). */
#define WA_TRUST_FILE_MAX   (4 * 1024 * 1024)

/* Largest single certificate accepted, in x5c or as a DER anchor. */
#define WA_CERT_MAX         (16 * 1024)


/*
 * Anchors are kept twice: in an X509_STORE for verification, so that a
 * chain is checked without rebuilding a store per request, and in a stack
 * for counting and duplicate detection.  Both hold references to the same
 * X509 objects.
 */
struct wa_trust_s {
    X509_STORE          *store;
    STACK_OF(X509)      *certs;
};


/* 1.3.6.1.4.1.45724.1.1.4 id-fido-gen-ce-aaguid */
static const uint8_t  wa_oid_fido_aaguid[] = {
    0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xe5, 0x1c, 0x01, 0x01, 0x04
};

static const char  wa_ou_attestation[] = "Authenticator Attestation";

/* Static per-index detail strings: never built from input. */
static const char *const  wa_x5c_detail[WA_MAX_X5C] = {
    "attStmt.x5c[0]", "attStmt.x5c[1]", "attStmt.x5c[2]", "attStmt.x5c[3]",
    "attStmt.x5c[4]", "attStmt.x5c[5]", "attStmt.x5c[6]", "attStmt.x5c[7]"
};


/* A new, empty anchor set: its own store, so policies never share state. */
wa_trust_t *
wa_trust_new(void)
{
    wa_trust_t  *t;

    t = OPENSSL_zalloc(sizeof(*t));
    if (t == NULL) {
        return NULL;
    }

    t->store = X509_STORE_new();
    t->certs = sk_X509_new_null();

    if (t->store == NULL || t->certs == NULL) {
        wa_trust_free(t);
        return NULL;
    }

    return t;
}


void
wa_trust_free(wa_trust_t *t)
{
    if (t == NULL) {
        return;
    }

    X509_STORE_free(t->store);
    sk_X509_pop_free(t->certs, X509_free);
    OPENSSL_free(t);
}


size_t
wa_trust_count(const wa_trust_t *t)
{
    int  n;

    if (t == NULL || t->certs == NULL) {
        return 0;
    }

    n = sk_X509_num(t->certs);

    return n > 0 ? (size_t) n : 0;
}


/* Is an equal certificate (same DER) already an anchor? */
static int
wa_trust_has(const wa_trust_t *t, X509 *cert)
{
    int  i;

    for (i = 0; i < sk_X509_num(t->certs); i++) {
        if (X509_cmp(sk_X509_value(t->certs, i), cert) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Add every certificate of a batch, or none: a file is either loaded
 * whole or refused, so a half-read bundle never silently narrows trust.
 * Duplicates (within the batch or with earlier anchors) count once.
 */
static wa_rc_t
wa_trust_commit(wa_trust_t *t, STACK_OF(X509) *batch, wa_err_t *err)
{
    X509  *cert;
    int    i, start;

    start = sk_X509_num(t->certs);

    for (i = 0; i < sk_X509_num(batch); i++) {
        cert = sk_X509_value(batch, i);

        if (wa_trust_has(t, cert)) {
            continue;
        }

        if (!sk_X509_push(t->certs, cert)) {
            goto failed;
        }
        X509_up_ref(cert);
    }

    for (i = start; i < sk_X509_num(t->certs); i++) {
        if (!X509_STORE_add_cert(t->store, sk_X509_value(t->certs, i))) {
            /*
             * The store may keep what it already took; it only ever holds
             * anchors the caller asked for, and the caller treats this as
             * a fatal configuration error.
             */
            goto failed;
        }
    }

    return WA_OK;

failed:

    while (sk_X509_num(t->certs) > start) {
        X509_free(sk_X509_pop(t->certs));
    }

    ERR_clear_error();

    return wa_fail(err, WA_ERR_INTERNAL, "trust.add");
}


/* One DER certificate filling exactly len octets. */
static X509 *
wa_der_cert(const uint8_t *der, size_t len)
{
    const unsigned char  *p = der;
    X509                 *cert;

    if (der == NULL || len == 0 || len > WA_CERT_MAX) {
        return NULL;
    }

    cert = d2i_X509(NULL, &p, (long) len);
    if (cert == NULL) {
        return NULL;
    }

    if ((size_t) (p - der) != len) {
        X509_free(cert);
        return NULL;
    }

    return cert;
}


wa_rc_t
wa_trust_add_der(wa_trust_t *t, const uint8_t *der, size_t len,
    wa_err_t *err)
{
    STACK_OF(X509)  *batch;
    X509            *cert;
    wa_rc_t          rc;

    if (t == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "trust");
    }

    cert = wa_der_cert(der, len);
    if (cert == NULL) {
        ERR_clear_error();
        return wa_fail(err, WA_ERR_MALFORMED, "trust.der");
    }

    batch = sk_X509_new_null();
    if (batch == NULL || !sk_X509_push(batch, cert)) {
        sk_X509_free(batch);
        X509_free(cert);
        return wa_fail(err, WA_ERR_INTERNAL, "trust.add");
    }

    rc = wa_trust_commit(t, batch, err);

    sk_X509_pop_free(batch, X509_free);

    return rc;
}


/* The whole file, bounded, into memory. */
static wa_rc_t
wa_read_file(const char *path, uint8_t **out, size_t *out_len, wa_err_t *err)
{
    FILE     *f;
    uint8_t  *buf;
    size_t    len, n;

    f = fopen(path, "rb");
    if (f == NULL) {
        return wa_fail(err, WA_ERR_MALFORMED, "trust.file.open");
    }

    buf = OPENSSL_malloc(WA_TRUST_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        return wa_fail(err, WA_ERR_INTERNAL, "trust.file");
    }

    len = 0;
    while (len <= WA_TRUST_FILE_MAX) {
        n = fread(buf + len, 1, WA_TRUST_FILE_MAX + 1 - len, f);
        if (n == 0) {
            break;
        }
        len += n;
    }

    if (ferror(f)) {
        fclose(f);
        OPENSSL_free(buf);
        return wa_fail(err, WA_ERR_MALFORMED, "trust.file.read");
    }

    fclose(f);

    if (len > WA_TRUST_FILE_MAX) {
        OPENSSL_free(buf);
        return wa_fail(err, WA_ERR_TOO_LARGE, "trust.file");
    }

    *out = buf;
    *out_len = len;

    return WA_OK;
}


/* Does the buffer contain a PEM armour line at all? */
static int
wa_looks_pem(const uint8_t *p, size_t len)
{
    static const char  begin[] = "-----BEGIN ";
    size_t             i, n = sizeof(begin) - 1;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(p + i, begin, n) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Every CERTIFICATE block of a PEM buffer.  Other blocks (keys, CRLs) are
 * skipped by OpenSSL; a damaged certificate block refuses the whole file.
 */
static wa_rc_t
wa_pem_certs(const uint8_t *p, size_t len, STACK_OF(X509) *batch,
    wa_err_t *err)
{
    BIO            *bio;
    X509           *cert;
    unsigned long   e;

    bio = BIO_new_mem_buf(p, (int) len);
    if (bio == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "trust.file");
    }

    ERR_clear_error();

    for ( ;; ) {
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (cert == NULL) {
            break;
        }

        if (!sk_X509_push(batch, cert)) {
            X509_free(cert);
            BIO_free(bio);
            return wa_fail(err, WA_ERR_INTERNAL, "trust.file");
        }
    }

    BIO_free(bio);

    /* the normal end of input is "no start line"; anything else is damage */
    e = ERR_peek_last_error();
    ERR_clear_error();

    if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM
                    && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
    {
        return wa_fail(err, WA_ERR_MALFORMED, "trust.file.pem");
    }

    return WA_OK;
}


wa_rc_t
wa_trust_add_file(wa_trust_t *t, const char *path, wa_err_t *err)
{
    STACK_OF(X509)  *batch;
    X509            *cert;
    uint8_t         *buf;
    size_t           len;
    wa_rc_t          rc;

    if (t == NULL || path == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "trust");
    }

    buf = NULL;
    len = 0;

    rc = wa_read_file(path, &buf, &len, err);
    if (rc != WA_OK) {
        return rc;
    }

    batch = sk_X509_new_null();
    if (batch == NULL) {
        OPENSSL_free(buf);
        return wa_fail(err, WA_ERR_INTERNAL, "trust.file");
    }

    if (wa_looks_pem(buf, len)) {
        rc = wa_pem_certs(buf, len, batch, err);

    } else {
        cert = wa_der_cert(buf, len);
        if (cert == NULL) {
            ERR_clear_error();
            rc = wa_fail(err, WA_ERR_MALFORMED, "trust.file.der");

        } else if (!sk_X509_push(batch, cert)) {
            X509_free(cert);
            rc = wa_fail(err, WA_ERR_INTERNAL, "trust.file");
        }
    }

    OPENSSL_free(buf);

    if (rc == WA_OK && sk_X509_num(batch) == 0) {
        rc = wa_fail(err, WA_ERR_MALFORMED, "trust.file.empty");
    }

    if (rc == WA_OK) {
        rc = wa_trust_commit(t, batch, err);
    }

    sk_X509_pop_free(batch, X509_free);

    return rc;
}


/*
 * attStmt.x5c: a definite array of 1..WA_MAX_X5C byte strings, each one
 * whole DER certificate.  WebAuthn L3 8.2, 8.3, 8.4, 8.8 all define x5c
 * this way, with the attestation (leaf) certificate first.
 */
wa_rc_t
wa_x5c_parse(const cbor_item_t *x5c, STACK_OF(X509) **chain, wa_err_t *err)
{
    STACK_OF(X509)   *sk;
    cbor_item_t     **items;
    X509             *cert;
    size_t            n, i;

    *chain = NULL;

    if (x5c == NULL || !cbor_isa_array(x5c) || !cbor_array_is_definite(x5c))
    {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }

    n = cbor_array_size(x5c);
    if (n == 0 || n > WA_MAX_X5C) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }

    items = cbor_array_handle(x5c);
    if (items == NULL) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }

    sk = sk_X509_new_null();
    if (sk == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c");
    }

    for (i = 0; i < n; i++) {
        if (items[i] == NULL || !cbor_isa_bytestring(items[i])
            || !cbor_bytestring_is_definite(items[i]))
        {
            sk_X509_pop_free(sk, X509_free);
            return wa_fail(err, WA_ERR_MALFORMED, wa_x5c_detail[i]);
        }

        cert = wa_der_cert(cbor_bytestring_handle(items[i]),
                           cbor_bytestring_length(items[i]));
        if (cert == NULL) {
            ERR_clear_error();
            sk_X509_pop_free(sk, X509_free);
            return wa_fail(err, WA_ERR_MALFORMED, wa_x5c_detail[i]);
        }

        if (!sk_X509_push(sk, cert)) {
            X509_free(cert);
            sk_X509_pop_free(sk, X509_free);
            return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c");
        }
    }

    *chain = sk;

    return WA_OK;
}


/* A stable, loggable name for why OpenSSL refused a chain. */
static const char *
wa_x509_verify_detail(int code)
{
    switch (code) {

    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
        return "attStmt.x5c.validity";

    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return "attStmt.x5c.signature";

    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
        return "attStmt.x5c.anchor";

    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        return "attStmt.x5c.ca";

    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
        return "attStmt.x5c.critical";

    default:
        return "attStmt.x5c.chain";
    }
}


/*
 * WebAuthn L3 7.1 steps 21-22: the attestation trust path must chain to
 * an anchor the RP accepts.  Intermediates come only from x5c[1..]; the
 * anchors only from the policy.  PARTIAL_CHAIN lets an RP pin an
 * intermediate (a vendor's attestation CA) without its root.  No purpose
 * is set, so the leaf's extendedKeyUsage (tcg-kp-AIKCertificate for TPM)
 * is not held against it.
 */
wa_rc_t
wa_x5c_verify_chain(const wa_policy_t *pol, STACK_OF(X509) *chain,
    int *trusted, wa_err_t *err)
{
    X509_STORE_CTX       *ctx;
    X509_VERIFY_PARAM    *param;
    STACK_OF(X509)       *untrusted;
    X509                 *leaf;
    int                   i, ok, code;

    *trusted = 0;

    if (chain == NULL || sk_X509_num(chain) < 1) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.x5c");
    }

    if (pol->trust == NULL || wa_trust_count(pol->trust) == 0) {
        if (pol->require_trusted_attestation) {
            return wa_fail(err, WA_ERR_ATTESTATION_UNTRUSTED,
                           "attStmt.x5c.trust");
        }
        return WA_OK;
    }

    leaf = sk_X509_value(chain, 0);

    untrusted = sk_X509_new_null();
    if (untrusted == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c");
    }

    for (i = 1; i < sk_X509_num(chain); i++) {
        if (!sk_X509_push(untrusted, sk_X509_value(chain, i))) {
            sk_X509_free(untrusted);
            return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c");
        }
    }

    ctx = X509_STORE_CTX_new();
    if (ctx == NULL
        || !X509_STORE_CTX_init(ctx, pol->trust->store, leaf, untrusted))
    {
        X509_STORE_CTX_free(ctx);
        sk_X509_free(untrusted);
        ERR_clear_error();
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c");
    }

    param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    X509_VERIFY_PARAM_set_depth(param, WA_MAX_X5C + 1);

    if (pol->time != 0) {
        /* sets X509_V_FLAG_USE_CHECK_TIME as well */
        X509_VERIFY_PARAM_set_time(param, (time_t) pol->time);
    }

    ok = X509_verify_cert(ctx);
    code = X509_STORE_CTX_get_error(ctx);

    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    ERR_clear_error();

    if (ok != 1) {
        /* Not reaching an anchor makes the attestation untrusted, not
         * forged: unless the policy requires trust, it is accepted as
         * such, like "none" and self attestation are. */
        if (!pol->require_trusted_attestation) {
            return WA_OK;
        }

        return wa_fail(err, WA_ERR_ATTESTATION_UNTRUSTED,
                       wa_x509_verify_detail(code));
    }

    *trusted = 1;

    return WA_OK;
}


/*
 * WebAuthn L3 8.2.1 / 8.3.1: "If the related attestation root certificate
 * is used for multiple authenticator models, the Extension OID
 * 1.3.6.1.4.1.45724.1.1.4 (id-fido-gen-ce-aaguid) MUST be present,
 * containing the AAGUID as a 16-byte OCTET STRING.  The extension MUST
 * NOT be marked as critical."  The extnValue wraps that OCTET STRING, so
 * the payload is exactly 04 10 followed by the 16 octets.
 */
wa_rc_t
wa_x509_check_aaguid(X509 *cert, const uint8_t aaguid[16], wa_err_t *err)
{
    const uint8_t  *v;
    size_t          len;
    int             found, critical;

    found = wa_x509_ext_find(cert, wa_oid_fido_aaguid,
                             sizeof(wa_oid_fido_aaguid), &v, &len,
                             &critical);
    if (found == 0) {
        return WA_OK;
    }

    if (found < 0) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].aaguid");
    }

    if (critical) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].aaguid.critical");
    }

    if (len != 18 || v[0] != 0x04 || v[1] != 16) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].aaguid");
    }

    if (memcmp(v + 2, aaguid, 16) != 0) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].aaguid");
    }

    return WA_OK;
}


/*
 * android-key (8.4 step 3) and apple (8.8 step 5): the certificate was
 * issued for exactly the credential key.  EVP_PKEY_eq compares the key
 * type, the group or modulus, and the public value.
 */
int
wa_x509_key_matches(X509 *cert, const wa_key_t *key)
{
    EVP_PKEY  *a, *b;
    int        r;

    if (cert == NULL || key == NULL) {
        return 0;
    }

    a = X509_get0_pubkey(cert);
    b = wa_key_pkey(key);

    if (a == NULL || b == NULL) {
        ERR_clear_error();
        return 0;
    }

    r = EVP_PKEY_eq(a, b);
    ERR_clear_error();

    return r == 1;
}


/*
 * The subject entries with nid, as UTF-8.  Returns the number found (0..),
 * or -1 on allocation failure; when want is given, every entry must equal
 * it (*all_equal).
 */
static int
wa_name_entries(X509_NAME *name, int nid, const char *want, int *all_equal,
    size_t *first_len)
{
    X509_NAME_ENTRY  *e;
    unsigned char    *utf8;
    int               idx, n, len;

    n = 0;
    idx = -1;
    *all_equal = 1;
    *first_len = 0;

    for ( ;; ) {
        idx = X509_NAME_get_index_by_NID(name, nid, idx);
        if (idx < 0) {
            break;
        }

        e = X509_NAME_get_entry(name, idx);
        if (e == NULL) {
            return -1;
        }

        utf8 = NULL;
        len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
        if (len < 0) {
            ERR_clear_error();
            *all_equal = 0;
            n++;
            continue;
        }

        if (n == 0) {
            *first_len = (size_t) len;
        }

        if (len == 0) {
            *all_equal = 0;
        }

        if (want != NULL
            && ((size_t) len != strlen(want)
                || memcmp(utf8, want, (size_t) len) != 0))
        {
            *all_equal = 0;
        }

        OPENSSL_free(utf8);
        n++;
    }

    return n;
}


/*
 * basicConstraints, when present, must say CA false (8.2.1, 8.3.1).  An
 * absent extension is accepted: RFC 5280 4.2.1.9 makes a certificate
 * without it unusable as a CA, which is the property the requirement
 * protects, and attestation certificates in the field omit it.  A
 * malformed or repeated extension is refused.
 */
wa_rc_t
wa_x509_check_not_ca(X509 *cert, wa_err_t *err)
{
    BASIC_CONSTRAINTS  *bc;
    int                 crit, ca;

    crit = -1;
    bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);

    if (bc == NULL) {
        ERR_clear_error();
        if (crit == -1) {
            return WA_OK;
        }
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].basicConstraints");
    }

    ca = bc->ca != 0;
    BASIC_CONSTRAINTS_free(bc);

    if (ca) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].basicConstraints");
    }

    return WA_OK;
}


/*
 * WebAuthn L3 8.2.1, packed attestation statement certificate
 * requirements: version 3; subject C (ISO 3166 two-letter code), O,
 * OU = "Authenticator Attestation" and CN; basicConstraints CA false.
 */
wa_rc_t
wa_x509_check_packed(X509 *cert, wa_err_t *err)
{
    X509_NAME  *subj;
    size_t      len;
    int         n, eq;

    if (X509_get_version(cert) != X509_VERSION_3) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].version");
    }

    subj = X509_get_subject_name(cert);
    if (subj == NULL) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subject");
    }

    n = wa_name_entries(subj, NID_countryName, NULL, &eq, &len);
    if (n < 0) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c[0].subject");
    }
    if (n == 0 || !eq || len != 2) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subject.C");
    }

    n = wa_name_entries(subj, NID_organizationName, NULL, &eq, &len);
    if (n < 0) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c[0].subject");
    }
    if (n == 0 || !eq) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subject.O");
    }

    n = wa_name_entries(subj, NID_organizationalUnitName, wa_ou_attestation,
                        &eq, &len);
    if (n < 0) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c[0].subject");
    }
    if (n == 0 || !eq) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subject.OU");
    }

    n = wa_name_entries(subj, NID_commonName, NULL, &eq, &len);
    if (n < 0) {
        return wa_fail(err, WA_ERR_INTERNAL, "attStmt.x5c[0].subject");
    }
    if (n == 0 || !eq) {
        return wa_fail(err, WA_ERR_ATTESTATION_INVALID,
                       "attStmt.x5c[0].subject.CN");
    }

    return wa_x509_check_not_ca(cert, err);
}
