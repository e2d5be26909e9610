/*
 * The WebAuthn Level 3 spec test vectors through the wa core.
 *
 *   test_vectors VECTORS.json            run the checks
 *   test_vectors --emit DIR VECTORS.json write each case as response JSON
 *                                        files for tests/cli/test-cli.sh
 *
 * For every case: the registration verifies (rp_id example.org, origin
 * https://example.org, top origin https://example.com, cross-origin
 * allowed, the vectors' attestation CA as the only trust anchor, a time
 * inside every certificate's validity), then the authentication verifies
 * with the registered key (stored counter 0, stored BE from the
 * registration).  Each is then refused, with its specific reason, when one
 * byte of the signature, of the expected challenge or of the origin in
 * clientDataJSON is changed.
 */

#define _GNU_SOURCE

#include "harness.h"
#include "softauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>


static const char  *origins[] = { "https://example.org" };
static const char  *top_origins[] = { "https://example.com" };


typedef struct {
    const char  *name;
    sa_buf_t     reg_challenge;
    sa_buf_t     reg_cdj;
    sa_buf_t     att_obj;
    sa_buf_t     cred_id;
    sa_buf_t     auth_challenge;
    sa_buf_t     auth_cdj;
    sa_buf_t     auth_data;
    sa_buf_t     auth_sig;
} vcase_t;


static void
vcase_free(vcase_t *v)
{
    sa_buf_free(&v->reg_challenge);
    sa_buf_free(&v->reg_cdj);
    sa_buf_free(&v->att_obj);
    sa_buf_free(&v->cred_id);
    sa_buf_free(&v->auth_challenge);
    sa_buf_free(&v->auth_cdj);
    sa_buf_free(&v->auth_data);
    sa_buf_free(&v->auth_sig);
}


static int
hexfield(json_t *obj, const char *key, sa_buf_t *out)
{
    const char  *s = json_string_value(json_object_get(obj, key));

    if (s == NULL || sa_unhex(s, out) != 0) {
        fprintf(stderr, "vectors: bad or missing %s\n", key);
        return -1;
    }
    return 0;
}


static int
vcase_load(json_t *c, vcase_t *v)
{
    json_t  *reg, *auth;

    memset(v, 0, sizeof(*v));
    v->name = json_string_value(json_object_get(c, "name"));
    reg = json_object_get(c, "registration");
    auth = json_object_get(c, "authentication");
    if (v->name == NULL || reg == NULL || auth == NULL) {
        return -1;
    }
    return hexfield(reg, "challenge", &v->reg_challenge)
           || hexfield(reg, "clientDataJSON", &v->reg_cdj)
           || hexfield(reg, "attestationObject", &v->att_obj)
           || hexfield(reg, "credential_id", &v->cred_id)
           || hexfield(auth, "challenge", &v->auth_challenge)
           || hexfield(auth, "clientDataJSON", &v->auth_cdj)
           || hexfield(auth, "authenticatorData", &v->auth_data)
           || hexfield(auth, "signature", &v->auth_sig) ? -1 : 0;
}


static void
jset_b64(json_t *o, const char *key, const sa_buf_t *b)
{
    char  *s = sa_b64url(b->data, b->len);

    json_object_set_new(o, key, json_string(s));
    free(s);
}


static char *
reg_json(const vcase_t *v, const sa_buf_t *cdj, const sa_buf_t *ao)
{
    json_t  *root, *resp;
    char    *out;

    root = json_object();
    resp = json_object();
    jset_b64(root, "id", &v->cred_id);
    jset_b64(root, "rawId", &v->cred_id);
    jset_b64(resp, "clientDataJSON", cdj);
    jset_b64(resp, "attestationObject", ao);
    json_object_set_new(resp, "transports", json_array());
    json_object_set_new(root, "response", resp);
    json_object_set_new(root, "clientExtensionResults", json_object());
    json_object_set_new(root, "type", json_string("public-key"));
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return out;
}


