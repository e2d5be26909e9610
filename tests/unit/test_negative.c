/*
 * The core against softauth: every supported key type registers and logs
 * in, and a corpus of malformed or hostile registrations and assertions is
 * refused, each with its specific reason code.
 *
 * Only the public API (include/wa.h) is used, plus wa_test_attest_formats()
 * from neg_attest_formats.c when that file is built in.
 *
 * Spec references are to WebAuthn Level 3 (7.1 registration, 7.2
 * authentication, 6.1 authenticatorData, 6.5.1.1 COSE keys, 8.x formats),
 * CTAP 2.1 section 8 (canonical CBOR) and RFC 8949 / RFC 9052.
 */

#include "harness.h"
#include "softauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <jansson.h>


#define RP      "example.org"
#define ORIGIN  "https://example.org"
#define TOP     "https://example.com"

static const char  *origins[] = { ORIGIN };
static const char  *top_origins[] = { TOP };
static uint8_t      chal[32];
static uint8_t      other_chal[32];


static void
pol_init(wa_policy_t *p)
{
    memset(p, 0, sizeof(*p));
    p->rp_id = RP;
    p->origins = origins;
    p->n_origins = 1;
    p->top_origins = top_origins;
    p->n_top_origins = 1;
}


static void
opts_init(sa_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->rp_id = RP;
    o->origin = ORIGIN;
    o->challenge = chal;
    o->challenge_len = sizeof(chal);
}


/* ---- mutations ---------------------------------------------------------- */

typedef struct mut_s  mut_t;

struct mut_s {
    sa_hook_t      what;
    int          (*fn)(const mut_t *m, sa_buf_t *b);
    sa_chook_t     cwhat;
    int          (*cfn)(const mut_t *m, cbor_item_t **item);
    int          (*jfn)(const mut_t *m, json_t *root);
    const char    *s1;
    const char    *s2;
    size_t         n;        /* length, index or offset */
    size_t         cut;      /* b_splice: bytes replaced at offset n */
    const void    *p;        /* bytes (b_append, b_splice) ... */
    size_t         plen;     /* ... and their length */
};


static int
mut_bytes(void *ctx, sa_hook_t what, sa_buf_t *b)
{
    const mut_t  *m = ctx;

    return m->fn && m->what == what ? m->fn(m, b) : 0;
}


static int
mut_cbor(void *ctx, sa_chook_t what, cbor_item_t **item)
{
    const mut_t  *m = ctx;

    return m->cfn && m->cwhat == what ? m->cfn(m, item) : 0;
}


static int
mut_json(void *ctx, json_t *root)
{
    const mut_t  *m = ctx;

    return m->jfn ? m->jfn(m, root) : 0;
}


static void
opts_mut(sa_opts_t *o, const mut_t *m)
{
    o->bytes_hook = mut_bytes;
    o->cbor_hook = mut_cbor;
    o->json_hook = mut_json;
    o->hook_ctx = (void *) m;
}


/* byte operations */

static int
b_append(const mut_t *m, sa_buf_t *b)
{
    return m->p ? sa_buf_append(b, m->p, m->plen)
                : sa_buf_append_str(b, m->s1);
}


static int
b_truncate(const mut_t *m, sa_buf_t *b)
{
    sa_buf_truncate(b, m->n);
    return 0;
}


static int
b_replace(const mut_t *m, sa_buf_t *b)
{
    return sa_buf_replace(b, m->s1, m->s2);
}


static int
b_xor(const mut_t *m, sa_buf_t *b)
{
    if (b->len == 0) {
        return -1;
    }
    b->data[m->n < b->len ? m->n : b->len - 1] ^= 0x01;
    return 0;
}


/* Replace cut bytes at offset n with the plen bytes of p. */
static int
b_splice(const mut_t *m, sa_buf_t *b)
{
    return sa_buf_splice(b, m->n, m->cut, m->p, m->plen);
}


static int
b_pad(const mut_t *m, sa_buf_t *b)
{
    size_t  i;

    for (i = 0; i < m->n; i++) {
        if (sa_buf_append_byte(b, 0) != 0) {
            return -1;
        }
    }
    return 0;
}


/* ECDSA signature surgery on a strict-DER signature (SEQUENCE < 128). */

static int
sig_third_integer(const mut_t *m, sa_buf_t *b)
{
    static const uint8_t  extra[] = { 0x02, 0x01, 0x01 };

    if (b->len < 8 || b->data[1] > 0x7c) {
        return -1;
    }
    b->data[1] += 3;
    return sa_buf_append(b, extra, sizeof(extra));
}


static int
sig_zero(const mut_t *m, sa_buf_t *b)
{
    static const uint8_t  zero[] = { 0x30, 0x06, 0x02, 0x01, 0x00,
                                     0x02, 0x01, 0x00 };

    return sa_buf_set(b, zero, sizeof(zero));
}


/* SEQUENCE length in long form: 30 81 LL (valid BER, not DER). */
static int
sig_long_length(const mut_t *m, sa_buf_t *b)
{
    static const uint8_t  ll = 0x81;

    if (b->len < 8 || b->data[1] >= 0x80) {
        return -1;
    }
    return sa_buf_splice(b, 1, 0, &ll, 1);
}


/* r with a superfluous leading zero byte (valid BER, not DER). */
static int
sig_padded_r(const mut_t *m, sa_buf_t *b)
{
    static const uint8_t  z = 0x00;

    if (b->len < 8 || b->data[1] > 0x7e || b->data[2] != 0x02) {
        return -1;
    }
    b->data[1] += 1;
    b->data[3] += 1;
    return sa_buf_splice(b, 4, 0, &z, 1);
}


/* r replaced by the P-256 group order n. */
static int
sig_r_is_order(const mut_t *m, sa_buf_t *b)
{
    static const uint8_t  n[] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
        0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
    };
    sa_buf_t  r = { 0 }, s = { 0 };
    int       rc;

    rc = sa_ecdsa_sig_split(b->data, b->len, &r, &s)
         || sa_ecdsa_sig_join(n, sizeof(n), s.data, s.len, b);
    sa_buf_free(&r);
    sa_buf_free(&s);
    return rc ? -1 : 0;
}


/* IEEE P1363 r||s (what WebCrypto produces) instead of DER. */
static int
sig_raw(const mut_t *m, sa_buf_t *b)
{
    sa_buf_t  r = { 0 }, s = { 0 };
    uint8_t   raw[64];
    int       rc;

    rc = sa_ecdsa_sig_split(b->data, b->len, &r, &s);
    if (rc == 0 && r.len <= 32 && s.len <= 32) {
        memset(raw, 0, sizeof(raw));
        memcpy(raw + 32 - r.len, r.data, r.len);
        memcpy(raw + 64 - s.len, s.data, s.len);
        rc = sa_buf_set(b, raw, sizeof(raw));
    } else {
        rc = -1;
    }
    sa_buf_free(&r);
    sa_buf_free(&s);
    return rc;
}


/* CBOR operations */

static int
c_replace(cbor_item_t **item, cbor_item_t *m)
{
    if (m == NULL) {
        return -1;
    }
    *item = m;
    return 0;
}


static int
c_reverse(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *r = sa_cbor_map_reversed(*item);

    if (r == NULL) {
        return -1;
    }
    cbor_decref(item);
    *item = r;
    return 0;
}


static int
c_indefinite(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *r = sa_cbor_map_indefinite(*item);

    if (r == NULL) {
        return -1;
    }
    cbor_decref(item);
    *item = r;
    return 0;
}


/* COSE: a second "3: alg" pair right after the first (keys 1, 3, 3, ...). */
static int
c_cose_dup_alg(const mut_t *m, cbor_item_t **item)
{
    struct cbor_pair  *pairs = cbor_map_handle(*item);
    size_t             i, n = cbor_map_size(*item);
    cbor_item_t       *r;

    r = cbor_new_definite_map(n + 1);
    for (i = 0; i < n; i++) {
        cbor_map_add(r, pairs[i]);
        if (i == 1) {
            cbor_map_add(r, pairs[i]);
        }
    }
    cbor_decref(item);
    *item = r;
    return 0;
}


static int
c_set_int(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *v = (cbor_item_t *) m->p;

    cbor_incref(v);
    return c_replace(item, sa_cbor_map_set_int(*item, (int64_t) m->n, v));
}


static int
c_del_int(const mut_t *m, cbor_item_t **item)
{
    return c_replace(item, sa_cbor_map_del_int(*item, (int64_t) m->n));
}


/* Flip the last byte of the COSE y coordinate: almost surely off-curve. */
static int
c_off_curve(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *y = sa_cbor_map_get_int(*item, -3);

    if (y == NULL || !cbor_isa_bytestring(y)) {
        return -1;
    }
    cbor_bytestring_handle(y)[cbor_bytestring_length(y) - 1] ^= 0x01;
    return 0;
}


/* Cut the COSE x coordinate to n bytes. */
static int
c_short_x(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *x = sa_cbor_map_get_int(*item, -2);

    if (x == NULL || !cbor_isa_bytestring(x)) {
        return -1;
    }
    return c_replace(item, sa_cbor_map_set_int(*item, -2,
                     cbor_build_bytestring(cbor_bytestring_handle(x),
                                           m->n)));
}


/* Wrap the COSE x coordinate in a CBOR tag (2, a bignum). */
static int
c_tag_x(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *x = sa_cbor_map_get_int(*item, -2);

    if (x == NULL) {
        return -1;
    }
    return c_replace(item, sa_cbor_map_set_int(*item, -2,
                                               cbor_build_tag(2, x)));
}


