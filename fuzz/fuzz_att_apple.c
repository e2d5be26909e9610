/*
 * The "apple" attestation statement format (see fuzz_att.h), with the
 * fixed input of the apple-es256 spec vector.
 */

#define FUZZ_ATT_FMT   "apple"
#define FUZZ_ATT_CASE  "apple-es256"

#include "fuzz_att.h"
