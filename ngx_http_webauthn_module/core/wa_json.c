/*
 * The JSON forms: clientDataJSON (WebAuthn L3 5.8.1) and the
 * RegistrationResponseJSON / AuthenticationResponseJSON that
 * PublicKeyCredential.toJSON() produces (5.1).
 *
 * wa_jparse() (wa_jsmall.c) does the parsing: one strict JSON value, valid
 * UTF-8, no NUL, no duplicate keys, nothing after it.  Members the spec may
 * add later are ignored, as 5.8.1 asks.
 */

#include <stdlib.h>
#include <string.h>

#include "wa_internal.h"


typedef struct {
    const uint8_t  *p;
    wa_jtok_t       tok[WA_J_MAX_TOKENS];
} wa_json_doc_t;


static wa_rc_t
wa_json_load(const char *p, size_t len, size_t max, wa_json_doc_t *doc,
    const char *what, wa_err_t *err)
{
    size_t  n;

    if (len > max) {
        return wa_fail(err, WA_ERR_TOO_LARGE, what);
    }

    doc->p = (const uint8_t *) p;

    if (wa_jparse(doc->p, len, doc->tok, &n) != 0
        || doc->tok[0].type != WA_J_OBJECT)
    {
        return wa_fail(err, WA_ERR_MALFORMED, what);
    }

    return WA_OK;
}


/* The value of member name of object obj, or NULL. */
static const wa_jtok_t *
wa_json_get(const wa_json_doc_t *doc, const wa_jtok_t *obj, const char *name)
{
    int  i;

    if (obj == NULL) {
        return NULL;
    }

    i = wa_jobj_get(doc->p, doc->tok, (size_t) (obj - doc->tok), name);

    return i < 0 ? NULL : &doc->tok[i];
}


/* A string's contents, unescaped when needed into a malloc()ed copy
 * (*copy, to free), else pointing into the document. */
static const uint8_t *
wa_json_str(const wa_json_doc_t *doc, const wa_jtok_t *v, size_t *len,
    uint8_t **copy)
{
    *copy = NULL;

    if (!v->escaped) {
        *len = v->end - v->start;
        return doc->p + v->start;
    }

    *copy = malloc(v->end - v->start + 1);
    if (*copy == NULL) {
        return NULL;
    }

    *len = wa_jstr_decode(doc->p, v, *copy);

    return *copy;
}


/* A base64url member into an owned buffer of at most max bytes; absent
 * members fail unless optional (then left empty). */
static wa_rc_t
wa_json_b64(const wa_json_doc_t *doc, const wa_jtok_t *obj, const char *name,
    size_t max, int optional, wa_buf_t *out, const char *what,
    wa_err_t *err)
{
    size_t            len, n;
    uint8_t          *copy;
    const uint8_t    *s;
    const wa_jtok_t  *v;

    v = wa_json_get(doc, obj, name);

    if (v == NULL || (optional && v->type == WA_J_NULL)) {
        return optional ? WA_OK : wa_fail(err, WA_ERR_MALFORMED, what);
    }

    if (v->type != WA_J_STRING) {
        return wa_fail(err, WA_ERR_MALFORMED, what);
    }

    /* Checked on the encoded size, before allocating for it: escapes
     * only shrink a string, so this bounds the decoded size too. */
    len = v->end - v->start;
    if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > max && !v->escaped) {
        return wa_fail(err, WA_ERR_TOO_LARGE, what);
    }

    s = wa_json_str(doc, v, &len, &copy);
    if (s == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, what);
    }

    if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > max) {
        free(copy);
        return wa_fail(err, WA_ERR_TOO_LARGE, what);
    }

    out->data = malloc(len / 4 * 3 + 3);
    if (out->data == NULL) {
        free(copy);
        return wa_fail(err, WA_ERR_INTERNAL, what);
    }

    if (wa_b64url_decode((const char *) s, len, out->data, &n) != WA_OK) {
        free(copy);
        free(out->data);
        out->data = NULL;
        return wa_fail(err, WA_ERR_MALFORMED, what);
    }

    free(copy);
    out->len = n;

    return WA_OK;
}


/* Is string token v exactly s (after unescaping)? */
static int
wa_json_str_is(const wa_json_doc_t *doc, const wa_jtok_t *v, const char *s)
{
    int             eq;
    size_t          len;
    uint8_t        *copy;
    const uint8_t  *d;

    if (v == NULL || v->type != WA_J_STRING) {
        return 0;
    }

    d = wa_json_str(doc, v, &len, &copy);
    eq = d != NULL && len == strlen(s) && memcmp(d, s, len) == 0;
    free(copy);

    return eq;
}


static void
wa_buf_free(wa_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}