static int
c_add_str(const mut_t *m, cbor_item_t **item)
{
    return c_replace(item, sa_cbor_map_add(*item, cbor_build_string(m->s1),
                                           m->s2 ? cbor_build_string(m->s2)
                                                 : sa_cbor_int(1)));
}


static int
c_del_str(const mut_t *m, cbor_item_t **item)
{
    return c_replace(item, sa_cbor_map_del_str(*item, m->s1));
}


static int
c_set_str_item(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *v = (cbor_item_t *) m->p;

    cbor_incref(v);
    return c_replace(item, sa_cbor_map_set_str(*item, m->s1, v));
}


/* Attestation object whose authData is an indefinite-length byte string. */
static int
c_indefinite_auth_data(const mut_t *m, cbor_item_t **item)
{
    cbor_item_t  *ad, *ib;

    ad = sa_cbor_map_get_str(*item, "authData");
    if (ad == NULL) {
        return -1;
    }
    ib = cbor_new_indefinite_bytestring();
    if (!cbor_bytestring_add_chunk(ib, cbor_move(cbor_build_bytestring(
                                   cbor_bytestring_handle(ad),
                                   cbor_bytestring_length(ad)))))
    {
        cbor_decref(&ib);
        return -1;
    }
    return c_replace(item, sa_cbor_map_set_str(*item, "authData", ib));
}


/* The attestation object as a CBOR array instead of a map. */
static int
c_as_array(const mut_t *m, cbor_item_t **item)
{
    struct cbor_pair  *pairs = cbor_map_handle(*item);
    size_t             i, n = cbor_map_size(*item);
    cbor_item_t       *a;

    a = cbor_new_definite_array(n);
    for (i = 0; i < n; i++) {
        cbor_array_push(a, pairs[i].value);
    }
    cbor_decref(item);
    *item = a;
    return 0;
}


/* JSON operations */

static json_t *
j_response(json_t *root)
{
    return json_object_get(root, "response");
}


static int
j_del_response_member(const mut_t *m, json_t *root)
{
    return json_object_del(j_response(root), m->s1);
}


static int
j_set_response_member(const mut_t *m, json_t *root)
{
    return json_object_set_new(j_response(root), m->s1, json_string(m->s2));
}


static int
j_set_response_null(const mut_t *m, json_t *root)
{
    return json_object_set_new(j_response(root), m->s1, json_null());
}


/* id and rawId: standard base64 alphabet (+ and /) for - and _. */
static int
j_std_alphabet(const mut_t *m, json_t *root)
{
    const char  *keys[] = { "id", "rawId" };
    char        *s, *p;
    size_t       i;
    int          changed = 0;

    for (i = 0; i < 2; i++) {
        s = strdup(json_string_value(json_object_get(root, keys[i])));
        for (p = s; *p; p++) {
            if (*p == '-') {
                *p = '+';
                changed = 1;
            } else if (*p == '_') {
                *p = '/';
                changed = 1;
            }
        }
        json_object_set_new(root, keys[i], json_string(s));
        free(s);
    }
    return changed ? 0 : -1;
}


/* id and rawId with '=' padding to a multiple of four. */
static int
j_padded_id(const mut_t *m, json_t *root)
{
    const char  *keys[] = { "id", "rawId" };
    char         buf[2048];
    size_t       i, n;

    for (i = 0; i < 2; i++) {
        n = (size_t) snprintf(buf, sizeof(buf), "%s",
                              json_string_value(json_object_get(root,
                                                                keys[i])));
        if (n % 4 == 0) {
            return -1;
        }
        while (n % 4) {
            buf[n++] = '=';
        }
        buf[n] = '\0';
        json_object_set_new(root, keys[i], json_string(buf));
    }
    return 0;
}


/* id and rawId whose last character carries non-zero unused bits. */
static int
j_noncanonical_id(const mut_t *m, json_t *root)
{
    static const char  alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char        *keys[] = { "id", "rawId" };
    char               buf[2048];
    size_t             i, n;
    const char        *p;

    for (i = 0; i < 2; i++) {
        n = (size_t) snprintf(buf, sizeof(buf), "%s",
                              json_string_value(json_object_get(root,
                                                                keys[i])));
        if (n % 4 != 3 && n % 4 != 2) {
            return -1;
        }
        p = strchr(alpha, buf[n - 1]);
        buf[n - 1] = alpha[(p - alpha) | 1];
        json_object_set_new(root, keys[i], json_string(buf));
    }
    return 0;
}


/* ---- running ceremonies ------------------------------------------------- */

typedef struct {
    sa_cred_t               *c;
    wa_key_t                *key;
    wa_stored_credential_t   sc;
} acct_t;


static int
acct_init(acct_t *a, sa_cred_t *c)
{
    sa_buf_t  cose = { 0 };
    wa_err_t  err = { WA_OK, NULL };
    wa_rc_t   rc;

    memset(a, 0, sizeof(*a));
    a->c = c;
    if (c == NULL || sa_key_cose(c->key, &cose) != 0) {
        return -1;
    }
    rc = wa_key_from_cose(cose.data, cose.len, &a->key, &err);
    sa_buf_free(&cose);
    if (rc != WA_OK) {
        printf("# wa_key_from_cose: %s (%s)\n", wa_rc_code(rc),
               err.detail ? err.detail : "");
        return -1;
    }
    a->sc.key = a->key;
    a->sc.cred_id = c->id.data;
    a->sc.cred_id_len = c->id.len;
    a->sc.backup_eligible = -1;
    return 0;
}


static void
acct_free(acct_t *a)
{
    wa_key_free(a->key);
    sa_cred_free(a->c);
    memset(a, 0, sizeof(*a));
}


/* A softauth failure is a test bug: reported as a distinct pseudo code. */
#define SOFTAUTH_FAILED  WA_RC_COUNT

static wa_rc_t
reg_run(const wa_policy_t *pol, sa_cred_t *c, const sa_opts_t *o,
    wa_credential_t *out, wa_err_t *err)
{
    sa_result_t                 r;
    wa_registration_response_t  resp;
    wa_credential_t             cred;
    wa_rc_t                     rc;

    err->rc = WA_OK;
    err->detail = NULL;
    if (sa_register(c, o, &r) != 0) {
        printf("# softauth: %s\n", sa_last_error());
        err->detail = "softauth";
        return SOFTAUTH_FAILED;
    }
    memset(&resp, 0, sizeof(resp));
    memset(&cred, 0, sizeof(cred));
    rc = wa_registration_response_parse(r.json, r.json_len, &resp, err);
    if (rc == WA_OK) {
        rc = wa_verify_registration(pol, chal, sizeof(chal), &resp, &cred,
                                    err);
    }
    wa_registration_response_free(&resp);
    sa_result_free(&r);
    if (rc == WA_OK) {
        if (out) {
            *out = cred;
        } else {
            wa_credential_free(&cred);
        }
    }
    return rc;
}


static wa_rc_t
login_run(const wa_policy_t *pol, acct_t *a, const sa_opts_t *o,
    const wa_stored_credential_t *sc, wa_assertion_result_t *res,
    wa_err_t *err)
{
    sa_result_t              r;
    wa_assertion_response_t  resp;
    wa_assertion_result_t    tmp;
    wa_rc_t                  rc;

    err->rc = WA_OK;
    err->detail = NULL;
    if (sa_login(a->c, o, &r) != 0) {
        printf("# softauth: %s\n", sa_last_error());
        err->detail = "softauth";
        return SOFTAUTH_FAILED;
    }
    memset(&resp, 0, sizeof(resp));
    rc = wa_assertion_response_parse(r.json, r.json_len, &resp, err);
    if (rc == WA_OK) {
        rc = wa_verify_assertion(pol, chal, sizeof(chal), &resp,
                                 sc ? sc : &a->sc, res ? res : &tmp, err);
    }
    wa_assertion_response_free(&resp);
    sa_result_free(&r);
    return rc;
}


static wa_policy_t   g_pol;
static acct_t        g_es256;      /* an ES256 account for login cases */


/* One registration case with a fresh ES256 credential (or c). */
static void
R(const char *name, wa_rc_t want, const wa_policy_t *pol, sa_cred_t *c,
    const sa_opts_t *o)
{
    sa_opts_t   dflt;
    sa_cred_t  *own = NULL;
    wa_err_t    err;
    wa_rc_t     rc;

    if (o == NULL) {
        opts_init(&dflt);
        o = &dflt;
    }
    if (c == NULL) {
        c = own = sa_cred_new(-7, 0, NULL);
    }
    rc = reg_run(pol ? pol : &g_pol, c, o, NULL, &err);
    t_rc(name, rc, want, &err);
    sa_cred_free(own);
}


/* One assertion case with the shared ES256 account (or a). */
static void
A(const char *name, wa_rc_t want, const wa_policy_t *pol, acct_t *a,
    const sa_opts_t *o, const wa_stored_credential_t *sc)
{
    sa_opts_t  dflt;
    wa_err_t   err;
    wa_rc_t    rc;

    if (o == NULL) {
        opts_init(&dflt);
        o = &dflt;
    }
    rc = login_run(pol ? pol : &g_pol, a ? a : &g_es256, o, sc, NULL, &err);
    t_rc(name, rc, want, &err);
}


/* ---- positive: every key type ------------------------------------------ */

