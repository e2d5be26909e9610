/*
 * The "android-key" attestation statement format (see fuzz_att.h), with the
 * fixed input of the android-key-es256 spec vector.
 */

#define FUZZ_ATT_FMT   "android-key"
#define FUZZ_ATT_CASE  "android-key-es256"

#include "fuzz_att.h"