static char *
auth_json(const vcase_t *v, const sa_buf_t *cdj, const sa_buf_t *sig)
{
    json_t  *root, *resp;
    char    *out;

    root = json_object();
    resp = json_object();
    jset_b64(root, "id", &v->cred_id);
    jset_b64(root, "rawId", &v->cred_id);
    jset_b64(resp, "clientDataJSON", cdj);
    jset_b64(resp, "authenticatorData", &v->auth_data);
    jset_b64(resp, "signature", sig);
    json_object_set_new(root, "response", resp);
    json_object_set_new(root, "clientExtensionResults", json_object());
    json_object_set_new(root, "type", json_string("public-key"));
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    return out;
}


/* ---- the attestation object, through libcbor ---------------------------- */

static cbor_item_t *
att_decode(const sa_buf_t *ao)
{
    struct cbor_load_result  res;
    cbor_item_t             *item;

    item = cbor_load(ao->data, ao->len, &res);
    if (item && (res.error.code != CBOR_ERR_NONE || res.read != ao->len)) {
        cbor_decref(&item);
    }
    return item;
}


/* Copy of the attestation object with the last counter byte of authData
 * changed (what the attestation signs or, for apple, its nonce covers); -1
 * for fmt "none", where nothing signs it, and for "fido-u2f", whose
 * signature does not cover the counter (FIDO U2F raw message formats). */
static int
att_flip_counter(const sa_buf_t *ao, sa_buf_t *out)
{
    cbor_item_t  *root, *ad, *fmt;
    int           rc = -1;

    root = att_decode(ao);
    if (root == NULL) {
        return -1;
    }
    fmt = sa_cbor_map_get_str(root, "fmt");
    ad = sa_cbor_map_get_str(root, "authData");
    if (fmt && cbor_isa_string(fmt)
        && !(cbor_string_length(fmt) == 4
             && memcmp(cbor_string_handle(fmt), "none", 4) == 0)
        && !(cbor_string_length(fmt) == 8
             && memcmp(cbor_string_handle(fmt), "fido-u2f", 8) == 0)
        && ad && cbor_isa_bytestring(ad) && cbor_bytestring_is_definite(ad)
        && cbor_bytestring_length(ad) >= 37)
    {
        cbor_bytestring_handle(ad)[36] ^= 0x01;
        rc = sa_cbor_encode(root, out);
    }
    cbor_decref(&root);
    return rc;
}


/* Copy of the attestation object with attStmt.sig[5] flipped; -1 when the
 * statement has no signature (none, apple). */
static int
att_flip_sig(const sa_buf_t *ao, sa_buf_t *out)
{
    cbor_item_t  *root, *stmt, *sig;
    int           rc = -1;

    root = att_decode(ao);
    if (root == NULL) {
        return -1;
    }
    stmt = sa_cbor_map_get_str(root, "attStmt");
    sig = sa_cbor_map_get_str(stmt, "sig");
    if (sig && cbor_isa_bytestring(sig) && cbor_bytestring_is_definite(sig)
        && cbor_bytestring_length(sig) > 8)
    {
        cbor_bytestring_handle(sig)[5] ^= 0x01;
        rc = sa_cbor_encode(root, out);
    }
    cbor_decref(&root);
    return rc;
}


static int
att_has_x5c(const sa_buf_t *ao)
{
    cbor_item_t  *root;
    int           has;

    root = att_decode(ao);
    has = sa_cbor_map_get_str(sa_cbor_map_get_str(root, "attStmt"), "x5c")
          != NULL;
    if (root) {
        cbor_decref(&root);
    }
    return has;
}


static int
time_of(const ASN1_TIME *t, time_t *out)
{
    struct tm  tm;

    if (!ASN1_TIME_to_tm(t, &tm)) {
        return -1;
    }
    *out = timegm(&tm);
    return 0;
}