static void
test_key_types(sa_key_t *rsa_pkcs1, sa_key_t *rsa_pss)
{
    static const struct {
        const char  *label;
        int32_t      alg;
        int          param;
    } kinds[] = {
        { "ES256", -7, 0 },
        { "ES384", -35, 0 },
        { "ES512", -36, 0 },
        { "RS256", -257, 0 },
        { "PS256", -37, 0 },
        { "Ed25519 (alg -8)", -8, 0 },
        { "Ed25519 (alg -19)", -19, 0 },
        { "Ed448 (alg -53)", -53, 0 },
        { "Ed448 (alg -8)", -8, SA_CRV_ED448 },
    };
    size_t                  i;
    char                    name[128];
    acct_t                  a;
    sa_cred_t              *c;
    sa_opts_t               o;
    wa_credential_t         cred;
    wa_assertion_result_t   res;
    wa_stored_credential_t  sc;
    wa_err_t                err;
    wa_rc_t                 rc;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        sa_key_t  *k = NULL;

        if (kinds[i].alg == -257) {
            k = sa_key_from_pkey(rsa_pkcs1->pkey, -257);
        } else if (kinds[i].alg == -37) {
            k = sa_key_from_pkey(rsa_pss->pkey, -37);
        }
        c = sa_cred_new(kinds[i].alg, kinds[i].param, k);
        if (c == NULL) {
            snprintf(name, sizeof(name), "%s: softauth credential",
                     kinds[i].label);
            t_ok(0, name, "%s", sa_last_error());
            continue;
        }

        opts_init(&o);
        o.uv = 1;
        rc = reg_run(&g_pol, c, &o, &cred, &err);
        snprintf(name, sizeof(name), "%s: registers (none)", kinds[i].label);
        if (t_rc(name, rc, WA_OK, &err)) {
            snprintf(name, sizeof(name), "%s: credential alg %d",
                     kinds[i].label, (int) kinds[i].alg);
            t_ok(cred.alg == kinds[i].alg && wa_key_alg(cred.key) == cred.alg
                 && strcmp(cred.fmt, "none") == 0
                 && cred.att_type == WA_ATT_NONE, name,
                 "alg %d, key alg %d, fmt %s", (int) cred.alg,
                 (int) wa_key_alg(cred.key), cred.fmt);
        }

        opts_init(&o);
        o.att = SA_ATT_PACKED_SELF;
        {
            wa_credential_t  c2;

            memset(&c2, 0, sizeof(c2));
            rc = reg_run(&g_pol, c, &o, &c2, &err);
            snprintf(name, sizeof(name), "%s: registers (packed self)",
                     kinds[i].label);
            if (t_rc(name, rc, WA_OK, &err)) {
                snprintf(name, sizeof(name), "%s: self attestation reported",
                         kinds[i].label);
                t_ok(c2.att_type == WA_ATT_SELF && !c2.att_trusted
                     && strcmp(c2.fmt, "packed") == 0, name, "type %s",
                     wa_att_type_name(c2.att_type));
                wa_credential_free(&c2);
            }
        }

        if (rc == WA_OK && cred.key) {
            memset(&sc, 0, sizeof(sc));
            sc.key = cred.key;
            sc.cred_id = cred.cred_id.data;
            sc.cred_id_len = cred.cred_id.len;
            sc.sign_count = cred.sign_count;
            sc.backup_eligible = 0;
            memset(&a, 0, sizeof(a));
            a.c = c;
            opts_init(&o);
            o.uv = 1;
            memset(&res, 0, sizeof(res));
            rc = login_run(&g_pol, &a, &o, &sc, &res, &err);
            snprintf(name, sizeof(name), "%s: logs in", kinds[i].label);
            if (t_rc(name, rc, WA_OK, &err)) {
                snprintf(name, sizeof(name), "%s: new sign count 1, UV",
                         kinds[i].label);
                t_ok(res.sign_count == 1
                     && (res.flags & (WA_FLAG_UP | WA_FLAG_UV))
                        == (WA_FLAG_UP | WA_FLAG_UV), name,
                     "count %u flags 0x%02x", res.sign_count, res.flags);
            }
        }
        if (cred.key || cred.cred_id.data) {
            wa_credential_free(&cred);
        }
        memset(&cred, 0, sizeof(cred));
        sa_cred_free(c);
    }
}


/* ---- positive: formats, flags, policies --------------------------------- */

