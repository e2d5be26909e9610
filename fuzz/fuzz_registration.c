/*
 * The whole registration path (wa_verify_registration): the input is the
 * attestationObject; clientDataJSON and challenge are fixed, those of the
 * packed-es256 spec vector, so that vector's object verifies in full
 * (x5c chain to the vectors' CA) and every other object reaches its
 * format's verifier.  See fuzz_reg_common.h for the invariants.
 */

#include "fuzz_reg_common.h"


static const fv_case_t  *fuzz_case;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    fuzz_case = fv_case("packed-es256");
    (void) fuzz_policy();

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_registration(fuzz_case->reg_cdj, fuzz_case->reg_cdj_len, data, size,
                      fuzz_case->reg_challenge, fuzz_case->reg_challenge_len,
                      fuzz_case);
    fuzz_end();

    return 0;
}