/* Checks shared by both response forms: type, id, rawId. */
static wa_rc_t
wa_json_credential(const wa_json_doc_t *doc, wa_buf_t *id, wa_buf_t *raw_id,
    const wa_jtok_t **response, wa_err_t *err)
{
    wa_rc_t           rc;
    const wa_jtok_t  *root, *v;

    root = &doc->tok[0];

    v = wa_json_get(doc, root, "type");
    if (v == NULL || v->type != WA_J_STRING) {
        return wa_fail(err, WA_ERR_MALFORMED, "type");
    }

    if (!wa_json_str_is(doc, v, "public-key")) {
        return wa_fail(err, WA_ERR_TYPE_MISMATCH, "type");
    }

    rc = wa_json_b64(doc, root, "id", WA_MAX_CREDENTIAL_ID, 0, id, "id", err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_json_b64(doc, root, "rawId", WA_MAX_CREDENTIAL_ID, 0, raw_id,
                     "rawId", err);
    if (rc != WA_OK) {
        return rc;
    }

    if (id->len == 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "id");
    }

    if (!wa_ct_equal(id->data, id->len, raw_id->data, raw_id->len)) {
        return wa_fail(err, WA_ERR_CREDENTIAL_MISMATCH, "rawId");
    }

    v = wa_json_get(doc, root, "clientExtensionResults");
    if (v != NULL && v->type != WA_J_OBJECT) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientExtensionResults");
    }

    *response = wa_json_get(doc, root, "response");
    if (*response == NULL || (*response)->type != WA_J_OBJECT) {
        return wa_fail(err, WA_ERR_MALFORMED, "response");
    }

    return WA_OK;
}


static const struct {
    const char  *name;
    uint32_t     bit;
} wa_transports[] = {
    { "usb", WA_TRANSPORT_USB },
    { "nfc", WA_TRANSPORT_NFC },
    { "ble", WA_TRANSPORT_BLE },
    { "internal", WA_TRANSPORT_INTERNAL },
    { "hybrid", WA_TRANSPORT_HYBRID },
    { "smart-card", WA_TRANSPORT_SMART_CARD },
};


/* Unknown transport names are ignored (5.2.1: clients may add new ones). */
static wa_rc_t
wa_json_transports(const wa_json_doc_t *doc, const wa_jtok_t *response,
    uint32_t *out, wa_err_t *err)
{
    size_t            i, k;
    const wa_jtok_t  *list, *v;

    *out = 0;
    list = wa_json_get(doc, response, "transports");

    if (list == NULL) {
        return WA_OK;
    }

    if (list->type != WA_J_ARRAY || list->size > 16) {
        return wa_fail(err, WA_ERR_MALFORMED, "response.transports");
    }

    v = list + 1;

    for (i = 0; i < list->size; i++) {
        if (v->type != WA_J_STRING) {
            return wa_fail(err, WA_ERR_MALFORMED, "response.transports");
        }

        for (k = 0; k < sizeof(wa_transports) / sizeof(wa_transports[0]);
             k++)
        {
            if (wa_json_str_is(doc, v, wa_transports[k].name)) {
                *out |= wa_transports[k].bit;
            }
        }

        v = &doc->tok[v->next];
    }

    return WA_OK;
}


