/*
 * Negative (and a few positive) checks of the tpm, android-key, apple and
 * compound attestation formats and of the trust anchor API, driven by the
 * WebAuthn L3 spec test vectors.
 *
 * Each check takes a vector's attestationObject, rebuilds it with one
 * member of attStmt changed (a flipped byte, a member removed or added, a
 * certificate extension altered) using libcbor's encoder, and runs the
 * whole wa_verify_registration() ceremony, expecting one reason code.
 *
 * Entry point: int wa_test_attest_formats(void), the number of failed
 * checks; one "ok - name" / "not ok - name" line per check.  The vectors
 * file is $WA_VECTORS, or tests/vectors/webauthn-l3-spec.json relative
 * to the repository root (the working directory of the unit tests).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <wa.h>


#define NEG_DEFAULT_VECTORS  "tests/vectors/webauthn-l3-spec.json"

/* A time inside the vectors' certificates (2024-01-01 .. 3024-01-01). */
#define NEG_TIME_VALID       1735689600     /* 2025-01-01 */
#define NEG_TIME_BEFORE      1577836800     /* 2020-01-01 */

int wa_test_attest_formats(void);


/* One registration case of the vectors file, decoded. */
typedef struct {
    uint8_t      *challenge;
    size_t        challenge_len;
    uint8_t      *cred_id;
    size_t        cred_id_len;
    uint8_t      *client_data;
    size_t        client_data_len;
    cbor_item_t  *att_obj;          /* the decoded attestationObject */
    cbor_item_t  *fmt;              /* borrowed from att_obj */
    cbor_item_t  *stmt;
    cbor_item_t  *auth_data;
} neg_case_t;

typedef struct {
    int           failed;
    json_t       *root;
    wa_trust_t   *trust;            /* the vectors' CA */
    uint8_t      *ca_der;
    size_t        ca_der_len;
    neg_case_t    tpm;
    neg_case_t    android;
    neg_case_t    apple;
} neg_ctx_t;


/* Record and print one check. */
static void
neg_report(neg_ctx_t *ctx, int ok, const char *name)
{
    printf("%s - %s\n", ok ? "ok" : "not ok", name);

    if (!ok) {
        ctx->failed++;
    }
}


/* Hex to a fresh buffer (NULL on bad input). */
static uint8_t *
neg_hex(const char *h, size_t *len)
{
    size_t    n, i;
    uint8_t  *p;
    unsigned  v;

    if (h == NULL || strlen(h) % 2 != 0) {
        return NULL;
    }

    n = strlen(h) / 2;
    p = malloc(n + 1);
    if (p == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(p);
            return NULL;
        }
        p[i] = (uint8_t) v;
    }

    *len = n;

    return p;
}


/* A string member of a JSON object, decoded from hex. */
static uint8_t *
neg_json_hex(json_t *obj, const char *key, size_t *len)
{
    return neg_hex(json_string_value(json_object_get(obj, key)), len);
}


/* A text-keyed member of a libcbor map (borrowed), or NULL. */
static cbor_item_t *
neg_map_get(cbor_item_t *map, const char *key)
{
    struct cbor_pair  *pairs;
    size_t             i, n;

    if (map == NULL || !cbor_isa_map(map)) {
        return NULL;
    }

    pairs = cbor_map_handle(map);
    n = cbor_map_size(map);

    for (i = 0; i < n; i++) {
        if (cbor_isa_string(pairs[i].key)
            && cbor_string_length(pairs[i].key) == strlen(key)
            && memcmp(cbor_string_handle(pairs[i].key), key,
                      strlen(key)) == 0)
        {
            return pairs[i].value;
        }
    }

    return NULL;
}


/* Load one case by name. */
static int
neg_case_load(neg_ctx_t *ctx, const char *name, neg_case_t *c)
{
    json_t                   *cases, *cs, *reg;
    struct cbor_load_result   res;
    uint8_t                  *ao;
    size_t                    ao_len, i;

    memset(c, 0, sizeof(*c));

    cases = json_object_get(ctx->root, "cases");
    cs = NULL;

    for (i = 0; i < json_array_size(cases); i++) {
        cs = json_array_get(cases, i);
        if (json_string_value(json_object_get(cs, "name")) != NULL
            && strcmp(json_string_value(json_object_get(cs, "name")), name)
               == 0)
        {
            break;
        }
        cs = NULL;
    }

    if (cs == NULL || i == json_array_size(cases)) {
        return -1;
    }

    reg = json_object_get(cs, "registration");

    c->challenge = neg_json_hex(reg, "challenge", &c->challenge_len);
    c->cred_id = neg_json_hex(reg, "credential_id", &c->cred_id_len);
    c->client_data = neg_json_hex(reg, "clientDataJSON",
                                  &c->client_data_len);
    ao = neg_json_hex(reg, "attestationObject", &ao_len);

    if (c->challenge == NULL || c->cred_id == NULL || c->client_data == NULL
        || ao == NULL)
    {
        free(ao);
        return -1;
    }

    c->att_obj = cbor_load(ao, ao_len, &res);
    free(ao);

    if (c->att_obj == NULL) {
        return -1;
    }

    c->fmt = neg_map_get(c->att_obj, "fmt");
    c->stmt = neg_map_get(c->att_obj, "attStmt");
    c->auth_data = neg_map_get(c->att_obj, "authData");

    return (c->fmt && c->stmt && c->auth_data) ? 0 : -1;
}


