/*
 * The body of the attestation statement format targets.  Each
 * fuzz_att_<fmt>.c defines FUZZ_ATT_FMT (the fmt string) and FUZZ_ATT_CASE
 * (the spec vector whose registration supplies the fixed input), then
 * includes this file.
 *
 * Input: the attStmt, as CBOR bytes.  It is decoded as the registration
 * path decodes it (wa_cbor_decode, plain key order, no trailing bytes;
 * a map or an array, as wa_att_object_parse requires), then handed to the
 * format's verifier, found with wa_att_find() as the registration path
 * finds it, with the vector's authenticatorData, clientDataHash and
 * credential key, the fuzz policy (the vectors' CA as trust anchor) and a
 * fixed time.
 *
 * Invariants: the error contract, and an output type the verifier may
 * give, never trusted without a chain.
 */

#ifndef FUZZ_ATT_H
#define FUZZ_ATT_H

#include <string.h>

#include "fuzz_common.h"


static fuzz_att_fixed_t   fuzz_fixed;
static wa_att_verify_pt   fuzz_verify;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    fuzz_att_fixed(&fuzz_fixed, FUZZ_ATT_CASE);

    fuzz_verify = wa_att_find(FUZZ_ATT_FMT, strlen(FUZZ_ATT_FMT));
    FUZZ_CHECK(fuzz_verify != NULL);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wa_rc_t           rc;
    wa_err_t          err = FUZZ_ERR_INIT;
    cbor_item_t      *stmt;
    wa_att_input_t    in;
    wa_att_output_t   out;

    if (wa_cbor_decode(data, size, 0, &stmt, NULL, NULL) != WA_OK) {
        fuzz_end();
        return 0;
    }

    if (cbor_isa_map(stmt) || cbor_isa_array(stmt)) {
        in = fuzz_fixed.in;
        in.att_stmt = stmt;
        out.type = WA_ATT_NONE;
        out.trusted = 0;

        rc = fuzz_verify(&in, &out, &err);
        fuzz_check_err(rc, &err);

        if (rc == WA_OK) {
            fuzz_check_att_output(&out);
        }
    }

    cbor_decref(&stmt);
    fuzz_end();

    return 0;
}

#endif /* FUZZ_ATT_H */
