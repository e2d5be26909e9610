/*
 * The "none" attestation statement format (see fuzz_att.h), with the
 * fixed input of the none-es256 spec vector.
 */

#define FUZZ_ATT_FMT   "none"
#define FUZZ_ATT_CASE  "none-es256"

#include "fuzz_att.h"
