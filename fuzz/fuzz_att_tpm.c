/*
 * The "tpm" attestation statement format (see fuzz_att.h), with the
 * fixed input of the tpm-es256 spec vector.
 */

#define FUZZ_ATT_FMT   "tpm"
#define FUZZ_ATT_CASE  "tpm-es256"

#include "fuzz_att.h"