static void
test_positive_misc(void)
{
    sa_opts_t               o;
    wa_policy_t             p;
    wa_trust_t             *trust;
    wa_credential_t         cred;
    wa_stored_credential_t  sc;
    wa_assertion_result_t   res;
    wa_err_t                err;
    wa_rc_t                 rc;
    sa_buf_t                der = { 0 };
    sa_cred_t              *c;
    static const uint8_t    ext[] = { 0xa1, 0x63, 'f', 'o', 'o', 0xf5 };

    /* packed x5c, chain to a configured anchor */
    trust = wa_trust_new();
    sa_cert_der(sa_default_ca()->cert, &der);
    rc = wa_trust_add_der(trust, der.data, der.len, &err);
    t_rc("softauth CA loads as a trust anchor", rc, WA_OK, &err);
    sa_buf_free(&der);

    pol_init(&p);
    p.trust = trust;
    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    c = sa_cred_new(-7, 0, NULL);
    memset(&cred, 0, sizeof(cred));
    rc = reg_run(&p, c, &o, &cred, &err);
    if (t_rc("packed x5c registers, chain to the anchor", rc, WA_OK, &err)) {
        t_ok(cred.att_type == WA_ATT_BASIC && cred.att_trusted == 1
             && memcmp(cred.aaguid, c->aaguid, 16) == 0,
             "packed x5c reported basic and trusted, aaguid kept",
             "type %s trusted %d", wa_att_type_name(cred.att_type),
             cred.att_trusted);
        wa_credential_free(&cred);
    }

    p.require_trusted_attestation = 1;
    R("packed x5c registers when trusted attestation is required", WA_OK,
      &p, c, &o);
    p.require_trusted_attestation = 0;

    memset(&cred, 0, sizeof(cred));
    rc = reg_run(&g_pol, c, &o, &cred, &err);
    if (t_rc("packed x5c registers without anchors (untrusted)", rc, WA_OK,
             &err))
    {
        t_ok(cred.att_type == WA_ATT_BASIC && cred.att_trusted == 0,
             "packed x5c without anchors reported untrusted", "trusted %d",
             cred.att_trusted);
        wa_credential_free(&cred);
    }

    opts_init(&o);
    o.att = SA_ATT_FIDO_U2F;
    R("fido-u2f registers (chain to the anchor)", WA_OK, &p, c, &o);

    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    o.x5c_with_ca = 1;
    R("packed x5c with the root in x5c registers", WA_OK, &p, c, &o);
    sa_cred_free(c);

    /* transports reported */
    opts_init(&o);
    o.transports = "usb,nfc";
    c = sa_cred_new(-7, 0, NULL);
    memset(&cred, 0, sizeof(cred));
    rc = reg_run(&g_pol, c, &o, &cred, &err);
    if (t_rc("registration with transports usb,nfc", rc, WA_OK, &err)) {
        t_ok(cred.transports == (WA_TRANSPORT_USB | WA_TRANSPORT_NFC),
             "transports usb,nfc reported", "mask 0x%x", cred.transports);
        wa_credential_free(&cred);
    }
    sa_cred_free(c);

    /* extensions with ED */
    opts_init(&o);
    o.extensions = ext;
    o.extensions_len = sizeof(ext);
    R("registration with extensions and ED", WA_OK, NULL, NULL, &o);
    A("assertion with extensions and ED", WA_OK, NULL, NULL, &o, NULL);

    /* UV required and given */
    pol_init(&p);
    p.require_uv = 1;
    opts_init(&o);
    o.uv = 1;
    R("registration: UV required and present", WA_OK, &p, NULL, &o);
    A("assertion: UV required and present", WA_OK, &p, NULL, &o, NULL);

    /* cross-origin allowed with a listed topOrigin */
    pol_init(&p);
    p.allow_cross_origin = 1;
    opts_init(&o);
    o.cross_origin = 1;
    o.top_origin = TOP;
    R("registration: crossOrigin allowed, topOrigin listed", WA_OK, &p,
      NULL, &o);
    A("assertion: crossOrigin allowed, topOrigin listed", WA_OK, &p, NULL,
      &o, NULL);

    /* clientDataJSON without crossOrigin (older browsers) */
    opts_init(&o);
    o.cross_origin = -1;
    A("assertion: clientDataJSON without crossOrigin", WA_OK, NULL, NULL, &o,
      NULL);

    /* unknown members of clientDataJSON are ignored */
    opts_init(&o);
    o.client_data_extra = ",\"other_keys_can_be_added_here\":\"do not "
                          "compare clientDataJSON against a template\"";
    A("assertion: unknown clientDataJSON member ignored", WA_OK, NULL, NULL,
      &o, NULL);

    /* counters */
    sc = g_es256.sc;
    opts_init(&o);
    o.counter_set = 1;
    o.counter = 0;
    sc.sign_count = 0;
    A("assertion: counter 0 with stored 0 accepted", WA_OK, NULL, NULL, &o,
      &sc);
    o.counter = 6;
    sc.sign_count = 5;
    memset(&res, 0, sizeof(res));
    rc = login_run(&g_pol, &g_es256, &o, &sc, &res, &err);
    if (t_rc("assertion: counter 6 over stored 5", rc, WA_OK, &err)) {
        t_ok(res.sign_count == 6, "assertion: new counter 6 returned",
             "got %u", res.sign_count);
    }

    /* backup flags */
    sc = g_es256.sc;
    sc.backup_eligible = 1;
    opts_init(&o);
    o.be = 1;
    o.bs = 1;
    A("assertion: BE and BS with stored BE 1", WA_OK, NULL, NULL, &o, &sc);
    sc.backup_eligible = -1;
    A("assertion: BE with stored BE unknown", WA_OK, NULL, NULL, &o, &sc);

    /* user handle */
    sc = g_es256.sc;
    sc.user_handle = g_es256.c->user_handle.data;
    sc.user_handle_len = g_es256.c->user_handle.len;
    sc.user_handle_required = 1;
    A("assertion: user handle matches", WA_OK, NULL, NULL, NULL, &sc);
    {
        mut_t  m = { .jfn = j_set_response_null, .s1 = "userHandle" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("assertion: userHandle null accepted", WA_OK, NULL, NULL, &o,
          NULL);
    }

    /* BER signatures accepted when the policy allows */
    pol_init(&p);
    p.ber_signatures = 1;
    {
        mut_t  m1 = { .what = SA_HOOK_SIGNATURE, .fn = sig_long_length };
        mut_t  m2 = { .what = SA_HOOK_SIGNATURE, .fn = sig_padded_r };

        opts_init(&o);
        opts_mut(&o, &m1);
        A("ber_signatures: long-form SEQUENCE length accepted", WA_OK, &p,
          NULL, &o, NULL);
        opts_init(&o);
        opts_mut(&o, &m2);
        A("ber_signatures: zero-padded INTEGER accepted", WA_OK, &p, NULL,
          &o, NULL);
    }

    wa_trust_free(trust);
}


/* ---- CBOR and structure ------------------------------------------------- */

static void
test_cbor(void)
{
    sa_opts_t     o;
    cbor_item_t  *txt, *arr;

    {
        mut_t  m = { .what = SA_HOOK_ATT_OBJECT, .fn = b_append,
                     .p = "\x00", .plen = 1 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("attestationObject with a trailing byte", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    {
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_append,
                     .p = "\x00", .plen = 1 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("registration authData with a trailing byte", WA_ERR_MALFORMED,
          NULL, NULL, &o);
        A("assertion authenticatorData with a trailing byte",
          WA_ERR_MALFORMED, NULL, NULL, &o, NULL);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_OBJECT, .cfn = c_add_str,
                     .s1 = "fmt", .s2 = "none" };

        opts_init(&o);
        opts_mut(&o, &m);
        R("attestationObject with a duplicate key (fmt)", WA_ERR_MALFORMED,
          NULL, NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_cose_dup_alg };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE key with a duplicate key (3)", WA_ERR_MALFORMED, NULL, NULL,
          &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_reverse };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE key with unsorted keys", WA_ERR_MALFORMED, NULL, NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_indefinite };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE key as an indefinite-length map", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_OBJECT, .cfn = c_indefinite };

        opts_init(&o);
        opts_mut(&o, &m);
        R("attestationObject as an indefinite-length map", WA_ERR_MALFORMED,
          NULL, NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_OBJECT,
                     .cfn = c_indefinite_auth_data };

        opts_init(&o);
        opts_mut(&o, &m);
        R("authData as an indefinite-length byte string", WA_ERR_MALFORMED,
          NULL, NULL, &o);
    }
    {
        /* a5 01 02 03 26 ...: alg -7 as 38 06 (one-byte argument < 24) */
        mut_t  m = { .what = SA_HOOK_COSE_KEY, .fn = b_splice, .n = 4,
                     .cut = 1, .p = "\x38\x06", .plen = 2 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE key with a non-minimal integer (alg)", WA_ERR_MALFORMED,
          NULL, NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_OBJECT, .cfn = c_as_array };

        opts_init(&o);
        opts_mut(&o, &m);
        R("attestationObject is an array", WA_ERR_MALFORMED, NULL, NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_OBJECT, .cfn = c_del_str,
                     .s1 = "authData" };

        opts_init(&o);
        opts_mut(&o, &m);
        R("attestationObject without authData", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    {
        cbor_item_t  *v = sa_cbor_int(1);
        mut_t         m = { .cwhat = SA_CHOOK_ATT_OBJECT,
                            .cfn = c_set_str_item, .s1 = "fmt", .p = v };

        opts_init(&o);
        opts_mut(&o, &m);
        R("attestationObject fmt is an integer", WA_ERR_MALFORMED, NULL,
          NULL, &o);
        cbor_decref(&v);
    }

    /* key problems */
    {
        sa_cred_t  *c = sa_cred_new(-7, SA_CRV_P384, NULL);

        R("EC2 P-384 key with alg -7 (ES256)", WA_ERR_ALGORITHM_UNSUPPORTED, NULL, c,
          NULL);
        sa_cred_free(c);
    }
    {
        sa_cred_t  *c = sa_cred_new(-35, SA_CRV_P256, NULL);

        R("EC2 P-256 key with alg -35 (ES384)", WA_ERR_ALGORITHM_UNSUPPORTED, NULL, c,
          NULL);
        sa_cred_free(c);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_off_curve };

        opts_init(&o);
        opts_mut(&o, &m);
        R("EC2 point not on the curve", WA_ERR_KEY_INVALID, NULL, NULL, &o);
    }
    {
        sa_cred_t  *c = sa_cred_new(-257, 1024, NULL);

        R("RSA key of 1024 bits", WA_ERR_KEY_INVALID, NULL, c, NULL);
        sa_cred_free(c);
    }
    {
        txt = cbor_build_string("ES256");
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_set_int, .n = 3,
                     .p = txt };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE alg as a text string", WA_ERR_ALGORITHM_UNSUPPORTED, NULL, NULL, &o);
        cbor_decref(&txt);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_short_x, .n = 31 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("EC2 x coordinate of 31 bytes", WA_ERR_KEY_INVALID, NULL, NULL,
          &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_del_int,
                     .n = (size_t) -3 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("EC2 key without y", WA_ERR_KEY_INVALID, NULL, NULL, &o);
    }
    {
        cbor_item_t  *v = sa_cbor_int(SA_CRV_ED448);
        sa_cred_t    *c = sa_cred_new(-8, 0, NULL);
        mut_t         m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_set_int,
                            .n = (size_t) -1, .p = v };

        opts_init(&o);
        opts_mut(&o, &m);
        R("OKP Ed25519 key labelled crv Ed448", WA_ERR_KEY_INVALID, NULL, c,
          &o);
        cbor_decref(&v);
        sa_cred_free(c);
    }
    {
        cbor_item_t  *v = sa_cbor_int(SA_KTY_RSA);
        mut_t         m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_set_int,
                            .n = 1, .p = v };

        opts_init(&o);
        opts_mut(&o, &m);
        R("EC2 key labelled kty RSA", WA_ERR_ALGORITHM_UNSUPPORTED, NULL, NULL, &o);
        cbor_decref(&v);
    }
    {
        sa_cred_t  *c = sa_cred_new(-47, 0, NULL);

        R("secp256k1 key, alg -47 (ES256K)", WA_ERR_ALGORITHM_UNSUPPORTED,
          NULL, c, NULL);
        sa_cred_free(c);
    }
    {
        wa_policy_t     p;
        static const int32_t  only_rsa[] = { -257 };

        pol_init(&p);
        p.algorithms = only_rsa;
        p.n_algorithms = 1;
        R("ES256 credential, policy allows only RS256",
          WA_ERR_ALGORITHM_UNSUPPORTED, &p, NULL, NULL);
    }

    {
        mut_t  m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_tag_x };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE x coordinate inside a CBOR tag", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    {
        cbor_item_t  *v = cbor_build_float8(-7.0);
        mut_t         m = { .cwhat = SA_CHOOK_COSE_KEY, .cfn = c_set_int,
                            .n = 3, .p = v };

        opts_init(&o);
        opts_mut(&o, &m);
        R("COSE alg as a float (-7.0)", WA_ERR_ALGORITHM_UNSUPPORTED, NULL,
          NULL, &o);
        cbor_decref(&v);
    }

    /* attStmt of packed as an array */
    arr = cbor_new_definite_array(0);
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_OBJECT, .cfn = c_set_str_item,
                     .s1 = "attStmt", .p = arr };

        opts_init(&o);
        o.att = SA_ATT_PACKED_SELF;
        opts_mut(&o, &m);
        R("packed attStmt is an array", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    cbor_decref(&arr);
}


/* ---- authenticatorData layout and flags --------------------------------- */

