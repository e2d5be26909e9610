/*
 * Shared pieces of the libFuzzer targets (see fuzz_common.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "fuzz_common.h"


const fv_case_t *
fv_case(const char *name)
{
    size_t  i;

    for (i = 0; i < fv_n_cases; i++) {
        if (strcmp(fv_cases[i].name, name) == 0) {
            return &fv_cases[i];
        }
    }

    __builtin_trap();
}


static const char *const  fuzz_origins[] = { "https://example.org" };
static const char *const  fuzz_top_origins[] = { "https://example.com" };

static wa_policy_t   fuzz_pol;
static wa_trust_t   *fuzz_trust;


const wa_policy_t *
fuzz_policy(void)
{
    wa_err_t  err = FUZZ_ERR_INIT;

    if (fuzz_trust != NULL) {
        return &fuzz_pol;
    }

    fuzz_trust = wa_trust_new();
    FUZZ_CHECK(fuzz_trust != NULL);
    FUZZ_CHECK(wa_trust_add_der(fuzz_trust, fv_ca_cert, fv_ca_cert_len, &err)
               == WA_OK);

    memset(&fuzz_pol, 0, sizeof(fuzz_pol));
    fuzz_pol.rp_id = "example.org";
    fuzz_pol.origins = fuzz_origins;
    fuzz_pol.n_origins = 1;
    fuzz_pol.top_origins = fuzz_top_origins;
    fuzz_pol.n_top_origins = 1;
    fuzz_pol.allow_cross_origin = 1;
    fuzz_pol.trust = fuzz_trust;
    fuzz_pol.time = FUZZ_TIME;

    return &fuzz_pol;
}


uint8_t *
fuzz_dup(const void *p, size_t len)
{
    uint8_t  *q;

    q = malloc(len > 0 ? len : 1);
    FUZZ_CHECK(q != NULL);

    if (len > 0) {
        memcpy(q, p, len);
    }

    return q;
}


/* FUZZ_DEBUG=1 in the environment: every checked result on stderr, to
 * see how far a reproducer or a seed gets (not for fuzzing runs). */
static int
fuzz_debug(void)
{
    static int  on = -1;

    if (on < 0) {
        on = getenv("FUZZ_DEBUG") != NULL;
    }

    return on;
}


void
fuzz_check_err(wa_rc_t rc, const wa_err_t *err)
{
    if (fuzz_debug()) {
        fprintf(stderr, "fuzz: %s %s\n", wa_rc_code(rc),
                rc != WA_OK && err->detail != NULL ? err->detail : "");
    }

    FUZZ_CHECK((unsigned) rc < WA_RC_COUNT);

    if (rc != WA_OK) {
        FUZZ_CHECK(err->rc == rc);
        FUZZ_CHECK(err->detail != NULL);
    }

    FUZZ_CHECK(wa_rc_code(rc) != NULL);
}


void
fuzz_check_att_output(const wa_att_output_t *out)
{
    FUZZ_CHECK(out->type >= WA_ATT_NONE && out->type <= WA_ATT_ANONCA);
    FUZZ_CHECK(out->trusted == 0 || out->trusted == 1);

    if (out->type == WA_ATT_NONE || out->type == WA_ATT_SELF) {
        FUZZ_CHECK(out->trusted == 0);
    }
}


void
fuzz_end(void)
{
    ERR_clear_error();
}


void
fuzz_att_fixed(fuzz_att_fixed_t *f, const char *case_name)
{
    wa_err_t          err = FUZZ_ERR_INIT;
    const fv_case_t  *c;

    c = fv_case(case_name);
    memset(f, 0, sizeof(*f));

    FUZZ_CHECK(c->ad_off + c->ad_len <= c->att_obj_len);
    FUZZ_CHECK(wa_auth_data_parse(c->att_obj + c->ad_off, c->ad_len, &f->ad,
                                  &err)
               == WA_OK);
    FUZZ_CHECK(f->ad.flags & WA_FLAG_AT);
    FUZZ_CHECK(wa_key_from_cose(f->ad.cose_key, f->ad.cose_key_len, &f->key,
                                &err)
               == WA_OK);

    wa_sha256(c->reg_cdj, c->reg_cdj_len, f->client_data_hash);

    f->in.policy = fuzz_policy();
    f->in.att_stmt = NULL;
    f->in.auth_data = c->att_obj + c->ad_off;
    f->in.auth_data_len = c->ad_len;
    f->in.ad = &f->ad;
    f->in.client_data_hash = f->client_data_hash;
    f->in.cred_key = f->key;
}


int
fuzz_att_object_cred_id(const uint8_t *obj, size_t len, uint8_t **id,
    size_t *id_len)
{
    int              ok;
    cbor_item_t     *root, *ad;
    wa_auth_data_t   parsed;

    if (wa_cbor_decode(obj, len, 0, &root, NULL, NULL) != WA_OK) {
        return 0;
    }

    ad = wa_cbor_map_get_str(root, "authData");
    ok = ad != NULL && cbor_isa_bytestring(ad)
         && cbor_bytestring_is_definite(ad)
         && wa_auth_data_parse(cbor_bytestring_handle(ad),
                               cbor_bytestring_length(ad), &parsed, NULL)
            == WA_OK
         && parsed.cred_id != NULL;

    if (ok) {
        *id = fuzz_dup(parsed.cred_id, parsed.cred_id_len);
        *id_len = parsed.cred_id_len;
    }

    cbor_decref(&root);

    return ok;
}
