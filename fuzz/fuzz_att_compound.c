/*
 * The "compound" attestation statement format (see fuzz_att.h), with the
 * fixed input of the packed-es256 spec vector.
 *
 * The spec vectors have no compound case: the fixed input is the
 * packed-es256 registration, and the seeds are lists of the vectors'
 * statements (make-seeds.py), of which the packed-es256 one verifies.
 */

#define FUZZ_ATT_FMT   "compound"
#define FUZZ_ATT_CASE  "packed-es256"

#include "fuzz_att.h"