/* Widen [*lo, *hi] to the intersection with cert's validity. */
static int
cert_window(const uint8_t *der, size_t len, time_t *lo, time_t *hi)
{
    const uint8_t  *p = der;
    X509           *x;
    time_t          nb, na;
    int             rc = -1;

    x = d2i_X509(NULL, &p, (long) len);
    if (x && time_of(X509_get0_notBefore(x), &nb) == 0
        && time_of(X509_get0_notAfter(x), &na) == 0)
    {
        if (nb > *lo) {
            *lo = nb;
        }
        if (na < *hi) {
            *hi = na;
        }
        rc = 0;
    }
    X509_free(x);
    return rc;
}


/* A verification time inside the validity of the CA and every x5c cert. */
static int64_t
choose_time(json_t *cases, const sa_buf_t *ca)
{
    time_t        lo = 0, hi = (time_t) 1 << 40;
    size_t        i, j;
    json_t       *c;
    vcase_t       v;
    cbor_item_t  *root, *x5c;

    if (cert_window(ca->data, ca->len, &lo, &hi) != 0) {
        return -1;
    }
    json_array_foreach(cases, i, c) {
        if (vcase_load(c, &v) != 0) {
            vcase_free(&v);
            return -1;
        }
        root = att_decode(&v.att_obj);
        x5c = sa_cbor_map_get_str(sa_cbor_map_get_str(root, "attStmt"),
                                  "x5c");
        if (x5c && cbor_isa_array(x5c)) {
            for (j = 0; j < cbor_array_size(x5c); j++) {
                cbor_item_t  *e = cbor_array_handle(x5c)[j];

                if (cbor_isa_bytestring(e)
                    && cert_window(cbor_bytestring_handle(e),
                                   cbor_bytestring_length(e), &lo, &hi) != 0)
                {
                    lo = hi;
                }
            }
        }
        if (root) {
            cbor_decref(&root);
        }
        vcase_free(&v);
    }
    if (lo + 86400 >= hi) {
        return -1;
    }
    return (int64_t) lo + 86400;
}


/* ---- the checks --------------------------------------------------------- */

static wa_rc_t
do_register(const wa_policy_t *pol, const sa_buf_t *challenge,
    const char *json, wa_credential_t *cred, wa_err_t *err)
{
    wa_registration_response_t  resp;
    wa_rc_t                     rc;

    memset(&resp, 0, sizeof(resp));
    memset(cred, 0, sizeof(*cred));
    err->rc = WA_OK;
    err->detail = NULL;
    rc = wa_registration_response_parse(json, strlen(json), &resp, err);
    if (rc == WA_OK) {
        rc = wa_verify_registration(pol, challenge->data, challenge->len,
                                    &resp, cred, err);
    }
    wa_registration_response_free(&resp);
    return rc;
}


static wa_rc_t
do_login(const wa_policy_t *pol, const sa_buf_t *challenge, const char *json,
    const wa_stored_credential_t *sc, wa_assertion_result_t *res,
    wa_err_t *err)
{
    wa_assertion_response_t  resp;
    wa_rc_t                  rc;

    memset(&resp, 0, sizeof(resp));
    memset(res, 0, sizeof(*res));
    err->rc = WA_OK;
    err->detail = NULL;
    rc = wa_assertion_response_parse(json, strlen(json), &resp, err);
    if (rc == WA_OK) {
        rc = wa_verify_assertion(pol, challenge->data, challenge->len, &resp,
                                 sc, res, err);
    }
    wa_assertion_response_free(&resp);
    return rc;
}


/* clientDataJSON with the origin's last letter changed. */
static int
bad_origin(const sa_buf_t *cdj, sa_buf_t *out)
{
    if (sa_buf_set(out, cdj->data, cdj->len) != 0) {
        return -1;
    }
    return sa_buf_replace(out, "\"origin\":\"https://example.org\"",
                          "\"origin\":\"https://example.orh\"");
}