static void
test_auth_data(void)
{
    static const size_t   cuts[] = { 0, 1, 32, 33, 36 };
    static const uint8_t  ext[] = { 0xa1, 0x63, 'f', 'o', 'o', 0xf5 };
    sa_opts_t             o;
    wa_policy_t           p;
    wa_stored_credential_t  sc;
    char                  name[96];
    size_t                i;

    for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_truncate,
                     .n = cuts[i] };

        opts_init(&o);
        opts_mut(&o, &m);
        snprintf(name, sizeof(name), "assertion authData truncated to %zu",
                 cuts[i]);
        A(name, WA_ERR_MALFORMED, NULL, NULL, &o, NULL);
    }
    {
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_truncate, .n = 36 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("registration authData truncated to 36", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    {
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_truncate, .n = 60 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("registration authData cut inside the credential id",
          WA_ERR_MALFORMED, NULL, NULL, &o);
    }
    {
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_truncate, .n = 120 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("registration authData cut inside the COSE key", WA_ERR_MALFORMED,
          NULL, NULL, &o);
    }
    {
        /* credentialIdLength 512: within the limit, beyond the data */
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_splice, .n = 53,
                     .cut = 2, .p = "\x02\x00", .plen = 2 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("credentialIdLength beyond authData", WA_ERR_MALFORMED, NULL, NULL,
          &o);
    }
    {
        /* credentialIdLength 0xffff: over the 1023 limit (7.1 step) */
        mut_t  m = { .what = SA_HOOK_AUTH_DATA, .fn = b_splice, .n = 53,
                     .cut = 2, .p = "\xff\xff", .plen = 2 };

        opts_init(&o);
        opts_mut(&o, &m);
        R("credentialIdLength 65535", WA_ERR_TOO_LARGE, NULL, NULL, &o);
    }

    opts_init(&o);
    o.flags_set = WA_FLAG_AT;
    A("assertion with the AT flag and no attested data", WA_ERR_MALFORMED,
      NULL, NULL, &o, NULL);

    opts_init(&o);
    o.attested_data = 1;
    A("assertion with AT and attested credential data", WA_ERR_MALFORMED,
      NULL, NULL, &o, NULL);

    opts_init(&o);
    o.flags_set = WA_FLAG_ED;
    A("assertion with ED and no extensions", WA_ERR_MALFORMED, NULL, NULL,
      &o, NULL);
    R("registration with ED and no extensions", WA_ERR_MALFORMED, NULL,
      NULL, &o);

    opts_init(&o);
    o.extensions = ext;
    o.extensions_len = sizeof(ext);
    o.flags_clear = WA_FLAG_ED;
    A("assertion with extensions and no ED", WA_ERR_MALFORMED, NULL, NULL,
      &o, NULL);
    R("registration with extensions and no ED", WA_ERR_MALFORMED, NULL,
      NULL, &o);

    opts_init(&o);
    o.extensions = (const uint8_t *) "\x01";
    o.extensions_len = 1;
    A("assertion extensions not a CBOR map", WA_ERR_MALFORMED, NULL, NULL,
      &o, NULL);

    opts_init(&o);
    o.no_attested_data = 1;
    R("registration without attested credential data", WA_ERR_MALFORMED,
      NULL, NULL, &o);

    /* rpIdHash */
    {
        uint8_t  h[32];

        sa_sha256("example.com", 11, h);
        opts_init(&o);
        o.rp_id_hash = h;
        R("registration rpIdHash of another RP", WA_ERR_RP_ID_MISMATCH, NULL,
          NULL, &o);
        A("assertion rpIdHash of another RP", WA_ERR_RP_ID_MISMATCH, NULL,
          NULL, &o, NULL);
    }

    /* flags */
    opts_init(&o);
    o.no_up = 1;
    R("registration without UP", WA_ERR_UP_MISSING, NULL, NULL, &o);
    A("assertion without UP", WA_ERR_UP_MISSING, NULL, NULL, &o, NULL);

    pol_init(&p);
    p.require_uv = 1;
    R("registration without UV when required", WA_ERR_UV_REQUIRED, &p, NULL,
      NULL);
    A("assertion without UV when required", WA_ERR_UV_REQUIRED, &p, NULL,
      NULL, NULL);

    opts_init(&o);
    o.bs = 1;
    R("registration BS without BE", WA_ERR_BACKUP_STATE, NULL, NULL, &o);
    A("assertion BS without BE", WA_ERR_BACKUP_STATE, NULL, NULL, &o, NULL);

    sc = g_es256.sc;
    sc.backup_eligible = 1;
    A("assertion BE 0, stored BE 1", WA_ERR_BACKUP_ELIGIBILITY, NULL, NULL,
      NULL, &sc);
    sc.backup_eligible = 0;
    opts_init(&o);
    o.be = 1;
    A("assertion BE 1, stored BE 0", WA_ERR_BACKUP_ELIGIBILITY, NULL, NULL,
      &o, &sc);

    /* counters */
    sc = g_es256.sc;
    opts_init(&o);
    o.counter_set = 1;
    o.counter = 5;
    sc.sign_count = 10;
    A("counter 5 below stored 10", WA_ERR_COUNTER_REGRESSION, NULL, NULL,
      &o, &sc);
    sc.sign_count = 5;
    A("counter 5 equal to stored 5", WA_ERR_COUNTER_REGRESSION, NULL, NULL,
      &o, &sc);
    o.counter = 0;
    A("counter 0 with stored 5", WA_ERR_COUNTER_REGRESSION, NULL, NULL, &o,
      &sc);
}


/* ---- clientDataJSON ----------------------------------------------------- */

static void
test_client_data(void)
{
    sa_opts_t    o;
    wa_policy_t  p;
    char        *big;
    size_t       n;

    opts_init(&o);
    o.type = "webauthn.get";
    R("registration clientData type webauthn.get", WA_ERR_TYPE_MISMATCH,
      NULL, NULL, &o);
    o.type = "webauthn.create";
    A("assertion clientData type webauthn.create", WA_ERR_TYPE_MISMATCH,
      NULL, NULL, &o, NULL);
    o.type = "payment.get";
    A("assertion clientData type payment.get", WA_ERR_TYPE_MISMATCH, NULL,
      NULL, &o, NULL);

    opts_init(&o);
    o.challenge = other_chal;
    R("registration wrong challenge", WA_ERR_CHALLENGE_MISMATCH, NULL, NULL,
      &o);
    A("assertion wrong challenge", WA_ERR_CHALLENGE_MISMATCH, NULL, NULL, &o,
      NULL);
    o.challenge_len = 31;
    o.challenge = chal;
    A("assertion challenge one byte short", WA_ERR_CHALLENGE_MISMATCH, NULL,
      NULL, &o, NULL);

    opts_init(&o);
    o.origin = "http://example.org";
    A("origin differing in scheme (http)", WA_ERR_ORIGIN_MISMATCH, NULL,
      NULL, &o, NULL);
    R("registration origin differing in scheme (http)",
      WA_ERR_ORIGIN_MISMATCH, NULL, NULL, &o);
    o.origin = "https://example.org:8443";
    A("origin differing in port (:8443)", WA_ERR_ORIGIN_MISMATCH, NULL,
      NULL, &o, NULL);
    o.origin = "https://example.org:443";
    A("origin with the default port spelled out", WA_ERR_ORIGIN_MISMATCH,
      NULL, NULL, &o, NULL);
    o.origin = "https://Example.org";
    A("origin differing in case", WA_ERR_ORIGIN_MISMATCH, NULL, NULL, &o,
      NULL);
    o.origin = "https://example.org/";
    A("origin with a trailing slash", WA_ERR_ORIGIN_MISMATCH, NULL, NULL,
      &o, NULL);
    o.origin = "https://sub.example.org";
    R("registration from an unlisted subdomain", WA_ERR_ORIGIN_MISMATCH,
      NULL, NULL, &o);

    opts_init(&o);
    o.cross_origin = 1;
    o.top_origin = TOP;
    A("crossOrigin true when not allowed", WA_ERR_CROSS_ORIGIN, NULL, NULL,
      &o, NULL);
    R("registration crossOrigin true when not allowed", WA_ERR_CROSS_ORIGIN,
      NULL, NULL, &o);
    pol_init(&p);
    p.allow_cross_origin = 1;
    o.top_origin = "https://evil.example";
    A("topOrigin not in the list", WA_ERR_TOP_ORIGIN_MISMATCH, &p, NULL, &o,
      NULL);

    /* Pre-Level 3 clients send crossOrigin without topOrigin: accepted
     * unless the RP requires to know its embedder. */
    o.top_origin = NULL;
    A("crossOrigin without topOrigin, allowed", WA_OK, &p, NULL, &o, NULL);
    p.require_top_origin = 1;
    A("crossOrigin without topOrigin when topOrigin is required",
      WA_ERR_TOP_ORIGIN_MISMATCH, &p, NULL, &o, NULL);
    R("registration crossOrigin without topOrigin when it is required",
      WA_ERR_TOP_ORIGIN_MISMATCH, &p, NULL, &o);
    o.top_origin = TOP;
    A("crossOrigin with a listed topOrigin when it is required", WA_OK, &p,
      NULL, &o, NULL);

    opts_init(&o);
    o.client_data_extra = ",\"x\":\"\xff\xfe\"";
    R("clientDataJSON with invalid UTF-8", WA_ERR_MALFORMED, NULL, NULL, &o);
    o.client_data_extra = ",\"x\":\"\xc0\xaf\"";
    A("clientDataJSON with an overlong UTF-8 sequence", WA_ERR_MALFORMED,
      NULL, NULL, &o, NULL);
    o.client_data_extra = ",\"challenge\":\"AAAA\"";
    R("clientDataJSON with a duplicate key (challenge)", WA_ERR_MALFORMED,
      NULL, NULL, &o);
    o.client_data_extra = ",\"type\":\"webauthn.get\"";
    A("clientDataJSON with a duplicate key (type)", WA_ERR_MALFORMED, NULL,
      NULL, &o, NULL);

    {
        mut_t  m = { .what = SA_HOOK_CLIENT_DATA, .fn = b_replace,
                     .s1 = "\"origin\":\"https://example.org\"",
                     .s2 = "\"origin\":\"https://example.org\\u0000.evil\"" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("clientDataJSON origin with an escaped NUL", WA_ERR_MALFORMED,
          NULL, NULL, &o, NULL);
    }
    {
        mut_t  m = { .what = SA_HOOK_CLIENT_DATA, .fn = b_replace,
                     .s1 = "{\"type\"", .s2 = "\xef\xbb\xbf{\"type\"" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("clientDataJSON with a byte order mark", WA_ERR_MALFORMED, NULL,
          NULL, &o, NULL);
    }
    opts_init(&o);
    o.top_origin = TOP;
    A("clientDataJSON topOrigin with crossOrigin false", WA_ERR_MALFORMED,
      NULL, NULL, &o, NULL);

    opts_init(&o);
    o.client_data_raw = "[]";
    A("clientDataJSON is an array", WA_ERR_MALFORMED, NULL, NULL, &o, NULL);
    o.client_data_raw = "{\"type\":\"webauthn.get\","
                        "\"origin\":\"https://example.org\"}";
    A("clientDataJSON without challenge", WA_ERR_MALFORMED, NULL, NULL, &o,
      NULL);
    {
        mut_t  m = { .what = SA_HOOK_CLIENT_DATA, .fn = b_append,
                     .s1 = "{}" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("clientDataJSON with a second object after it", WA_ERR_MALFORMED,
          NULL, NULL, &o, NULL);
    }
    {
        mut_t  m = { .what = SA_HOOK_CLIENT_DATA, .fn = b_replace,
                     .s1 = "\"crossOrigin\":false",
                     .s2 = "\"crossOrigin\":\"false\"" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("clientDataJSON crossOrigin is a string", WA_ERR_MALFORMED, NULL,
          NULL, &o, NULL);
    }
    {
        char  *b64 = sa_b64url(chal, sizeof(chal));
        char   padded[64];

        snprintf(padded, sizeof(padded), "%s=", b64);
        opts_init(&o);
        o.challenge_text = padded;
        A("clientDataJSON challenge with base64 padding", WA_ERR_MALFORMED,
          NULL, NULL, &o, NULL);
        free(b64);
    }

    /* sizes */
    n = 1024 * 1024;
    big = malloc(n + 16);
    memcpy(big, ",\"pad\":\"", 8);
    memset(big + 8, 'a', n);
    memcpy(big + 8 + n, "\"", 2);
    opts_init(&o);
    o.client_data_extra = big;
    R("clientDataJSON of 1 MiB", WA_ERR_TOO_LARGE, NULL, NULL, &o);
    A("assertion clientDataJSON of 1 MiB", WA_ERR_TOO_LARGE, NULL, NULL, &o,
      NULL);
    big[8 + 20000] = '"';
    big[8 + 20001] = '\0';
    R("clientDataJSON of 20 KB (over WA_MAX_CLIENT_DATA_JSON)",
      WA_ERR_TOO_LARGE, NULL, NULL, &o);
    free(big);
}


/* ---- response JSON (toJSON) --------------------------------------------- */

static void
test_response_json(void)
{
    sa_opts_t               o;
    sa_cred_t              *c;
    wa_stored_credential_t  sc;
    uint8_t                 raw[65];
    char                   *b64;

    opts_init(&o);
    o.raw_id = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    R("registration id differs from rawId", WA_ERR_CREDENTIAL_MISMATCH,
      NULL, NULL, &o);
    A("assertion id differs from rawId", WA_ERR_CREDENTIAL_MISMATCH, NULL,
      NULL, &o, NULL);
    o.id = o.raw_id;
    R("registration rawId differs from the attested credential id",
      WA_ERR_CREDENTIAL_MISMATCH, NULL, NULL, &o);

    sc = g_es256.sc;
    sc.cred_id = (const uint8_t *) "another credential id";
    sc.cred_id_len = 21;
    A("assertion for another credential than the stored one",
      WA_ERR_CREDENTIAL_UNKNOWN, NULL, NULL, NULL, &sc);

    sc = g_es256.sc;
    sc.user_handle = (const uint8_t *) "someone else";
    sc.user_handle_len = 12;
    A("assertion userHandle of another user", WA_ERR_USER_MISMATCH, NULL,
      NULL, NULL, &sc);
    opts_init(&o);
    o.no_user_handle = 1;
    sc = g_es256.sc;
    sc.user_handle = g_es256.c->user_handle.data;
    sc.user_handle_len = g_es256.c->user_handle.len;
    sc.user_handle_required = 1;
    A("assertion without userHandle when required", WA_ERR_USER_MISMATCH,
      NULL, NULL, &o, &sc);

    opts_init(&o);
    o.cred_type = "password";
    R("registration credential type \"password\"", WA_ERR_TYPE_MISMATCH,
      NULL, NULL, &o);
    A("assertion credential type \"password\"", WA_ERR_TYPE_MISMATCH,
      NULL, NULL, &o, NULL);

    /* base64url */
    {
        mut_t  m = { .jfn = j_padded_id };

        opts_init(&o);
        opts_mut(&o, &m);
        R("id and rawId with base64 padding", WA_ERR_MALFORMED, NULL, NULL,
          &o);
    }
    c = sa_cred_new(-7, 0, NULL);
    memset(c->id.data, 0xfb, 16);
    memset(c->id.data + 16, 0xff, 16);
    {
        mut_t  m = { .jfn = j_std_alphabet };

        opts_init(&o);
        opts_mut(&o, &m);
        R("id and rawId in the standard base64 alphabet (+/)",
          WA_ERR_MALFORMED, NULL, c, &o);
    }
    sa_cred_free(c);
    {
        mut_t  m = { .jfn = j_noncanonical_id };

        opts_init(&o);
        opts_mut(&o, &m);
        R("id and rawId with non-zero trailing bits", WA_ERR_MALFORMED,
          NULL, NULL, &o);
    }
    {
        mut_t  m = { .jfn = j_set_response_member, .s1 = "clientDataJSON",
                     .s2 = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0.!" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("clientDataJSON field with bad base64url characters",
          WA_ERR_MALFORMED, NULL, NULL, &o, NULL);
    }

    /* JSON structure */
    {
        mut_t  m = { .what = SA_HOOK_RESPONSE_JSON, .fn = b_replace,
                     .s1 = "\"type\":\"public-key\"",
                     .s2 = "\"type\":\"public-key\",\"type\":\"public-key\"" };

        opts_init(&o);
        opts_mut(&o, &m);
        R("response JSON with a duplicate key", WA_ERR_MALFORMED, NULL, NULL,
          &o);
    }
    {
        mut_t  m = { .what = SA_HOOK_RESPONSE_JSON, .fn = b_replace,
                     .s1 = "\"clientExtensionResults\":{}",
                     .s2 = "\"clientExtensionResults\":{\"x\":\"\xed\xa0\x80\"}" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("response JSON with invalid UTF-8 (a surrogate)", WA_ERR_MALFORMED,
          NULL, NULL, &o, NULL);
    }
    {
        mut_t  m = { .what = SA_HOOK_RESPONSE_JSON, .fn = b_append,
                     .s1 = "x" };

        opts_init(&o);
        opts_mut(&o, &m);
        R("response JSON with trailing garbage", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    {
        mut_t  m = { .jfn = j_del_response_member,
                     .s1 = "attestationObject" };

        opts_init(&o);
        opts_mut(&o, &m);
        R("registration response without attestationObject",
          WA_ERR_MALFORMED, NULL, NULL, &o);
    }
    {
        mut_t  m = { .jfn = j_del_response_member, .s1 = "signature" };

        opts_init(&o);
        opts_mut(&o, &m);
        A("assertion response without signature", WA_ERR_MALFORMED, NULL,
          NULL, &o, NULL);
    }

    /* sizes */
    c = sa_cred_new(-7, 0, NULL);
    sa_buf_free(&c->id);
    {
        uint8_t  *id = calloc(1, 2048);

        sa_buf_set(&c->id, id, 2048);
        free(id);
    }
    R("credential id of 2 KiB", WA_ERR_TOO_LARGE, NULL, c, NULL);
    sa_buf_truncate(&c->id, 1024);
    R("credential id of 1024 bytes (limit 1023)", WA_ERR_TOO_LARGE, NULL, c,
      NULL);
    sa_cred_free(c);

    memset(raw, 0x55, sizeof(raw));
    b64 = sa_b64url(raw, sizeof(raw));
    opts_init(&o);
    o.user_handle = b64;
    A("userHandle of 65 bytes (limit 64)", WA_ERR_TOO_LARGE, NULL, NULL, &o,
      NULL);
    free(b64);
    {
        mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_pad, .n = 2100 };

        opts_init(&o);
        opts_mut(&o, &m);
        A("signature over 2048 bytes", WA_ERR_TOO_LARGE, NULL, NULL, &o,
          NULL);
    }
    {
        static uint8_t  ext[20 * 1024];

        /* a5 bstr of 20 KiB - 6 as the one extension value: a map */
        memset(ext, 0, sizeof(ext));
        ext[0] = 0xa1;
        ext[1] = 0x61;
        ext[2] = 'x';
        ext[3] = 0x59;
        ext[4] = (uint8_t) ((sizeof(ext) - 6) >> 8);
        ext[5] = (uint8_t) (sizeof(ext) - 6);
        opts_init(&o);
        o.extensions = ext;
        o.extensions_len = sizeof(ext);
        R("authData of 20 KiB (over WA_MAX_AUTH_DATA)", WA_ERR_TOO_LARGE,
          NULL, NULL, &o);
    }
}


/* ---- assertion signatures ----------------------------------------------- */

static void
test_signatures(sa_key_t *rsa_pkcs1)
{
    sa_opts_t  o;
    acct_t     a;

#define SIG_CASE(label, fnc, want)                                           \
    do {                                                                     \
        mut_t  m_ = { .what = SA_HOOK_SIGNATURE, .fn = (fnc) };              \
        opts_init(&o);                                                       \
        opts_mut(&o, &m_);                                                   \
        A(label, want, NULL, NULL, &o, NULL);                                \
    } while (0)

    {
        mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_append,
                     .p = "\x00", .plen = 1 };

        opts_init(&o);
        opts_mut(&o, &m);
        A("ECDSA signature with a trailing byte", WA_ERR_SIGNATURE_INVALID,
          NULL, NULL, &o, NULL);
    }
    SIG_CASE("ECDSA signature with a third INTEGER", sig_third_integer,
             WA_ERR_SIGNATURE_INVALID);
    SIG_CASE("ECDSA signature r = s = 0", sig_zero,
             WA_ERR_SIGNATURE_INVALID);
    SIG_CASE("ECDSA signature with r = n", sig_r_is_order,
             WA_ERR_SIGNATURE_INVALID);
    SIG_CASE("ECDSA signature as raw r||s (P1363)", sig_raw,
             WA_ERR_SIGNATURE_INVALID);
    SIG_CASE("BER signature (long-form length) refused by default",
             sig_long_length, WA_ERR_SIGNATURE_INVALID);
    SIG_CASE("BER signature (zero-padded INTEGER) refused by default",
             sig_padded_r, WA_ERR_SIGNATURE_INVALID);
    {
        mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_xor, .n = 10 };

        opts_init(&o);
        opts_mut(&o, &m);
        A("ECDSA signature with one bit changed", WA_ERR_SIGNATURE_INVALID,
          NULL, NULL, &o, NULL);
    }
    {
        mut_t  m = { .what = SA_HOOK_TO_BE_SIGNED, .fn = b_xor, .n = 40 };

        opts_init(&o);
        opts_mut(&o, &m);
        A("signature over other data", WA_ERR_SIGNATURE_INVALID, NULL, NULL,
          &o, NULL);
    }

    if (acct_init(&a, sa_cred_new(-8, 0, NULL)) == 0) {
        mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_truncate, .n = 63 };

        opts_init(&o);
        opts_mut(&o, &m);
        A("Ed25519 signature of 63 bytes", WA_ERR_SIGNATURE_INVALID, NULL,
          &a, &o, NULL);
    }
    acct_free(&a);

    {
        sa_key_t  *k = sa_key_from_pkey(rsa_pkcs1->pkey, -257);

        if (acct_init(&a, sa_cred_new(-257, 0, k)) == 0) {
            mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_truncate,
                         .n = 255 };

            opts_init(&o);
            opts_mut(&o, &m);
            A("RS256 signature one byte short", WA_ERR_SIGNATURE_INVALID,
              NULL, &a, &o, NULL);
        }
        acct_free(&a);
    }
#undef SIG_CASE
}


/* ---- attestation -------------------------------------------------------- */


/* Registers with a fresh ES256 credential and expects success with the
 * attestation reported untrusted. */
static void
untrusted_ok(const char *name, const wa_policy_t *p, const sa_opts_t *o)
{
    wa_rc_t           rc;
    wa_err_t          err;
    sa_cred_t        *c;
    wa_credential_t   cred;
    char              what[160];

    c = sa_cred_new(-7, 0, NULL);
    memset(&cred, 0, sizeof(cred));
    memset(&err, 0, sizeof(err));
    rc = reg_run(p, c, o, &cred, &err);

    if (t_rc(name, rc, WA_OK, &err)) {
        snprintf(what, sizeof(what), "%s: reported untrusted", name);
        t_ok(cred.att_trusted == 0, what, "trusted %d", cred.att_trusted);
        wa_credential_free(&cred);
    }

    sa_cred_free(c);
}

/* A refused registration still says which authenticator it claimed to
 * come from, once the authenticator data was read; nothing else stays. */
static void
failed_reg_aaguid(const char *name, const sa_opts_t *o, wa_rc_t want,
    const uint8_t *want_aaguid)
{
    sa_result_t                 r;
    wa_registration_response_t  resp;
    wa_credential_t             cred;
    wa_err_t                    err;
    wa_rc_t                     rc;
    sa_cred_t                  *c;
    char                        what[160];

    c = sa_cred_new(-7, 0, NULL);
    if (c == NULL || sa_register(c, o, &r) != 0) {
        t_ok(0, name, "softauth: %s", sa_last_error());
        sa_cred_free(c);
        return;
    }
    memset(&resp, 0, sizeof(resp));
    memset(&err, 0, sizeof(err));
    rc = wa_registration_response_parse(r.json, r.json_len, &resp, &err);
    if (rc == WA_OK) {
        rc = wa_verify_registration(&g_pol, chal, sizeof(chal), &resp, &cred,
                                    &err);
    }
    if (t_rc(name, rc, want, &err)) {
        snprintf(what, sizeof(what), "%s: the AAGUID", name);
        t_ok(memcmp(cred.aaguid, want_aaguid, 16) == 0, what, "differs");
        snprintf(what, sizeof(what), "%s: nothing else", name);
        t_ok(cred.key == NULL && cred.cred_id.data == NULL
             && cred.public_key.data == NULL && cred.alg == 0, what,
             "a refused credential kept its parts");
    }
    wa_registration_response_free(&resp);
    sa_result_free(&r);
    sa_cred_free(c);
}

static void
test_failed_registration_aaguid(void)
{
    sa_opts_t              o;
    static const uint8_t   aaguid[16] = {
        0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21,
        0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4
    };
    static const uint8_t   zeros[16];

    opts_init(&o);
    o.aaguid = aaguid;
    o.rp_id = "other.example";
    failed_reg_aaguid("refused registration: rp_id_mismatch keeps the AAGUID",
                      &o, WA_ERR_RP_ID_MISMATCH, aaguid);

    opts_init(&o);
    o.aaguid = aaguid;
    o.no_up = 1;
    failed_reg_aaguid("refused registration: no UP keeps the AAGUID",
                      &o, WA_ERR_UP_MISSING, aaguid);

    opts_init(&o);
    o.aaguid = aaguid;
    o.challenge = other_chal;
    failed_reg_aaguid("refused before the authenticator data: no AAGUID",
                      &o, WA_ERR_CHALLENGE_MISMATCH, zeros);
}


static void
test_attestation(void)
{
    sa_opts_t        o;
    sa_cert_opts_t   co;
    wa_policy_t      p;
    wa_trust_t      *trust;
    wa_err_t         err;
    sa_buf_t         der = { 0 };
    sa_ca_t         *other_ca;
    sa_key_t        *k2;
    X509            *leaf;
    uint8_t          wrong_aaguid[16];
    cbor_item_t     *empty;

    opts_init(&o);
    o.fmt = "acme";
    R("unknown attestation format", WA_ERR_ATTESTATION_FORMAT, NULL, NULL,
      &o);

    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_STMT, .cfn = c_add_str,
                     .s1 = "sig", .s2 = "x" };

        opts_init(&o);
        opts_mut(&o, &m);
        R("none attestation with a non-empty attStmt",
          WA_ERR_ATTESTATION_INVALID, NULL, NULL, &o);
    }

    opts_init(&o);
    o.att = SA_ATT_PACKED_SELF;
    o.att_alg = -35;
    R("self attestation alg differs from the credential's",
      WA_ERR_ATTESTATION_INVALID, NULL, NULL, &o);
    {
        mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_xor, .n = 10 };

        opts_init(&o);
        o.att = SA_ATT_PACKED_SELF;
        opts_mut(&o, &m);
        R("self attestation signature changed", WA_ERR_ATTESTATION_INVALID,
          NULL, NULL, &o);
    }
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_STMT, .cfn = c_del_str,
                     .s1 = "sig" };

        opts_init(&o);
        o.att = SA_ATT_PACKED_SELF;
        opts_mut(&o, &m);
        R("packed attStmt without sig", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }

    /* packed x5c certificate requirements (8.2.1) */
