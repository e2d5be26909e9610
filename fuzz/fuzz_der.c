/*
 * The strict DER reader of wa_der.c (wa_der_next, wa_der_expect,
 * wa_der_int_check, wa_der_uint32), which walks the attestation evidence
 * inside certificate extensions (android-key KeyDescription, apple nonce,
 * tpm), over arbitrary bytes: every TLV, descending into constructed ones.
 *
 * Invariants: a TLV read lies inside its parent and the reader moves to
 * just after it; the identifier and length octets are exactly the minimal
 * DER encoding of what was returned (one value, one encoding); reading the
 * same octets with wa_der_expect and the returned identifier gives the
 * same TLV; an INTEGER that wa_der_uint32 accepts is well formed for
 * wa_der_int_check and has the value of its octets.
 */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "wa_der.h"


#define FUZZ_DER_DEPTH  32


/* The minimal DER identifier and length octets; returns their count. */
static size_t
fuzz_der_header(const wa_der_tlv_t *t, uint8_t *out)
{
    size_t    n, k;
    uint32_t  tag;
    uint8_t   tmp[8];

    n = 0;
    tag = t->tag;

    if (tag < 0x1f) {
        out[n++] = (uint8_t) (t->cls | (t->constructed ? 0x20 : 0) | tag);

    } else {
        out[n++] = (uint8_t) (t->cls | (t->constructed ? 0x20 : 0) | 0x1f);
        k = 0;
        do {
            tmp[k++] = tag & 0x7f;
            tag >>= 7;
        } while (tag != 0);
        while (k > 0) {
            k--;
            out[n++] = (uint8_t) (tmp[k] | (k > 0 ? 0x80 : 0));
        }
    }

    if (t->len < 0x80) {
        out[n++] = (uint8_t) t->len;

    } else {
        k = 0;
        while (k < sizeof(size_t) && (t->len >> (8 * k)) != 0) {
            k++;
        }
        out[n++] = (uint8_t) (0x80 | k);
        while (k > 0) {
            k--;
            out[n++] = (uint8_t) (t->len >> (8 * k));
        }
    }

    return n;
}


static void
fuzz_der_walk(const uint8_t *p, size_t len, unsigned depth)
{
    size_t           hlen, i;
    uint32_t         v, w;
    wa_der_t         r, again;
    wa_der_tlv_t     t, u;
    const uint8_t   *start;
    uint8_t          hdr[16];

    wa_der_init(&r, p, len);

    while (!wa_der_done(&r)) {
        start = r.p;

        if (wa_der_next(&r, &t) != 0) {
            return;
        }

        FUZZ_CHECK(t.val > start && t.val <= p + len);
        FUZZ_CHECK(t.len <= (size_t) (p + len - t.val));
        FUZZ_CHECK(r.p == t.val + t.len);
        FUZZ_CHECK(t.cls == WA_DER_UNIVERSAL || t.cls == WA_DER_APPLICATION
                   || t.cls == WA_DER_CONTEXT || t.cls == WA_DER_PRIVATE);
        FUZZ_CHECK(t.tag <= WA_DER_MAX_TAG);

        hlen = fuzz_der_header(&t, hdr);
        FUZZ_CHECK(hlen == (size_t) (t.val - start));
        FUZZ_CHECK(memcmp(hdr, start, hlen) == 0);

        wa_der_init(&again, start, (size_t) (p + len - start));
        FUZZ_CHECK(wa_der_expect(&again, t.cls, t.constructed, t.tag, &u)
                   == 0);
        FUZZ_CHECK(u.val == t.val && u.len == t.len && again.p == r.p);

        if (t.cls == WA_DER_UNIVERSAL && !t.constructed
            && (t.tag == WA_DER_INTEGER || t.tag == WA_DER_ENUMERATED))
        {
            if (wa_der_uint32(&t, &v) == 0) {
                FUZZ_CHECK(wa_der_int_check(&t) == 0);
                FUZZ_CHECK(t.len >= 1 && t.len <= 5);
                w = 0;
                for (i = 0; i < t.len; i++) {
                    w = (w << 8) | t.val[i];
                }
                FUZZ_CHECK(v == w);
            }
        }

        if (t.constructed && depth < FUZZ_DER_DEPTH) {
            fuzz_der_walk(t.val, t.len, depth + 1);
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t  *p;

    p = fuzz_dup(data, size);
    fuzz_der_walk(p, size, 0);
    free(p);

    fuzz_end();

    return 0;
}