static void
run_case(const wa_policy_t *pol, vcase_t *v)
{
    wa_credential_t          cred;
    wa_stored_credential_t   sc;
    wa_assertion_result_t    res;
    wa_err_t                 err;
    wa_rc_t                  rc;
    sa_buf_t                 b = { 0 }, ch = { 0 };
    cbor_item_t             *root;
    char                    *json, name[160];
    int                      registered;

    /* The libcbor round trip used by the mutations must be exact. */
    root = att_decode(&v->att_obj);
    if (root) {
        sa_cbor_encode(root, &b);
        cbor_decref(&root);
    }
    snprintf(name, sizeof(name), "%s: attestationObject re-encodes exactly",
             v->name);
    t_ok(b.len == v->att_obj.len
         && memcmp(b.data, v->att_obj.data, b.len) == 0, name, NULL);

    /* registration */
    json = reg_json(v, &v->reg_cdj, &v->att_obj);
    rc = do_register(pol, &v->reg_challenge, json, &cred, &err);
    free(json);
    snprintf(name, sizeof(name), "%s: registration verifies", v->name);
    registered = t_rc(name, rc, WA_OK, &err);
    if (registered) {
        snprintf(name, sizeof(name), "%s: registered credential id", v->name);
        t_ok(cred.cred_id.len == v->cred_id.len
             && memcmp(cred.cred_id.data, v->cred_id.data,
                       v->cred_id.len) == 0, name, NULL);
        if (att_has_x5c(&v->att_obj)) {
            snprintf(name, sizeof(name),
                     "%s: x5c chain trusted by the vectors' CA", v->name);
            t_ok(cred.att_trusted == 1, name, "att_trusted %d, type %s",
                 cred.att_trusted, wa_att_type_name(cred.att_type));
        }
    }

    if (att_flip_sig(&v->att_obj, &b) == 0) {
        wa_credential_t  c2;

        json = reg_json(v, &v->reg_cdj, &b);
        rc = do_register(pol, &v->reg_challenge, json, &c2, &err);
        free(json);
        if (rc == WA_OK) {
            wa_credential_free(&c2);
        }
        snprintf(name, sizeof(name),
                 "%s: registration refused, attStmt.sig changed", v->name);
        t_rc(name, rc, WA_ERR_ATTESTATION_INVALID, &err);
    }

    if (att_flip_counter(&v->att_obj, &b) == 0) {
        wa_credential_t  c2;

        json = reg_json(v, &v->reg_cdj, &b);
        rc = do_register(pol, &v->reg_challenge, json, &c2, &err);
        free(json);
        if (rc == WA_OK) {
            wa_credential_free(&c2);
        }
        snprintf(name, sizeof(name),
                 "%s: registration refused, attested authData changed",
                 v->name);
        t_rc(name, rc, WA_ERR_ATTESTATION_INVALID, &err);
    }

    sa_buf_set(&ch, v->reg_challenge.data, v->reg_challenge.len);
    ch.data[0] ^= 0x01;
    json = reg_json(v, &v->reg_cdj, &v->att_obj);
    {
        wa_credential_t  c2;

        rc = do_register(pol, &ch, json, &c2, &err);
        if (rc == WA_OK) {
            wa_credential_free(&c2);
        }
    }
    free(json);
    snprintf(name, sizeof(name),
             "%s: registration refused, challenge changed", v->name);
    t_rc(name, rc, WA_ERR_CHALLENGE_MISMATCH, &err);

    if (bad_origin(&v->reg_cdj, &b) == 0) {
        wa_credential_t  c2;

        json = reg_json(v, &b, &v->att_obj);
        rc = do_register(pol, &v->reg_challenge, json, &c2, &err);
        free(json);
        if (rc == WA_OK) {
            wa_credential_free(&c2);
        }
    } else {
        rc = WA_ERR_INTERNAL;
    }
    snprintf(name, sizeof(name),
             "%s: registration refused, origin changed", v->name);
    t_rc(name, rc, WA_ERR_ORIGIN_MISMATCH, &err);

    /* authentication */
    if (!registered) {
        snprintf(name, sizeof(name), "%s: authentication (no credential)",
                 v->name);
        t_ok(0, name, "registration failed");
        goto done;
    }

    memset(&sc, 0, sizeof(sc));
    sc.key = cred.key;
    sc.cred_id = cred.cred_id.data;
    sc.cred_id_len = cred.cred_id.len;
    sc.sign_count = 0;
    sc.backup_eligible = (cred.flags & WA_FLAG_BE) ? 1 : 0;

    json = auth_json(v, &v->auth_cdj, &v->auth_sig);
    rc = do_login(pol, &v->auth_challenge, json, &sc, &res, &err);
    free(json);
    snprintf(name, sizeof(name), "%s: authentication verifies", v->name);
    if (t_rc(name, rc, WA_OK, &err)) {
        snprintf(name, sizeof(name), "%s: authentication flags", v->name);
        t_ok(res.flags == v->auth_data.data[32], name, "got 0x%02x want 0x%02x",
             res.flags, v->auth_data.data[32]);
    }

    sa_buf_set(&b, v->auth_sig.data, v->auth_sig.len);
    b.data[5] ^= 0x01;
    json = auth_json(v, &v->auth_cdj, &b);
    rc = do_login(pol, &v->auth_challenge, json, &sc, &res, &err);
    free(json);
    snprintf(name, sizeof(name),
             "%s: authentication refused, signature changed", v->name);
    t_rc(name, rc, WA_ERR_SIGNATURE_INVALID, &err);

    sa_buf_set(&ch, v->auth_challenge.data, v->auth_challenge.len);
    ch.data[ch.len - 1] ^= 0x80;
    json = auth_json(v, &v->auth_cdj, &v->auth_sig);
    rc = do_login(pol, &ch, json, &sc, &res, &err);
    free(json);
    snprintf(name, sizeof(name),
             "%s: authentication refused, challenge changed", v->name);
    t_rc(name, rc, WA_ERR_CHALLENGE_MISMATCH, &err);

    if (bad_origin(&v->auth_cdj, &b) == 0) {
        json = auth_json(v, &b, &v->auth_sig);
        rc = do_login(pol, &v->auth_challenge, json, &sc, &res, &err);
        free(json);
    } else {
        rc = WA_ERR_INTERNAL;
    }
    snprintf(name, sizeof(name),
             "%s: authentication refused, origin changed", v->name);
    t_rc(name, rc, WA_ERR_ORIGIN_MISMATCH, &err);

    wa_credential_free(&cred);

done:
    sa_buf_free(&b);
    sa_buf_free(&ch);
}