#define CERT_CASE(label, field, value)                                       \
    do {                                                                     \
        memset(&co, 0, sizeof(co));                                          \
        co.field = value;                                                    \
        opts_init(&o);                                                       \
        o.att = SA_ATT_PACKED_X5C;                                           \
        o.cert = &co;                                                        \
        R(label, WA_ERR_ATTESTATION_INVALID, NULL, NULL, &o);                \
    } while (0)

    CERT_CASE("packed x5c leaf is a CA", is_ca, 1);
    CERT_CASE("packed x5c leaf OU is not \"Authenticator Attestation\"", ou,
              "Authenticator");
    CERT_CASE("packed x5c leaf without C", c, "");
    CERT_CASE("packed x5c leaf without O", o, "");
    CERT_CASE("packed x5c leaf without CN", cn, "");
    CERT_CASE("packed x5c leaf with C not a two-letter code", c, "ZZZ");
    CERT_CASE("packed x5c leaf is X.509 v1", version1, 1);
    memset(wrong_aaguid, 0x42, sizeof(wrong_aaguid));
    CERT_CASE("packed x5c aaguid extension differs from authData", aaguid,
              wrong_aaguid);
#undef CERT_CASE
    /*
     * 8.2.1 says "The Basic Constraints extension MUST have the CA
     * component set to false"; the core accepts a leaf WITHOUT the
     * extension (wa_x509_check_not_ca: RFC 5280 4.2.1.9 makes it a non-CA,
     * and field certificates omit it).  Asserted as documented; flip to
     * WA_ERR_ATTESTATION_INVALID if the literal reading is adopted.
     */
    memset(&co, 0, sizeof(co));
    co.no_basic_constraints = 1;
    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    o.cert = &co;
    R("packed x5c leaf without basicConstraints accepted (RFC 5280 reading)",
      WA_OK, NULL, NULL, &o);

    {
        sa_cred_t  *c = sa_cred_new(-7, 0, NULL);

        memset(&co, 0, sizeof(co));
        co.aaguid = c->aaguid;
        co.aaguid_critical = 1;
        opts_init(&o);
        o.att = SA_ATT_PACKED_X5C;
        o.cert = &co;
        R("packed x5c aaguid extension marked critical",
          WA_ERR_ATTESTATION_INVALID, NULL, c, &o);
        sa_cred_free(c);
    }

    /* signed by a key other than the leaf's */
    k2 = sa_key_new(-7, 0);
    leaf = sa_cert_issue(sa_default_ca(), k2, NULL);
    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    o.att_cert = leaf;
    o.att_key = sa_default_att_key();
    R("packed x5c signature by another key than the leaf's",
      WA_ERR_ATTESTATION_INVALID, NULL, NULL, &o);
    X509_free(leaf);
    sa_key_free(k2);

    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    o.att_alg = -35;
    R("packed x5c alg ES384 but the leaf key is P-256",
      WA_ERR_ALGORITHM_UNSUPPORTED, NULL, NULL, &o);

    empty = cbor_new_definite_array(0);
    {
        mut_t  m = { .cwhat = SA_CHOOK_ATT_STMT, .cfn = c_set_str_item,
                     .s1 = "x5c", .p = empty };

        opts_init(&o);
        o.att = SA_ATT_PACKED_X5C;
        opts_mut(&o, &m);
        R("packed x5c is an empty array", WA_ERR_MALFORMED, NULL,
          NULL, &o);
    }
    cbor_decref(&empty);

    /* trust */
    trust = wa_trust_new();
    sa_cert_der(sa_default_ca()->cert, &der);
    wa_trust_add_der(trust, der.data, der.len, &err);
    sa_buf_free(&der);
    pol_init(&p);
    p.trust = trust;

    /* A chain that reaches no anchor is refused only when trust is
     * required; otherwise the credential registers, reported untrusted. */
    other_ca = sa_ca_new("another CA");
    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    o.ca = other_ca;
    p.require_trusted_attestation = 1;
    R("packed x5c chain to another CA than the anchor",
      WA_ERR_ATTESTATION_UNTRUSTED, &p, NULL, &o);
    p.require_trusted_attestation = 0;
    untrusted_ok("packed x5c chain to another CA, trust not required", &p,
                 &o);
    sa_ca_free(other_ca);

    memset(&co, 0, sizeof(co));
    co.not_before = (int64_t) time(NULL) - 30 * 86400;
    co.not_after = (int64_t) time(NULL) - 86400;
    opts_init(&o);
    o.att = SA_ATT_PACKED_X5C;
    o.cert = &co;
    p.require_trusted_attestation = 1;
    R("packed x5c leaf expired", WA_ERR_ATTESTATION_UNTRUSTED, &p, NULL, &o);
    p.require_trusted_attestation = 0;
    untrusted_ok("packed x5c leaf expired, trust not required", &p, &o);

    p.require_trusted_attestation = 1;
    opts_init(&o);
    o.att = SA_ATT_PACKED_SELF;
    R("self attestation when trusted attestation is required",
      WA_ERR_ATTESTATION_UNTRUSTED, &p, NULL, &o);
    opts_init(&o);
    R("none attestation when trusted attestation is required",
      WA_ERR_ATTESTATION_UNTRUSTED, &p, NULL, &o);

    /* fido-u2f needs a P-256 credential */
    {
        sa_cred_t  *c = sa_cred_new(-35, 0, NULL);

        opts_init(&o);
        o.att = SA_ATT_FIDO_U2F;
        R("fido-u2f with a P-384 credential", WA_ERR_ATTESTATION_INVALID,
          NULL, c, &o);
        sa_cred_free(c);
    }
    {
        mut_t  m = { .what = SA_HOOK_SIGNATURE, .fn = b_xor, .n = 10 };

        opts_init(&o);
        o.att = SA_ATT_FIDO_U2F;
        opts_mut(&o, &m);
        R("fido-u2f signature changed", WA_ERR_ATTESTATION_INVALID, NULL,
          NULL, &o);
    }

    wa_trust_free(trust);
}


