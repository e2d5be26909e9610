/*
 * authenticatorData (WebAuthn L3 6.1): the layout, checked to the byte.
 *
 *   rpIdHash (32) | flags (1) | signCount (4, big endian)
 *   [ aaguid (16) | credentialIdLength (2) | credentialId | COSE_Key ]  AT
 *   [ extensions: a CBOR map ]                                          ED
 *
 * The COSE key has no length prefix: only decoding it tells where it ends,
 * so the strict CBOR scan delimits it.
 */

#include <string.h>

#include "wa_internal.h"


#define WA_AUTH_DATA_MIN  37


wa_rc_t
wa_auth_data_parse(const uint8_t *p, size_t len, wa_auth_data_t *out,
    wa_err_t *err)
{
    size_t   pos, n;
    wa_rc_t  rc;

    memset(out, 0, sizeof(*out));

    if (len > WA_MAX_AUTH_DATA) {
        return wa_fail(err, WA_ERR_TOO_LARGE, "authenticatorData.size");
    }

    if (len < WA_AUTH_DATA_MIN) {
        return wa_fail(err, WA_ERR_MALFORMED, "authenticatorData.truncated");
    }

    out->rp_id_hash = p;
    out->flags = p[32];
    out->sign_count = ((uint32_t) p[33] << 24) | ((uint32_t) p[34] << 16)
                      | ((uint32_t) p[35] << 8) | p[36];
    pos = WA_AUTH_DATA_MIN;

    /* 6.1: BS may only be set when the credential is backup eligible. */
    if ((out->flags & WA_FLAG_BS) && !(out->flags & WA_FLAG_BE)) {
        return wa_fail(err, WA_ERR_BACKUP_STATE, "authenticatorData.flags.BS");
    }

    /* Bits 1 and 5 are reserved for future use and are ignored, as
     * 7.1 and 7.2 do: refusing them would lock out the first customers
     * whose authenticator uses them. */

    if (out->flags & WA_FLAG_AT) {
        if (len - pos < 18) {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "authenticatorData.attestedCredentialData");
        }

        out->aaguid = p + pos;
        n = ((size_t) p[pos + 16] << 8) | p[pos + 17];
        pos += 18;

        if (n > WA_MAX_CREDENTIAL_ID) {
            return wa_fail(err, WA_ERR_TOO_LARGE,
                           "authenticatorData.credentialId");
        }

        if (n == 0 || len - pos < n) {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "authenticatorData.credentialId");
        }

        out->cred_id = p + pos;
        out->cred_id_len = n;
        pos += n;

        rc = wa_cbor_scan(p + pos, len - pos, WA_CBOR_CANONICAL, &n, err);
        if (rc != WA_OK) {
            return rc;
        }

        out->cose_key = p + pos;
        out->cose_key_len = n;
        pos += n;
    }

    if (out->flags & WA_FLAG_ED) {
        if (pos == len) {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "authenticatorData.extensions");
        }

        rc = wa_cbor_scan(p + pos, len - pos, WA_CBOR_CANONICAL, &n, err);
        if (rc != WA_OK) {
            return rc;
        }

        if ((p[pos] >> 5) != 5) {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "authenticatorData.extensions");
        }

        out->extensions = p + pos;
        out->extensions_len = n;
        pos += n;
    }

    if (pos != len) {
        return wa_fail(err, WA_ERR_MALFORMED,
                       "authenticatorData.trailing_bytes");
    }

    return WA_OK;
}