static void
neg_case_free(neg_case_t *c)
{
    free(c->challenge);
    free(c->cred_id);
    free(c->client_data);

    if (c->att_obj != NULL) {
        cbor_decref(&c->att_obj);
    }
}


/* A CBOR integer in its minimal encoding (the core refuses others). */
static cbor_item_t *
neg_int(int64_t v)
{
    uint64_t  u;

    if (v >= 0) {
        u = (uint64_t) v;
        if (u < 256) {
            return cbor_build_uint8((uint8_t) u);
        }
        if (u < 65536) {
            return cbor_build_uint16((uint16_t) u);
        }
        return cbor_build_uint32((uint32_t) u);
    }

    u = (uint64_t) (-1 - v);
    if (u < 256) {
        return cbor_build_negint8((uint8_t) u);
    }
    if (u < 65536) {
        return cbor_build_negint16((uint16_t) u);
    }
    return cbor_build_negint32((uint32_t) u);
}


/* A copy of a byte string item with one octet XORed (off < 0: from the
 * end), or with one octet appended (off == INT32_MAX). */
static cbor_item_t *
neg_bytes_mut(const cbor_item_t *bs, long off, uint8_t x)
{
    cbor_item_t  *it;
    uint8_t      *p;
    size_t        len;

    len = cbor_bytestring_length(bs);
    p = malloc(len + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, cbor_bytestring_handle(bs), len);

    if (off == INT32_MAX) {
        p[len++] = x;

    } else {
        if (off < 0) {
            off += (long) len;
        }
        if (off >= 0 && (size_t) off < len) {
            p[off] ^= x;
        }
    }

    it = cbor_build_bytestring(p, len);
    free(p);

    return it;
}


/* Offset of needle in a byte string item, or -1. */
static long
neg_find(const cbor_item_t *bs, const uint8_t *needle, size_t n)
{
    const uint8_t  *p = cbor_bytestring_handle(bs);
    size_t          len = cbor_bytestring_length(bs), i;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(p + i, needle, n) == 0) {
            return (long) i;
        }
    }

    return -1;
}


/*
 * A copy of map with key replaced by value (value NULL: key removed; key
 * absent: added).  Takes the caller's reference to value.
 */
static cbor_item_t *
neg_map_with(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    struct cbor_pair  *pairs, pair;
    cbor_item_t       *m;
    size_t             i, n;
    int                replaced = 0;

    n = cbor_map_size(map);
    pairs = cbor_map_handle(map);
    m = cbor_new_definite_map(n + 1);

    for (i = 0; i < n; i++) {
        if (cbor_isa_string(pairs[i].key)
            && cbor_string_length(pairs[i].key) == strlen(key)
            && memcmp(cbor_string_handle(pairs[i].key), key,
                      strlen(key)) == 0)
        {
            replaced = 1;
            if (value == NULL) {
                continue;
            }
            pair.key = cbor_move(cbor_build_string(key));
            pair.value = value;
            cbor_map_add(m, pair);
            cbor_decref(&value);
            continue;
        }

        pair.key = pairs[i].key;
        pair.value = pairs[i].value;
        cbor_map_add(m, pair);
    }

    if (!replaced && value != NULL) {
        pair.key = cbor_move(cbor_build_string(key));
        pair.value = value;
        cbor_map_add(m, pair);
        cbor_decref(&value);
    }

    return m;
}


/* x5c with its first certificate replaced. */
static cbor_item_t *
neg_x5c_with_leaf(cbor_item_t *leaf)
{
    cbor_item_t  *a;

    a = cbor_new_definite_array(1);
    cbor_array_push(a, leaf);
    cbor_decref(&leaf);

    return a;
}


/* The first certificate of a statement's x5c (borrowed). */
static cbor_item_t *
neg_leaf(cbor_item_t *stmt)
{
    cbor_item_t  *x5c = neg_map_get(stmt, "x5c");

    if (x5c == NULL || !cbor_isa_array(x5c) || cbor_array_size(x5c) < 1) {
        return NULL;
    }

    return cbor_array_handle(x5c)[0];
}


/*
 * Run the registration ceremony of case c with fmt and stmt in place of
 * the vector's (stmt is consumed).  Returns the reason code; *trusted
 * and *detail report the outcome.
 */