/* ---- --emit: files for the command-line tests --------------------------- */

static int
write_file(const char *dir, const char *name, const char *suffix,
    const void *p, size_t n)
{
    char   path[512];
    FILE  *f;
    int    ok;

    snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    ok = fwrite(p, 1, n, f) == n;
    if (fclose(f) != 0) {
        ok = 0;
    }
    return ok ? 0 : -1;
}


static int
emit(const char *dir, json_t *cases, const sa_buf_t *ca, int64_t t)
{
    size_t    i;
    json_t   *c;
    vcase_t   v;
    char     *json, *rc_b64, *ac_b64, env[512], list[4096];
    size_t    ll = 0;
    int       rc = 0;
    X509     *x;
    const uint8_t  *p = ca->data;
    FILE     *f;
    char      path[512];

    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    x = d2i_X509(NULL, &p, (long) ca->len);
    f = fopen(path, "w");
    if (x == NULL || f == NULL || !PEM_write_X509(f, x)) {
        rc = -1;
    }
    if (f) {
        fclose(f);
    }
    X509_free(x);
    if (rc == 0) {
        rc = write_file(dir, "ca", ".der", ca->data, ca->len);
    }

    list[0] = '\0';
    json_array_foreach(cases, i, c) {
        if (rc != 0 || vcase_load(c, &v) != 0) {
            vcase_free(&v);
            return -1;
        }
        json = reg_json(&v, &v.reg_cdj, &v.att_obj);
        rc = write_file(dir, v.name, ".reg.json", json, strlen(json));
        free(json);
        json = auth_json(&v, &v.auth_cdj, &v.auth_sig);
        rc = rc || write_file(dir, v.name, ".login.json", json, strlen(json));
        free(json);
        rc_b64 = sa_b64url(v.reg_challenge.data, v.reg_challenge.len);
        ac_b64 = sa_b64url(v.auth_challenge.data, v.auth_challenge.len);
        snprintf(env, sizeof(env),
                 "REG_CHALLENGE=%s\nLOGIN_CHALLENGE=%s\nVTIME=%lld\n",
                 rc_b64, ac_b64, (long long) t);
        rc = rc || write_file(dir, v.name, ".env", env, strlen(env));
        ll += (size_t) snprintf(list + ll, sizeof(list) - ll, "%s\n", v.name);
        free(rc_b64);
        free(ac_b64);
        vcase_free(&v);
    }
    return rc || write_file(dir, "cases", ".txt", list, strlen(list));
}