/* ---- the parsers directly ----------------------------------------------- */

static void
test_parsers(void)
{
    sa_buf_t          cose = { 0 };
    wa_key_t         *key = NULL;
    wa_err_t          err = { WA_OK, NULL };
    wa_auth_data_t    ad;
    wa_client_data_t  cd;
    uint8_t           buf[40];
    const char       *json;
    wa_rc_t           rc;

    sa_key_cose(g_es256.c->key, &cose);
    sa_buf_append_byte(&cose, 0x00);
    rc = wa_key_from_cose(cose.data, cose.len, &key, &err);
    t_rc("wa_key_from_cose: trailing byte", rc, WA_ERR_MALFORMED, &err);
    if (rc == WA_OK) {
        wa_key_free(key);
        key = NULL;
    }
    rc = wa_key_from_cose(cose.data, 0, &key, &err);
    t_rc("wa_key_from_cose: empty input", rc, WA_ERR_MALFORMED, &err);
    if (rc == WA_OK) {
        wa_key_free(key);
    }
    sa_buf_free(&cose);

    memset(buf, 0, sizeof(buf));
    buf[32] = WA_FLAG_UP;
    memset(&ad, 0, sizeof(ad));
    rc = wa_auth_data_parse(buf, 37, &ad, &err);
    if (t_rc("wa_auth_data_parse: 37 bytes", rc, WA_OK, &err)) {
        t_ok(ad.flags == WA_FLAG_UP && ad.sign_count == 0
             && ad.cred_id == NULL, "wa_auth_data_parse: fields", NULL);
    }
    buf[32] = WA_FLAG_UP | WA_FLAG_BS;
    rc = wa_auth_data_parse(buf, 37, &ad, &err);
    t_rc("wa_auth_data_parse: BS without BE", rc, WA_ERR_BACKUP_STATE, &err);

    json = "{\"type\":\"webauthn.get\",\"challenge\":\"AAEC\","
           "\"origin\":\"https://example.org\",\"crossOrigin\":false}";
    memset(&cd, 0, sizeof(cd));
    rc = wa_client_data_parse((const uint8_t *) json, strlen(json), &cd,
                              &err);
    if (t_rc("wa_client_data_parse: plain", rc, WA_OK, &err)) {
        t_ok(cd.type == WA_CEREMONY_GET && cd.challenge.len == 3
             && strcmp(cd.origin, "https://example.org") == 0
             && cd.cross_origin == 0 && cd.top_origin == NULL,
             "wa_client_data_parse: fields", NULL);
        wa_client_data_free(&cd);
    }
    json = "{\"type\":\"webauthn.get\",\"challenge\":\"AAEC\","
           "\"origin\":\"https://example.org\"} {}";
    memset(&cd, 0, sizeof(cd));
    rc = wa_client_data_parse((const uint8_t *) json, strlen(json), &cd,
                              &err);
    t_rc("wa_client_data_parse: two objects", rc, WA_ERR_MALFORMED, &err);
    if (rc == WA_OK) {
        wa_client_data_free(&cd);
    }
}