static wa_rc_t
neg_run(neg_ctx_t *ctx, const neg_case_t *c, const char *fmt,
    cbor_item_t *stmt, const wa_policy_t *pol_in, int *trusted,
    const char **detail)
{
    static const char *const     origins[] = { "https://example.org" };
    static const char *const     tops[] = { "https://example.com" };
    wa_registration_response_t   resp;
    wa_credential_t              cred;
    wa_policy_t                  pol;
    wa_err_t                     err;
    struct cbor_pair             pair;
    cbor_item_t                 *obj;
    unsigned char               *buf;
    size_t                       buf_size, len;
    wa_rc_t                      rc;

    if (pol_in != NULL) {
        pol = *pol_in;

    } else {
        memset(&pol, 0, sizeof(pol));
        pol.trust = ctx->trust;
        pol.time = NEG_TIME_VALID;
    }

    pol.rp_id = "example.org";
    pol.origins = origins;
    pol.n_origins = 1;
    pol.top_origins = tops;
    pol.n_top_origins = 1;
    pol.allow_cross_origin = 1;

    obj = cbor_new_definite_map(3);
    pair.key = cbor_move(cbor_build_string("fmt"));
    pair.value = cbor_move(cbor_build_string(fmt));
    cbor_map_add(obj, pair);
    pair.key = cbor_move(cbor_build_string("attStmt"));
    pair.value = stmt;
    cbor_map_add(obj, pair);
    cbor_decref(&stmt);
    pair.key = cbor_move(cbor_build_string("authData"));
    pair.value = c->auth_data;
    cbor_map_add(obj, pair);

    buf = NULL;
    len = cbor_serialize_alloc(obj, &buf, &buf_size);
    cbor_decref(&obj);

    if (len == 0) {
        free(buf);
        *detail = "test.serialize";
        return WA_ERR_INTERNAL;
    }

    memset(&resp, 0, sizeof(resp));
    resp.id.data = c->cred_id;
    resp.id.len = c->cred_id_len;
    resp.raw_id.data = c->cred_id;
    resp.raw_id.len = c->cred_id_len;
    resp.client_data_json.data = c->client_data;
    resp.client_data_json.len = c->client_data_len;
    resp.attestation_object.data = buf;
    resp.attestation_object.len = len;

    err.rc = WA_OK;
    err.detail = NULL;

    rc = wa_verify_registration(&pol, c->challenge, c->challenge_len, &resp,
                                &cred, &err);

    *trusted = rc == WA_OK ? cred.att_trusted : -1;
    *detail = err.detail != NULL ? err.detail : "";

    if (rc == WA_OK) {
        wa_credential_free(&cred);
    }

    free(buf);

    return rc;
}


/* One check: the ceremony must end with want (and, when given, the
 * detail string want_detail). */
static void
neg_expect(neg_ctx_t *ctx, const char *name, const neg_case_t *c,
    const char *fmt, cbor_item_t *stmt, const wa_policy_t *pol, wa_rc_t want,
    const char *want_detail)
{
    const char  *detail;
    int          trusted, ok;
    wa_rc_t      rc;

    if (stmt == NULL) {
        neg_report(ctx, 0, name);
        return;
    }

    rc = neg_run(ctx, c, fmt, stmt, pol, &trusted, &detail);

    ok = rc == want
         && (want_detail == NULL || strcmp(detail, want_detail) == 0);

    if (!ok) {
        printf("# %s: got %s \"%s\", want %s \"%s\"\n", name,
               wa_rc_code(rc), detail, wa_rc_code(want),
               want_detail != NULL ? want_detail : "*");
    }

    neg_report(ctx, ok, name);
}


/* A positive check: verifies, with the given trust outcome. */
static void
neg_expect_ok(neg_ctx_t *ctx, const char *name, const neg_case_t *c,
    const char *fmt, cbor_item_t *stmt, const wa_policy_t *pol,
    int want_trusted)
{
    const char  *detail;
    int          trusted;
    wa_rc_t      rc;

    if (stmt == NULL) {
        neg_report(ctx, 0, name);
        return;
    }

    rc = neg_run(ctx, c, fmt, stmt, pol, &trusted, &detail);

    if (rc != WA_OK || trusted != want_trusted) {
        printf("# %s: got %s \"%s\" trusted=%d\n", name, wa_rc_code(rc),
               detail, trusted);
    }

    neg_report(ctx, rc == WA_OK && trusted == want_trusted, name);
}


/* The statement as is (a new reference). */
static cbor_item_t *
neg_same(cbor_item_t *stmt)
{
    return cbor_incref(stmt);
}


