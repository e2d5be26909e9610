/*
 * The "packed" attestation statement format (see fuzz_att.h), with the
 * fixed input of the packed-es256 spec vector.
 */

#define FUZZ_ATT_FMT   "packed"
#define FUZZ_ATT_CASE  "packed-es256"

#include "fuzz_att.h"
