/*
 * The "fido-u2f" attestation statement format (see fuzz_att.h), with the
 * fixed input of the fido-u2f-es256 spec vector.
 */

#define FUZZ_ATT_FMT   "fido-u2f"
#define FUZZ_ATT_CASE  "fido-u2f-es256"

#include "fuzz_att.h"