/* Statement with a byte string member mutated. */
static cbor_item_t *
neg_stmt_flip(cbor_item_t *stmt, const char *key, long off, uint8_t x)
{
    cbor_item_t  *v = neg_map_get(stmt, key);

    if (v == NULL || !cbor_isa_bytestring(v)) {
        return NULL;
    }

    return neg_map_with(stmt, key, neg_bytes_mut(v, off, x));
}


/* Statement whose leaf certificate has the octets after needle (+skip)
 * XORed with x: an extension altered in place. */
static cbor_item_t *
neg_stmt_leaf_patch(cbor_item_t *stmt, const uint8_t *needle, size_t n,
    size_t skip, uint8_t x)
{
    cbor_item_t  *leaf = neg_leaf(stmt);
    long          off;

    if (leaf == NULL) {
        return NULL;
    }

    off = neg_find(leaf, needle, n);
    if (off < 0) {
        return NULL;
    }

    return neg_map_with(stmt, "x5c",
                        neg_x5c_with_leaf(neg_bytes_mut(leaf,
                                                        off + (long) skip,
                                                        x)));
}


/* {fmt, attStmt} for a compound array. */
static cbor_item_t *
neg_sub(const char *fmt, cbor_item_t *stmt)
{
    struct cbor_pair  pair;
    cbor_item_t      *m;

    if (stmt == NULL) {
        return NULL;
    }

    m = cbor_new_definite_map(2);
    pair.key = cbor_move(cbor_build_string("fmt"));
    pair.value = cbor_move(cbor_build_string(fmt));
    cbor_map_add(m, pair);
    pair.key = cbor_move(cbor_build_string("attStmt"));
    pair.value = stmt;
    cbor_map_add(m, pair);
    cbor_decref(&stmt);

    return m;
}


/* An array of n entries (each consumed; NULL entries make NULL). */
static cbor_item_t *
neg_array(size_t n, cbor_item_t **items)
{
    cbor_item_t  *a;
    size_t        i;
    int           bad = 0;

    a = cbor_new_definite_array(n);

    for (i = 0; i < n; i++) {
        if (items[i] == NULL) {
            bad = 1;
            continue;
        }
        cbor_array_push(a, items[i]);
        cbor_decref(&items[i]);
    }

    if (bad) {
        cbor_decref(&a);
        return NULL;
    }

    return a;
}


/* tcg-at-tpmManufacturer and tcg-kp-AIKCertificate, with OID headers. */
static const uint8_t  neg_oid_tpm_mf[] = {
    0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x01
};
static const uint8_t  neg_oid_tcg_aik[] = {
    0x06, 0x05, 0x67, 0x81, 0x05, 0x08, 0x03
};
/* the Android key attestation extension OID and the Apple nonce OID */
static const uint8_t  neg_oid_android[] = {
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11
};
static const uint8_t  neg_oid_apple[] = {
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02
};


