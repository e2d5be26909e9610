/*
 * The JSON forms: clientDataJSON (WebAuthn L3 5.8.1) and the
 * RegistrationResponseJSON / AuthenticationResponseJSON that
 * PublicKeyCredential.toJSON() produces (5.1).
 *
 * jansson does the parsing, told to refuse duplicate keys; it also refuses
 * invalid UTF-8, NUL characters and anything after the value.  Members the
 * spec may add later are ignored, as 5.8.1 asks.
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "wa_internal.h"


static wa_rc_t
wa_json_load(const char *p, size_t len, size_t max, json_t **out,
    const char *what, wa_err_t *err)
{
    json_t        *root;
    json_error_t   jerr;

    if (len > max) {
        return wa_fail(err, WA_ERR_TOO_LARGE, what);
    }

    root = json_loadb(p, len, JSON_REJECT_DUPLICATES, &jerr);

    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return wa_fail(err, WA_ERR_MALFORMED, what);
    }

    *out = root;

    return WA_OK;
}


/* A base64url member into an owned buffer of at most max bytes; absent
 * members fail unless optional (then left empty). */
static wa_rc_t
wa_json_b64(json_t *obj, const char *name, size_t max, int optional,
    wa_buf_t *out, const char *what, wa_err_t *err)
{
    size_t       len, n;
    json_t      *v;
    const char  *s;

    v = json_object_get(obj, name);

    if (v == NULL || (optional && json_is_null(v))) {
        return optional ? WA_OK : wa_fail(err, WA_ERR_MALFORMED, what);
    }

    if (!json_is_string(v)) {
        return wa_fail(err, WA_ERR_MALFORMED, what);
    }

    s = json_string_value(v);
    len = json_string_length(v);

    /* Checked on the encoded size, before allocating for it. */
    if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > max) {
        return wa_fail(err, WA_ERR_TOO_LARGE, what);
    }

    out->data = malloc(len / 4 * 3 + 3);
    if (out->data == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, what);
    }

    if (wa_b64url_decode(s, len, out->data, &n) != WA_OK) {
        free(out->data);
        out->data = NULL;
        return wa_fail(err, WA_ERR_MALFORMED, what);
    }

    out->len = n;

    return WA_OK;
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
wa_json_credential(json_t *root, wa_buf_t *id, wa_buf_t *raw_id,
    json_t **response, wa_err_t *err)
{
    wa_rc_t      rc;
    json_t      *v;

    v = json_object_get(root, "type");
    if (!json_is_string(v)) {
        return wa_fail(err, WA_ERR_MALFORMED, "type");
    }

    if (strcmp(json_string_value(v), "public-key") != 0) {
        return wa_fail(err, WA_ERR_TYPE_MISMATCH, "type");
    }

    rc = wa_json_b64(root, "id", WA_MAX_CREDENTIAL_ID, 0, id, "id", err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_json_b64(root, "rawId", WA_MAX_CREDENTIAL_ID, 0, raw_id,
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

    v = json_object_get(root, "clientExtensionResults");
    if (v != NULL && !json_is_object(v)) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientExtensionResults");
    }

    *response = json_object_get(root, "response");
    if (!json_is_object(*response)) {
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
wa_json_transports(json_t *response, uint32_t *out, wa_err_t *err)
{
    size_t   i, k;
    json_t  *list, *v;

    *out = 0;
    list = json_object_get(response, "transports");

    if (list == NULL) {
        return WA_OK;
    }

    if (!json_is_array(list) || json_array_size(list) > 16) {
        return wa_fail(err, WA_ERR_MALFORMED, "response.transports");
    }

    json_array_foreach(list, i, v) {
        if (!json_is_string(v)) {
            return wa_fail(err, WA_ERR_MALFORMED, "response.transports");
        }

        for (k = 0; k < sizeof(wa_transports) / sizeof(wa_transports[0]);
             k++)
        {
            if (strcmp(json_string_value(v), wa_transports[k].name) == 0) {
                *out |= wa_transports[k].bit;
            }
        }
    }

    return WA_OK;
}


wa_rc_t
wa_registration_response_parse(const char *json, size_t len,
    wa_registration_response_t *out, wa_err_t *err)
{
    wa_rc_t   rc;
    json_t   *root, *resp;

    memset(out, 0, sizeof(*out));

    rc = wa_json_load(json, len, WA_MAX_RESPONSE_JSON, &root, "json", err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_json_credential(root, &out->id, &out->raw_id, &resp, err);

    if (rc == WA_OK) {
        rc = wa_json_b64(resp, "clientDataJSON", WA_MAX_CLIENT_DATA_JSON, 0,
                         &out->client_data_json, "response.clientDataJSON",
                         err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(resp, "attestationObject",
                         WA_MAX_ATTESTATION_OBJECT, 0,
                         &out->attestation_object,
                         "response.attestationObject", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_transports(resp, &out->transports, err);
    }

    json_decref(root);

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
    wa_rc_t   rc;
    json_t   *root, *resp;

    memset(out, 0, sizeof(*out));

    rc = wa_json_load(json, len, WA_MAX_RESPONSE_JSON, &root, "json", err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_json_credential(root, &out->id, &out->raw_id, &resp, err);

    if (rc == WA_OK) {
        rc = wa_json_b64(resp, "clientDataJSON", WA_MAX_CLIENT_DATA_JSON, 0,
                         &out->client_data_json, "response.clientDataJSON",
                         err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(resp, "authenticatorData", WA_MAX_AUTH_DATA, 0,
                         &out->authenticator_data,
                         "response.authenticatorData", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(resp, "signature", WA_MAX_SIGNATURE, 0,
                         &out->signature, "response.signature", err);
    }

    if (rc == WA_OK) {
        rc = wa_json_b64(resp, "userHandle", WA_MAX_USER_HANDLE, 1,
                         &out->user_handle, "response.userHandle", err);
    }

    json_decref(root);

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
wa_json_strdup(json_t *v)
{
    char    *s;
    size_t   len;

    len = json_string_length(v);
    s = malloc(len + 1);

    if (s != NULL) {
        memcpy(s, json_string_value(v), len);
        s[len] = '\0';
    }

    return s;
}


static wa_rc_t
wa_client_data_fields(json_t *root, wa_client_data_t *out, wa_err_t *err)
{
    wa_rc_t      rc;
    json_t      *v;
    const char  *type;

    v = json_object_get(root, "type");
    if (!json_is_string(v)) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.type");
    }

    type = json_string_value(v);

    if (strcmp(type, "webauthn.create") == 0) {
        out->type = WA_CEREMONY_CREATE;

    } else if (strcmp(type, "webauthn.get") == 0) {
        out->type = WA_CEREMONY_GET;

    } else {
        return wa_fail(err, WA_ERR_TYPE_MISMATCH, "clientDataJSON.type");
    }

    rc = wa_json_b64(root, "challenge", WA_MAX_CHALLENGE, 0, &out->challenge,
                     "clientDataJSON.challenge", err);
    if (rc != WA_OK) {
        return rc;
    }

    v = json_object_get(root, "origin");
    if (!json_is_string(v) || json_string_length(v) == 0) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.origin");
    }

    /* json_string_length() counts embedded NULs, which jansson refuses
     * anyway; origins are compared with strcmp() later. */
    out->origin = wa_json_strdup(v);
    if (out->origin == NULL) {
        return wa_fail(err, WA_ERR_INTERNAL, "clientDataJSON.origin");
    }

    v = json_object_get(root, "crossOrigin");
    if (v != NULL && !json_is_boolean(v)) {
        return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.crossOrigin");
    }

    out->cross_origin = json_is_true(v);

    v = json_object_get(root, "topOrigin");
    if (v != NULL) {
        if (!json_is_string(v)) {
            return wa_fail(err, WA_ERR_MALFORMED, "clientDataJSON.topOrigin");
        }

        out->top_origin = wa_json_strdup(v);
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
    wa_rc_t   rc;
    json_t   *root;

    memset(out, 0, sizeof(*out));

    rc = wa_json_load((const char *) json, len, WA_MAX_CLIENT_DATA_JSON,
                      &root, "clientDataJSON", err);
    if (rc != WA_OK) {
        return rc;
    }

    rc = wa_client_data_fields(root, out, err);
    json_decref(root);

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
