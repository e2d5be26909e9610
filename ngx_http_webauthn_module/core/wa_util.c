/*
 * Reason codes, error recording, and the small constant-time helpers.
 */

#include <string.h>

#include "wa_internal.h"


/* Indexed by wa_rc_t; the strings are a public contract. */
static const char *const  wa_rc_codes[WA_RC_COUNT] = {
    [WA_OK]                        = "ok",
    [WA_ERR_MALFORMED]             = "malformed_request",
    [WA_ERR_TOO_LARGE]             = "payload_too_large",
    [WA_ERR_TYPE_MISMATCH]         = "type_mismatch",
    [WA_ERR_CHALLENGE_MISMATCH]    = "challenge_mismatch",
    [WA_ERR_ORIGIN_MISMATCH]       = "origin_mismatch",
    [WA_ERR_CROSS_ORIGIN]          = "cross_origin_refused",
    [WA_ERR_TOP_ORIGIN_MISMATCH]   = "top_origin_mismatch",
    [WA_ERR_RP_ID_MISMATCH]        = "rp_id_mismatch",
    [WA_ERR_UP_MISSING]            = "user_presence_missing",
    [WA_ERR_UV_REQUIRED]           = "user_verification_required",
    [WA_ERR_BACKUP_STATE]          = "backup_state_invalid",
    [WA_ERR_BACKUP_ELIGIBILITY]    = "backup_eligibility_changed",
    [WA_ERR_SIGNATURE_INVALID]     = "signature_invalid",
    [WA_ERR_COUNTER_REGRESSION]    = "counter_regression",
    [WA_ERR_CREDENTIAL_MISMATCH]   = "credential_id_mismatch",
    [WA_ERR_CREDENTIAL_UNKNOWN]    = "credential_unknown",
    [WA_ERR_USER_MISMATCH]         = "user_mismatch",
    [WA_ERR_ALGORITHM_UNSUPPORTED] = "algorithm_unsupported",
    [WA_ERR_KEY_INVALID]           = "key_invalid",
    [WA_ERR_ATTESTATION_INVALID]   = "attestation_invalid",
    [WA_ERR_ATTESTATION_UNTRUSTED] = "attestation_untrusted",
    [WA_ERR_ATTESTATION_FORMAT]    = "attestation_format_unsupported",
    [WA_ERR_INTERNAL]              = "internal_error",
};


const char *
wa_rc_code(wa_rc_t rc)
{
    if ((unsigned) rc >= WA_RC_COUNT || wa_rc_codes[rc] == NULL) {
        return "internal_error";
    }

    return wa_rc_codes[rc];
}


wa_rc_t
wa_set_err(wa_err_t *err, wa_rc_t code, const char *detail)
{
    if (err != NULL) {
        err->rc = code;
        err->detail = detail;
    }

    return code;
}


/* Compares every byte whatever the contents, so the time taken tells only
 * the lengths, which are public (challenge and handle sizes are fixed). */
int
wa_ct_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t             i;
    volatile uint8_t   diff;

    if (alen != blen) {
        return 0;
    }

    diff = 0;

    for (i = 0; i < alen; i++) {
        diff |= a[i] ^ b[i];
    }

    return diff == 0;
}


/* A volatile function pointer keeps the compiler from proving the store
 * dead and removing it. */
static void *(*const volatile  wa_memset_fn)(void *, int, size_t) = memset;

void
wa_memzero(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        wa_memset_fn(p, 0, len);
    }
}


const char *
wa_att_type_name(wa_att_type_t t)
{
    switch (t) {
    case WA_ATT_NONE:   return "none";
    case WA_ATT_SELF:   return "self";
    case WA_ATT_BASIC:  return "basic";
    case WA_ATT_ATTCA:  return "attca";
    case WA_ATT_ANONCA: return "anonca";
    }

    return "none";
}
