/*
 * Unpadded base64url (wa_b64url_decode, wa_b64url_encode).
 *
 * Decoding: when the input decodes, it decodes to exactly 3/4 of its
 * length (rounded down) and encoding the result gives back the input,
 * byte for byte: one value, one encoding.  The output buffer is exactly
 * the size wa.h documents (len*3/4+3), so AddressSanitizer catches a
 * write beyond it.
 *
 * Encoding: the input as bytes encodes to (len*4+2)/3 symbols, NUL
 * terminated within the documented (len+2)/3*4+1 bytes, and decodes back
 * to the same bytes.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t    n, m;
    char     *in, *enc;
    wa_rc_t   rc;
    uint8_t  *out, *back;

    /* Decode, then re-encode. */
    in = (char *) fuzz_dup(data, size);
    out = malloc(size * 3 / 4 + 3);
    FUZZ_CHECK(out != NULL);

    n = (size_t) -1;
    rc = wa_b64url_decode(in, size, out, &n);
    FUZZ_CHECK(rc == WA_OK || rc == WA_ERR_MALFORMED);

    if (rc == WA_OK) {
        FUZZ_CHECK(size % 4 != 1);
        FUZZ_CHECK(n == size * 6 / 8);

        enc = malloc((n + 2) / 3 * 4 + 1);
        FUZZ_CHECK(enc != NULL);
        m = wa_b64url_encode(out, n, enc);
        FUZZ_CHECK(m == size && enc[m] == '\0');
        FUZZ_CHECK(memcmp(enc, in, size) == 0);
        free(enc);
    }

    free(out);
    free(in);

    /* Encode the raw bytes, then decode. */
    enc = malloc((size + 2) / 3 * 4 + 1);
    FUZZ_CHECK(enc != NULL);
    m = wa_b64url_encode(data, size, enc);
    FUZZ_CHECK(m == (size * 4 + 2) / 3 && enc[m] == '\0'
               && strlen(enc) == m);

    back = malloc(m * 3 / 4 + 3);
    FUZZ_CHECK(back != NULL);
    FUZZ_CHECK(wa_b64url_decode(enc, m, back, &n) == WA_OK);
    FUZZ_CHECK(n == size && (size == 0 || memcmp(back, data, size) == 0));

    free(back);
    free(enc);
    fuzz_end();

    return 0;
}