#ifdef WA_HAVE_ATTEST_FORMATS
int wa_test_attest_formats(void);
#endif


int
main(void)
{
    sa_key_t  *rsa_pkcs1, *rsa_pss;

    setvbuf(stdout, NULL, _IOLBF, 0);

    if (sa_random(chal, sizeof(chal)) != 0
        || sa_random(other_chal, sizeof(other_chal)) != 0)
    {
        printf("not ok - random challenges\n");
        return 1;
    }
    pol_init(&g_pol);
    if (acct_init(&g_es256, sa_cred_new(-7, 0, NULL)) != 0) {
        printf("not ok - ES256 account for the assertion cases\n");
        return 1;
    }
    rsa_pkcs1 = sa_key_new(-257, 0);
    rsa_pss = sa_key_new(-37, 0);
    if (rsa_pkcs1 == NULL || rsa_pss == NULL) {
        printf("not ok - RSA keys (%s)\n", sa_last_error());
        return 1;
    }

    test_key_types(rsa_pkcs1, rsa_pss);
    test_positive_misc();
    test_cbor();
    test_auth_data();
    test_client_data();
    test_response_json();
    test_signatures(rsa_pkcs1);
    test_attestation();
    test_failed_registration_aaguid();
    test_parsers();

#ifdef WA_HAVE_ATTEST_FORMATS
    /* It prints its own "ok -" / "not ok -" lines (counted by
     * tests/run-unit.sh); its failures also fail this program. */
    printf("# neg_attest_formats\n");
    t_failed += wa_test_attest_formats();
#endif

    sa_key_free(rsa_pkcs1);
    sa_key_free(rsa_pss);
    acct_free(&g_es256);
    sa_cleanup();
    return t_done("test_negative");
}