/* 8.3 tpm. */
static void
neg_tpm(neg_ctx_t *ctx)
{
    neg_case_t   *c = &ctx->tpm;
    cbor_item_t  *st = c->stmt;
    wa_policy_t   pol;

    neg_expect_ok(ctx, "tpm: vector verifies, trusted", c, "tpm",
                  neg_same(st), NULL, 1);

    neg_expect(ctx, "tpm: sig flipped", c, "tpm",
               neg_stmt_flip(st, "sig", -5, 0x01), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.sig");

    /* certInfo: magic 4, type 2, qualifiedSigner 2+0, extraData 2+32 */
    neg_expect(ctx, "tpm: certInfo.extraData flipped", c, "tpm",
               neg_stmt_flip(st, "certInfo", 10, 0x80), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.certInfo.extraData");

    neg_expect(ctx, "tpm: certInfo.magic flipped", c, "tpm",
               neg_stmt_flip(st, "certInfo", 0, 0x01), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.certInfo.magic");

    neg_expect(ctx, "tpm: certInfo.type flipped", c, "tpm",
               neg_stmt_flip(st, "certInfo", 5, 0x01), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.certInfo.type");

    neg_expect(ctx, "tpm: certInfo trailing byte", c, "tpm",
               neg_stmt_flip(st, "certInfo", INT32_MAX, 0x00), NULL,
               WA_ERR_MALFORMED, "attStmt.certInfo");

    /* the last octet of attested.name's digest (qualifiedName 2+0) */
    neg_expect(ctx, "tpm: certInfo.attested.name flipped", c, "tpm",
               neg_stmt_flip(st, "certInfo", -3, 0x01), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.certInfo.attested.name");

    neg_expect(ctx, "tpm: pubArea.unique flipped", c, "tpm",
               neg_stmt_flip(st, "pubArea", -1, 0x01), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.pubArea.unique");

    /* objectAttributes change the Name, not the key */
    neg_expect(ctx, "tpm: pubArea.objectAttributes flipped", c, "tpm",
               neg_stmt_flip(st, "pubArea", 4, 0x40), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.certInfo.attested.name");

    neg_expect(ctx, "tpm: pubArea trailing byte", c, "tpm",
               neg_stmt_flip(st, "pubArea", INT32_MAX, 0x00), NULL,
               WA_ERR_MALFORMED, "attStmt.pubArea");

    neg_expect(ctx, "tpm: ver 2.1", c, "tpm",
               neg_map_with(st, "ver", cbor_build_string("2.1")), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.ver");

    neg_expect(ctx, "tpm: alg EdDSA", c, "tpm",
               neg_map_with(st, "alg", neg_int(-8)), NULL,
               WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");

    neg_expect(ctx, "tpm: alg RS256 with an EC AIK", c, "tpm",
               neg_map_with(st, "alg", neg_int(-257)), NULL,
               WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");

    neg_expect(ctx, "tpm: pubArea missing", c, "tpm",
               neg_map_with(st, "pubArea", NULL), NULL,
               WA_ERR_MALFORMED, "attStmt.pubArea");

    neg_expect(ctx, "tpm: unknown member", c, "tpm",
               neg_map_with(st, "ecdaaKeyId",
                            cbor_build_bytestring((const uint8_t *) "x", 1)),
               NULL, WA_ERR_MALFORMED, "attStmt");

    neg_expect(ctx, "tpm: x5c empty", c, "tpm",
               neg_map_with(st, "x5c", cbor_new_definite_array(0)), NULL,
               WA_ERR_MALFORMED, "attStmt.x5c");

    neg_expect(ctx, "tpm: x5c[0] trailing byte", c, "tpm",
               neg_map_with(st, "x5c",
                            neg_x5c_with_leaf(neg_bytes_mut(neg_leaf(st),
                                                            INT32_MAX, 0))),
               NULL, WA_ERR_MALFORMED, "attStmt.x5c[0]");

    neg_expect(ctx, "tpm: aikCert SAN without tpmManufacturer", c, "tpm",
               neg_stmt_leaf_patch(st, neg_oid_tpm_mf,
                                   sizeof(neg_oid_tpm_mf),
                                   sizeof(neg_oid_tpm_mf) - 1, 0x08),
               NULL, WA_ERR_ATTESTATION_INVALID,
               "attStmt.x5c[0].subjectAltName.tpmManufacturer");

    neg_expect(ctx, "tpm: aikCert EKU without tcg-kp-AIKCertificate", c,
               "tpm",
               neg_stmt_leaf_patch(st, neg_oid_tcg_aik,
                                   sizeof(neg_oid_tcg_aik),
                                   sizeof(neg_oid_tcg_aik) - 1, 0x08),
               NULL, WA_ERR_ATTESTATION_INVALID,
               "attStmt.x5c[0].extKeyUsage");

    neg_expect(ctx, "tpm: aikCert is the android leaf", c, "tpm",
               neg_map_with(st, "x5c",
                   neg_x5c_with_leaf(
                       cbor_incref(neg_leaf(ctx->android.stmt)))),
               NULL, WA_ERR_ATTESTATION_INVALID, "attStmt.sig");

    memset(&pol, 0, sizeof(pol));
    pol.trust = ctx->trust;
    pol.time = NEG_TIME_BEFORE;
    pol.require_trusted_attestation = 1;
    neg_expect(ctx, "tpm: verified before notBefore", c, "tpm",
               neg_same(st), &pol, WA_ERR_ATTESTATION_UNTRUSTED,
               "attStmt.x5c.validity");

    pol.require_trusted_attestation = 0;
    neg_expect_ok(ctx, "tpm: before notBefore, trust not required: untrusted",
                  c, "tpm", neg_same(st), &pol, 0);

    memset(&pol, 0, sizeof(pol));
    pol.require_trusted_attestation = 1;
    neg_expect(ctx, "tpm: no anchors, trusted attestation required", c,
               "tpm", neg_same(st), &pol, WA_ERR_ATTESTATION_UNTRUSTED,
               NULL);

    memset(&pol, 0, sizeof(pol));
    neg_expect_ok(ctx, "tpm: no anchors, verifies untrusted", c, "tpm",
                  neg_same(st), &pol, 0);
}


/* The android leaf as the only anchor: an unrelated CA for tpm. */
static void
neg_wrong_anchor(neg_ctx_t *ctx)
{
    wa_trust_t   *t;
    cbor_item_t  *leaf = neg_leaf(ctx->android.stmt);
    wa_policy_t   pol;

    t = wa_trust_new();
    if (t == NULL || leaf == NULL
        || wa_trust_add_der(t, cbor_bytestring_handle(leaf),
                            cbor_bytestring_length(leaf), NULL) != WA_OK)
    {
        neg_report(ctx, 0, "tpm: chain to an unrelated anchor");
        wa_trust_free(t);
        return;
    }

    memset(&pol, 0, sizeof(pol));
    pol.trust = t;
    pol.time = NEG_TIME_VALID;
    pol.require_trusted_attestation = 1;

    neg_expect(ctx, "tpm: chain to an unrelated anchor", &ctx->tpm, "tpm",
               neg_same(ctx->tpm.stmt), &pol, WA_ERR_ATTESTATION_UNTRUSTED,
               "attStmt.x5c.anchor");

    pol.require_trusted_attestation = 0;
    neg_expect_ok(ctx, "tpm: unrelated anchor, trust not required: untrusted",
                  &ctx->tpm, "tpm", neg_same(ctx->tpm.stmt), &pol, 0);

    /* a pinned leaf is a trust anchor too (partial chain) */
    neg_expect_ok(ctx, "android-key: leaf pinned as anchor", &ctx->android,
                  "android-key", neg_same(ctx->android.stmt), &pol, 1);

    wa_trust_free(t);
}


/* 8.4 android-key. */
static void
neg_android(neg_ctx_t *ctx)
{
    neg_case_t   *c = &ctx->android;
    cbor_item_t  *st = c->stmt;
    uint8_t       chal[34];
    int           ok;

    neg_expect_ok(ctx, "android-key: vector verifies, trusted", c,
                  "android-key", neg_same(st), NULL, 1);

    neg_expect(ctx, "android-key: sig flipped", c, "android-key",
               neg_stmt_flip(st, "sig", -3, 0x01), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.sig");

    neg_expect(ctx, "android-key: alg RS1", c, "android-key",
               neg_map_with(st, "alg", neg_int(-65535)), NULL,
               WA_ERR_ALGORITHM_UNSUPPORTED, "attStmt.alg");

    neg_expect(ctx, "android-key: sig missing", c, "android-key",
               neg_map_with(st, "sig", NULL), NULL,
               WA_ERR_MALFORMED, "attStmt.sig");

    neg_expect(ctx, "android-key: unknown member", c, "android-key",
               neg_map_with(st, "ver", cbor_build_string("1")), NULL,
               WA_ERR_MALFORMED, "attStmt");

    /* attestationChallenge: OCTET STRING 32 holding clientDataHash */
    chal[0] = 0x04;
    chal[1] = 0x20;
    ok = EVP_Digest(c->client_data, c->client_data_len, chal + 2, NULL,
                    EVP_sha256(), NULL) == 1;

    neg_expect(ctx, "android-key: attestationChallenge flipped", c,
               "android-key",
               ok ? neg_stmt_leaf_patch(st, chal, sizeof(chal), 20, 0x01)
                  : NULL,
               NULL, WA_ERR_ATTESTATION_INVALID,
               "attStmt.x5c[0].attestationChallenge");

    neg_expect(ctx, "android-key: KeyDescription extension absent", c,
               "android-key",
               neg_stmt_leaf_patch(st, neg_oid_android,
                                   sizeof(neg_oid_android),
                                   sizeof(neg_oid_android) - 1, 0x01),
               NULL, WA_ERR_ATTESTATION_INVALID,
               "attStmt.x5c[0].keyDescription");

    neg_expect(ctx, "android-key: x5c[0] not DER", c, "android-key",
               neg_map_with(st, "x5c",
                            neg_x5c_with_leaf(neg_bytes_mut(neg_leaf(st),
                                                            1, 0x7f))),
               NULL, WA_ERR_MALFORMED, "attStmt.x5c[0]");
}


/* 8.8 apple. */
static void
neg_apple(neg_ctx_t *ctx)
{
    neg_case_t   *c = &ctx->apple;
    cbor_item_t  *st = c->stmt;

    neg_expect_ok(ctx, "apple: vector verifies, trusted", c, "apple",
                  neg_same(st), NULL, 1);

    /* OID, then OCTET STRING 38 { SEQ 36 { [1] 34 { OCTET STRING 32 } } } */
    neg_expect(ctx, "apple: nonce flipped", c, "apple",
               neg_stmt_leaf_patch(st, neg_oid_apple, sizeof(neg_oid_apple),
                                   sizeof(neg_oid_apple) + 2 + 6 + 5, 0x01),
               NULL, WA_ERR_ATTESTATION_INVALID, "attStmt.x5c[0].nonce");

    neg_expect(ctx, "apple: nonce extension absent", c, "apple",
               neg_stmt_leaf_patch(st, neg_oid_apple, sizeof(neg_oid_apple),
                                   sizeof(neg_oid_apple) - 1, 0x01),
               NULL, WA_ERR_ATTESTATION_INVALID, "attStmt.x5c[0].nonce");

    neg_expect(ctx, "apple: x5c missing", c, "apple",
               neg_map_with(st, "x5c", NULL), NULL,
               WA_ERR_MALFORMED, "attStmt.x5c");

    neg_expect(ctx, "apple: unknown member", c, "apple",
               neg_map_with(st, "alg", neg_int(-7)), NULL,
               WA_ERR_MALFORMED, "attStmt");

    neg_expect(ctx, "apple: leaf of another credential", c, "apple",
               neg_map_with(st, "x5c",
                   neg_x5c_with_leaf(
                       cbor_incref(neg_leaf(ctx->android.stmt)))),
               NULL, WA_ERR_ATTESTATION_INVALID, "attStmt.x5c[0].nonce");
}


/* 8.9 compound, built from the tpm vector (same authData throughout). */
static void
neg_compound(neg_ctx_t *ctx)
{
    neg_case_t   *c = &ctx->tpm;
    cbor_item_t  *st = c->stmt, *items[9], *inner[2];
    size_t        i;

    items[0] = neg_sub("tpm", neg_same(st));
    items[1] = neg_sub("tpm", neg_same(st));
    neg_expect_ok(ctx, "compound: [tpm, tpm] verifies, trusted", c,
                  "compound", neg_array(2, items), NULL, 1);

    items[0] = neg_sub("tpm", neg_same(st));
    items[1] = neg_sub("none", cbor_new_definite_map(0));
    neg_expect_ok(ctx, "compound: [tpm, none] verifies, untrusted", c,
                  "compound", neg_array(2, items), NULL, 0);

    items[0] = neg_sub("tpm", neg_same(st));
    neg_expect(ctx, "compound: one statement", c, "compound",
               neg_array(1, items), NULL, WA_ERR_MALFORMED,
               "attStmt.compound");

    items[0] = neg_sub("tpm", neg_same(st));
    items[1] = neg_sub("tpm", neg_stmt_flip(st, "sig", -5, 0x01));
    neg_expect(ctx, "compound: second statement's sig flipped", c,
               "compound", neg_array(2, items), NULL,
               WA_ERR_ATTESTATION_INVALID, "attStmt.sig");

    items[0] = neg_sub("tpm", neg_same(st));
    items[1] = neg_sub("no-such-format", cbor_new_definite_map(0));
    neg_expect(ctx, "compound: unknown fmt", c, "compound",
               neg_array(2, items), NULL, WA_ERR_ATTESTATION_FORMAT,
               "attStmt.compound.fmt");

    inner[0] = neg_sub("tpm", neg_same(st));
    inner[1] = neg_sub("tpm", neg_same(st));
    items[0] = neg_sub("tpm", neg_same(st));
    items[1] = neg_sub("compound", neg_array(2, inner));
    neg_expect(ctx, "compound: nested compound", c, "compound",
               neg_array(2, items), NULL, WA_ERR_MALFORMED,
               "attStmt.compound.fmt");

    for (i = 0; i < 9; i++) {
        items[i] = neg_sub("tpm", neg_same(st));
    }
    neg_expect(ctx, "compound: nine statements", c, "compound",
               neg_array(9, items), NULL, WA_ERR_MALFORMED,
               "attStmt.compound");

    neg_expect(ctx, "compound: attStmt is a map", c, "compound",
               neg_same(st), NULL, WA_ERR_MALFORMED, "attStmt.compound");
}


/* A temporary file holding len octets; its path into path. */
static int
neg_tmpfile(char *path, size_t size, const void *p, size_t len)
{
    FILE  *f;
    int    fd;

    snprintf(path, size, "/tmp/wa_neg_trust_XXXXXX");
    fd = mkstemp(path);
    if (fd < 0) {
        return -1;
    }

    f = fdopen(fd, "wb");
    if (f == NULL) {
        close(fd);
        unlink(path);
        return -1;
    }

    if (len != 0 && fwrite(p, 1, len, f) != len) {
        fclose(f);
        unlink(path);
        return -1;
    }

    fclose(f);

    return 0;
}


/* The trust anchor API: DER, PEM bundles, empty and broken inputs. */
static void
neg_trust(neg_ctx_t *ctx)
{
    static const char   junk[] = "not a certificate\n";
    static const char   key_only[] =
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    const unsigned char *p;
    wa_trust_t          *t;
    wa_err_t             err;
    X509                *ca, *leaf;
    BIO                 *bio;
    BUF_MEM             *mem;
    cbor_item_t         *lf;
    char                 path[64];
    int                  ok;

    t = wa_trust_new();
    neg_report(ctx, t != NULL && wa_trust_count(t) == 0, "trust: new");

    ok = wa_trust_add_der(t, (const uint8_t *) junk, sizeof(junk) - 1, &err)
         == WA_ERR_MALFORMED && wa_trust_count(t) == 0;
    neg_report(ctx, ok, "trust: garbage DER refused");

    ok = wa_trust_add_der(t, ctx->ca_der, ctx->ca_der_len, &err) == WA_OK
         && wa_trust_add_der(t, ctx->ca_der, ctx->ca_der_len, &err) == WA_OK
         && wa_trust_count(t) == 1;
    neg_report(ctx, ok, "trust: duplicate DER counted once");

    wa_trust_free(t);

    /* a PEM bundle of the CA and the apple leaf */
    p = ctx->ca_der;
    ca = d2i_X509(NULL, &p, (long) ctx->ca_der_len);
    lf = neg_leaf(ctx->apple.stmt);
    p = lf != NULL ? cbor_bytestring_handle(lf) : NULL;
    leaf = p != NULL ? d2i_X509(NULL, &p, (long) cbor_bytestring_length(lf))
                     : NULL;
    bio = BIO_new(BIO_s_mem());

    ok = ca != NULL && leaf != NULL && bio != NULL
         && PEM_write_bio_X509(bio, ca) && PEM_write_bio_X509(bio, leaf);

    if (ok) {
        BIO_get_mem_ptr(bio, &mem);
        ok = neg_tmpfile(path, sizeof(path), mem->data, mem->length) == 0;
    }

    if (ok) {
        t = wa_trust_new();
        ok = wa_trust_add_file(t, path, &err) == WA_OK
             && wa_trust_count(t) == 2;
        wa_trust_free(t);
        unlink(path);
    }
    neg_report(ctx, ok, "trust: PEM bundle of two");

    BIO_free(bio);
    X509_free(ca);
    X509_free(leaf);

    /* a single DER file */
    ok = neg_tmpfile(path, sizeof(path), ctx->ca_der, ctx->ca_der_len) == 0;
    if (ok) {
        t = wa_trust_new();
        ok = wa_trust_add_file(t, path, &err) == WA_OK
             && wa_trust_count(t) == 1;
        wa_trust_free(t);
        unlink(path);
    }
    neg_report(ctx, ok, "trust: DER file");

    /* PEM with no certificate in it */
    ok = neg_tmpfile(path, sizeof(path), key_only, sizeof(key_only) - 1)
         == 0;
    if (ok) {
        t = wa_trust_new();
        ok = wa_trust_add_file(t, path, &err) == WA_ERR_MALFORMED
             && wa_trust_count(t) == 0;
        wa_trust_free(t);
        unlink(path);
    }
    neg_report(ctx, ok, "trust: PEM file without certificates refused");

    /* an empty file */
    ok = neg_tmpfile(path, sizeof(path), "", 0) == 0;
    if (ok) {
        t = wa_trust_new();
        ok = wa_trust_add_file(t, path, &err) == WA_ERR_MALFORMED
             && wa_trust_count(t) == 0;
        wa_trust_free(t);
        unlink(path);
    }
    neg_report(ctx, ok, "trust: empty file refused");

    t = wa_trust_new();
    ok = wa_trust_add_file(t, "/nonexistent/wa-anchor.pem", &err) != WA_OK
         && wa_trust_count(t) == 0;
    wa_trust_free(t);
    neg_report(ctx, ok, "trust: missing file refused");
}


int
wa_test_attest_formats(void)
{
    neg_ctx_t     ctx;
    json_error_t  je;
    const char   *path;

    memset(&ctx, 0, sizeof(ctx));

    path = getenv("WA_VECTORS");
    if (path == NULL || path[0] == '\0') {
        path = NEG_DEFAULT_VECTORS;
    }

    ctx.root = json_load_file(path, 0, &je);
    if (ctx.root == NULL) {
        printf("not ok - attest formats: cannot read %s\n", path);
        return 1;
    }

    ctx.ca_der = neg_json_hex(ctx.root, "attestation_ca_cert",
                              &ctx.ca_der_len);
    ctx.trust = wa_trust_new();

    if (ctx.ca_der == NULL || ctx.trust == NULL
        || wa_trust_add_der(ctx.trust, ctx.ca_der, ctx.ca_der_len, NULL)
           != WA_OK
        || neg_case_load(&ctx, "tpm-es256", &ctx.tpm) != 0
        || neg_case_load(&ctx, "android-key-es256", &ctx.android) != 0
        || neg_case_load(&ctx, "apple-es256", &ctx.apple) != 0)
    {
        printf("not ok - attest formats: vectors incomplete\n");
        ctx.failed = 1;
        goto done;
    }

    neg_tpm(&ctx);
    neg_wrong_anchor(&ctx);
    neg_android(&ctx);
    neg_apple(&ctx);
    neg_compound(&ctx);
    neg_trust(&ctx);

done:

    neg_case_free(&ctx.tpm);
    neg_case_free(&ctx.android);
    neg_case_free(&ctx.apple);
    wa_trust_free(ctx.trust);
    free(ctx.ca_der);
    json_decref(ctx.root);

    return ctx.failed;
}