int
main(int argc, char **argv)
{
    json_t        *root, *cases, *c;
    json_error_t   jerr;
    wa_policy_t    pol;
    wa_trust_t    *trust;
    wa_err_t       err;
    sa_buf_t       ca = { 0 };
    vcase_t        v;
    size_t         i;
    int64_t        t;
    const char    *path, *emit_dir = NULL;
    int            status;

    setvbuf(stdout, NULL, _IOLBF, 0);

    if (argc == 4 && strcmp(argv[1], "--emit") == 0) {
        emit_dir = argv[2];
        path = argv[3];
    } else if (argc == 2) {
        path = argv[1];
    } else {
        fprintf(stderr, "usage: test_vectors [--emit DIR] VECTORS.json\n");
        return 2;
    }

    root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        printf("not ok - load %s (%s)\n", path, jerr.text);
        return 1;
    }
    cases = json_object_get(root, "cases");
    if (!json_is_array(cases) || json_array_size(cases) == 0
        || hexfield(root, "attestation_ca_cert", &ca) != 0)
    {
        printf("not ok - %s: no cases or no attestation_ca_cert\n", path);
        json_decref(root);
        return 1;
    }

    t = choose_time(cases, &ca);
    if (t < 0) {
        printf("not ok - no time inside every certificate's validity\n");
        json_decref(root);
        return 1;
    }

    if (emit_dir) {
        status = emit(emit_dir, cases, &ca, t);
        sa_buf_free(&ca);
        json_decref(root);
        return status ? 1 : 0;
    }

    printf("# %zu vector cases, verification time %lld\n",
           json_array_size(cases), (long long) t);

    trust = wa_trust_new();
    t_rc("attestation CA loads as a trust anchor",
         trust ? wa_trust_add_der(trust, ca.data, ca.len, &err)
               : WA_ERR_INTERNAL, WA_OK, &err);

    memset(&pol, 0, sizeof(pol));
    pol.rp_id = json_string_value(json_object_get(root, "rp_id"));
    if (pol.rp_id == NULL) {
        pol.rp_id = "example.org";
    }
    pol.origins = origins;
    pol.n_origins = 1;
    pol.top_origins = top_origins;
    pol.n_top_origins = 1;
    pol.allow_cross_origin = 1;
    pol.trust = trust;
    pol.time = t;

    json_array_foreach(cases, i, c) {
        if (vcase_load(c, &v) != 0) {
            t_ok(0, "vector case loads", "case %zu", i);
        } else {
            run_case(&pol, &v);
        }
        vcase_free(&v);
    }

    wa_trust_free(trust);
    sa_buf_free(&ca);
    json_decref(root);
    return t_done("test_vectors");
}
