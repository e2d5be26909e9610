/*
 * Unpadded base64url (RFC 4648 section 5), the encoding of every binary
 * member of the WebAuthn JSON forms.  Decoding is strict so that one value
 * has exactly one encoding: no padding, no whitespace, no other alphabet,
 * and the unused low bits of the last symbol must be zero.
 */

#include "wa_internal.h"


static const char  wa_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* 0..63, or 0xff for a byte outside the alphabet. */
static uint8_t
wa_b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }

    return 0xff;
}


wa_rc_t
wa_b64url_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    size_t    i, o;
    uint32_t  acc;
    unsigned  bits;
    uint8_t   v;

    /* A lone symbol carries 6 bits: never a whole byte. */
    if (len % 4 == 1) {
        return WA_ERR_MALFORMED;
    }

    acc = 0;
    bits = 0;
    o = 0;

    for (i = 0; i < len; i++) {
        v = wa_b64url_value((unsigned char) in[i]);
        if (v == 0xff) {
            return WA_ERR_MALFORMED;
        }

        acc = (acc << 6) | v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t) (acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }

    /* Leftover bits must be zero, or two strings would decode alike. */
    if (acc != 0) {
        return WA_ERR_MALFORMED;
    }

    *out_len = o;

    return WA_OK;
}


size_t
wa_b64url_encode(const uint8_t *in, size_t len, char *out)
{
    size_t    i, o;
    uint32_t  v;

    o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8) | in[i + 2];
        out[o++] = wa_b64url_alphabet[(v >> 18) & 63];
        out[o++] = wa_b64url_alphabet[(v >> 12) & 63];
        out[o++] = wa_b64url_alphabet[(v >> 6) & 63];
        out[o++] = wa_b64url_alphabet[v & 63];
    }

    if (len - i == 1) {
        v = (uint32_t) in[i] << 16;
        out[o++] = wa_b64url_alphabet[(v >> 18) & 63];
        out[o++] = wa_b64url_alphabet[(v >> 12) & 63];

    } else if (len - i == 2) {
        v = ((uint32_t) in[i] << 16) | ((uint32_t) in[i + 1] << 8);
        out[o++] = wa_b64url_alphabet[(v >> 18) & 63];
        out[o++] = wa_b64url_alphabet[(v >> 12) & 63];
        out[o++] = wa_b64url_alphabet[(v >> 6) & 63];
    }

    out[o] = '\0';

    return o;
}
