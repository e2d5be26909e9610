/*
 * The whole registration path (wa_verify_registration) with both client
 * inputs fuzzed:
 *
 *   length of clientDataJSON (2 bytes, big endian) | clientDataJSON
 *   | attestationObject (the rest)
 *
 * A length beyond the input takes all of it as clientDataJSON.  The
 * challenge is the one the clientDataJSON carries when it parses (so
 * that every spec vector's registration, with its own clientDataJSON,
 * verifies), else the packed-es256 vector's.  See fuzz_reg_common.h for
 * the invariants.
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
    size_t             n;
    wa_client_data_t   cd;
    const uint8_t     *challenge;
    size_t             challenge_len;

    if (size < 2) {
        return 0;
    }

    n = ((size_t) data[0] << 8) | data[1];
    data += 2;
    size -= 2;

    if (n > size) {
        n = size;
    }

    challenge = fuzz_case->reg_challenge;
    challenge_len = fuzz_case->reg_challenge_len;
    memset(&cd, 0, sizeof(cd));

    if (wa_client_data_parse(data, n, &cd, NULL) == WA_OK
        && cd.challenge.len > 0)
    {
        challenge = cd.challenge.data;
        challenge_len = cd.challenge.len;
    }

    fuzz_registration(data, n, data + n, size - n, challenge, challenge_len,
                      fuzz_case);

    wa_client_data_free(&cd);
    fuzz_end();

    return 0;
}
