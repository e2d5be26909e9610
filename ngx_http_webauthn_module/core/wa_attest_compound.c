/*
 * The "compound" attestation statement format (WebAuthn L3 8.9):
 *
 *   attStmt: [2* nonCompoundAttStmt]
 *   nonCompoundAttStmt = { fmt: text .ne "compound", attStmt: ... }
 *
 * The spec leaves to RP policy how many sub-statements must verify.  This
 * core's policy is the strict one: every sub-statement must verify, the
 * result is trusted only when every sub-statement's chain reached an
 * anchor, and its type is the strongest of the sub-statements' types.
 */

#include "wa_internal.h"


/* More sub-statements than any authenticator has reason to send. */
#define WA_COMPOUND_MAX  8


/*
 * Strength order used to report one type for the whole statement:
 * attestation CA (a per-device key certified by a CA), then basic, then
 * anonymization CA, then self, then none.
 */
static int
wa_att_rank(wa_att_type_t t)
{
    switch (t) {
    case WA_ATT_ATTCA:
        return 4;
    case WA_ATT_BASIC:
        return 3;
    case WA_ATT_ANONCA:
        return 2;
    case WA_ATT_SELF:
        return 1;
    default:
        return 0;
    }
}


/* 8.9 verification step 1, for every subStmt, and the policy above. */
wa_rc_t
wa_att_compound(const wa_att_input_t *in, wa_att_output_t *out,
    wa_err_t *err)
{
    const cbor_item_t   *st = in->att_stmt;
    cbor_item_t        **items, *fmt, *sub_stmt;
    wa_att_verify_pt     verify;
    wa_att_input_t       sub;
    wa_att_output_t      sub_out, acc;
    size_t               n, i;
    wa_rc_t              rc;

    if (st == NULL || !cbor_isa_array(st) || !cbor_array_is_definite(st)) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound");
    }

    n = cbor_array_size(st);
    if (n < 2 || n > WA_COMPOUND_MAX) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound");
    }

    items = cbor_array_handle(st);
    if (items == NULL) {
        return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound");
    }

    acc.type = WA_ATT_NONE;
    acc.trusted = 1;

    for (i = 0; i < n; i++) {
        if (items[i] == NULL || !cbor_isa_map(items[i])
            || !cbor_map_is_definite(items[i])
            || cbor_map_size(items[i]) != 2)
        {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound");
        }

        fmt = wa_cbor_map_get_str(items[i], "fmt");
        sub_stmt = wa_cbor_map_get_str(items[i], "attStmt");

        if (fmt == NULL || !cbor_isa_string(fmt)
            || !cbor_string_is_definite(fmt))
        {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound.fmt");
        }

        /* nonCompoundAttStmt: no nesting, whatever the table says */
        if (wa_cbor_text_is(fmt, "compound")) {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound.fmt");
        }

        if (sub_stmt == NULL || !cbor_isa_map(sub_stmt)) {
            return wa_fail(err, WA_ERR_MALFORMED,
                           "attStmt.compound.attStmt");
        }

        verify = wa_att_find((const char *) cbor_string_handle(fmt),
                             cbor_string_length(fmt));
        if (verify == NULL) {
            return wa_fail(err, WA_ERR_ATTESTATION_FORMAT,
                           "attStmt.compound.fmt");
        }

        if (verify == wa_att_compound) {
            return wa_fail(err, WA_ERR_MALFORMED, "attStmt.compound.fmt");
        }

        sub = *in;
        sub.att_stmt = sub_stmt;
        sub_out.type = WA_ATT_NONE;
        sub_out.trusted = 0;

        rc = verify(&sub, &sub_out, err);
        if (rc != WA_OK) {
            return rc;
        }

        if (wa_att_rank(sub_out.type) > wa_att_rank(acc.type)) {
            acc.type = sub_out.type;
        }

        if (!sub_out.trusted) {
            acc.trusted = 0;
        }
    }

    out->type = acc.type;
    out->trusted = acc.trusted;

    return WA_OK;
}