wa_rc_t
wa_registration_response_parse(const char *json, size_t len,
    wa_registration_response_t *out, wa_err_t *err)
{
    wa_rc_t           rc;
    wa_json_doc_t     doc_buf, *doc = &doc_buf;
    const wa_jtok_t  *resp;

    memset(out, 0, sizeof(*out));

    rc = wa_json_load(json, len, WA_MAX_RESPONSE_JSON, doc, "json", err);

    if (rc == WA_OK) {
        rc = wa_json_credential(doc, &out->id, &out->raw_id, &resp, err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(doc, resp, "clientDataJSON",
                         WA_MAX_CLIENT_DATA_JSON, 0, &out->client_data_json,
                         "response.clientDataJSON", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(doc, resp, "attestationObject",
                         WA_MAX_ATTESTATION_OBJECT, 0,
                         &out->attestation_object,
                         "response.attestationObject", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_transports(doc, resp, &out->transports, err);
    }

    if (rc != WA_OK) {
        wa_registration_response_free(out);
    }

    return rc;
}


void
wa_registration_response_free(wa_registration_response_t *r)
{
    wa_buf_free(&r->id);
    wa_buf_free(&r->raw_id);
    wa_buf_free(&r->client_data_json);
    wa_buf_free(&r->attestation_object);
}


wa_rc_t
wa_assertion_response_parse(const char *json, size_t len,
    wa_assertion_response_t *out, wa_err_t *err)
{
    wa_rc_t           rc;
    wa_json_doc_t     doc;
    const wa_jtok_t  *resp;

    memset(out, 0, sizeof(*out));

    rc = wa_json_load(json, len, WA_MAX_RESPONSE_JSON, &doc, "json", err);

    if (rc == WA_OK) {
        rc = wa_json_credential(&doc, &out->id, &out->raw_id, &resp, err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(&doc, resp, "clientDataJSON",
                         WA_MAX_CLIENT_DATA_JSON, 0, &out->client_data_json,
                         "response.clientDataJSON", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(&doc, resp, "authenticatorData", WA_MAX_AUTH_DATA,
                         0, &out->authenticator_data,
                         "response.authenticatorData", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(&doc, resp, "signature", WA_MAX_SIGNATURE, 0,
                         &out->signature, "response.signature", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(&doc, resp, "userHandle", WA_MAX_USER_HANDLE, 1,
                         &out->user_handle, "response.userHandle", err);
    }

    if (rc != WA_OK) {
        wa_assertion_response_free(out);
    }

    return rc;
}


void
wa_assertion_response_free(wa_assertion_response_t *r)
{
    wa_buf_free(&r->id);
    wa_buf_free(&r->raw_id);
    wa_buf_free(&r->client_data_json);
    wa_buf_free(&r->authenticator_data);
    wa_buf_free(&r->signature);
    wa_buf_free(&r->user_handle);
}


/* ---- clientDataJSON ----------------------------------------------------- */

static char *
wa_json_strdup(const wa_json_doc_t *doc, const wa_jtok_t *v)
{
    char     *s;
    size_t    len;

    s = malloc(v->end - v->start + 1);

    if (s != NULL) {
        len = wa_jstr_decode(doc->p, v, (uint8_t *) s);
        s[len] = '\0';
    }

    return s;
}


static wa_rc_t
wa_client_data_fields(const wa_json_doc_t *doc, wa_client_data_t *out,
    wa_err_t *err)
{
    wa_rc_t           rc;
    const wa_jtok_t  *root, *v;

    root = &doc->tok[0];

    v = wa_json_get(doc, root, "type");
    if (v == NULL || v->type != WA_J_STRING) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.type");
    }

    if (wa_json_str_is(doc, v, "webauthn.create")) {
        out->type = WA_CEREMONY_CREATE;

    } else if (wa_json_str_is(doc, v, "webauthn.get")) {
        out->type = WA_CEREMONY_GET;

    } else {
        return wa_fail(err, WA_ERR_TYPE_MISMATCH, "clientDataJSON.type");
    }

    rc = wa_json_b64(doc, root, "challenge", WA_MAX_CHALLENGE, 0,
                     &out->challenge, "clientDataJSON.challenge", err);
    if (rc != WA_OK) {
        return rc;
    }

    /* Strings hold no NUL (the parser refuses \u0000), so the origins
     * can be compared as C strings later. */
    v = wa_json_get(doc, root, "origin");
    if (v == NULL || v->type != WA_J_STRING || v->end == v->start) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.origin");
    }

    out->origin = wa_json_strdup(doc, v);
    if (out->origin == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "clientDataJSON.origin");
    }

    v = wa_json_get(doc, root, "crossOrigin");
    if (v != NULL && v->type != WA_J_TRUE && v->type != WA_J_FALSE) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.crossOrigin");
    }

    out->cross_origin = v != NULL && v->type == WA_J_TRUE;

    v = wa_json_get(doc, root, "topOrigin");
    if (v != NULL) {
        if (v->type != WA_J_STRING) {
            return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.topOrigin");
        }

        out->top_origin = wa_json_strdup(doc, v);
        if (out->top_origin == NULL) {
            return wa_fail(err, WA_ERR_INTERNAL, "clientDataJSON.topOrigin");
        }
    }

    return WA_OK;
}


wa_rc_t
wa_client_data_parse(const uint8_t *json, size_t len, wa_client_data_t *out,
    wa_err_t *err)
{
    wa_rc_t         rc;
    wa_json_doc_t   doc;

    memset(out, 0, sizeof(*out));

    rc = wa_json_load((const char *) json, len, WA_MAX_CLIENT_DATA_JSON,
                      &doc, "clientDataJSON", err);

    if (rc == WA_OK) {
        rc = wa_client_data_fields(&doc, out, err);
    }

    if (rc != WA_OK) {
        wa_client_data_free(out);
    }

    return rc;
}


void
wa_client_data_free(wa_client_data_t *cd)
{
    wa_buf_free(&cd->challenge);
    free(cd->origin);
    free(cd->top_origin);
    cd->origin = NULL;
    cd->top_origin = NULL;
}
