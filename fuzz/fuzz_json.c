/*
 * The core's strict JSON reader (wa_jparse and its helpers, wa_jsmall.c),
 * which reads the response JSON and clientDataJSON, checked against its
 * own token contract and, differentially, against jansson.
 *
 * Token contract on success: the root's tokens cover the whole array;
 * every token has a known type and lies inside the input; a string token
 * sits between quotes; an object is key, value, key, value... with keys
 * that are strings and pairwise different after unescaping; an array's
 * elements chain through next; sizes match; every key found again with
 * wa_jobj_get gives its own value; unescaped strings are valid UTF-8
 * without NUL and never longer than their escaped form.
 *
 * Against jansson (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, the rules
 * the core's JSON was given before wa_jsmall.c):
 *   - what wa_jparse accepts, jansson accepts, except numbers jansson
 *     cannot hold (it refuses integers beyond 64 bits and reals beyond
 *     double range; JSON itself does not);
 *   - what jansson accepts within wa_jparse's limits (tokens, depth,
 *     members, key length), wa_jparse accepts: a valid response refused
 *     would lock a customer out (inputs with a NUL octet aside: jansson
 *     takes it for the end of the input).
 */

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_common.h"


/* Keys of at most this many unescaped bytes are within WA_J_MAX_KEY
 * however they were escaped (a \u escape: 6 bytes for 1; a surrogate
 * pair: 12 for 4). */
#define FUZZ_J_SAFE_KEY  (WA_J_MAX_KEY / 6)


typedef struct {
    size_t   tokens;
    size_t   depth;
    size_t   members;
    int      long_key;
} fuzz_jstat_t;


/* The shape of a jansson tree, in wa_jparse's terms. */
static void
fuzz_jansson_stat(json_t *v, size_t depth, fuzz_jstat_t *s)
{
    size_t       i, n;
    json_t      *e;
    const char  *k;

    s->tokens++;
    if (depth > s->depth) {
        s->depth = depth;
    }

    if (json_is_object(v)) {
        n = json_object_size(v);
        if (n > s->members) {
            s->members = n;
        }
        json_object_foreach(v, k, e) {
            s->tokens++;
            if (strlen(k) > FUZZ_J_SAFE_KEY) {
                s->long_key = 1;
            }
            fuzz_jansson_stat(e, depth + 1, s);
        }

    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            fuzz_jansson_stat(e, depth + 1, s);
        }
    }
}


/* Checks the value at tok[i] and everything inside; returns next. */
static size_t
fuzz_jcheck(const uint8_t *p, size_t len, const wa_jtok_t *tok, size_t n,
    size_t i)
{
    size_t            c, k, m, dlen;
    uint8_t          *d;
    char             *name;
    const wa_jtok_t  *t;

    FUZZ_CHECK(i < n);
    t = &tok[i];

    FUZZ_CHECK(t->type >= WA_J_OBJECT && t->type <= WA_J_NULL);
    FUZZ_CHECK(t->start <= t->end && t->end <= len);
    FUZZ_CHECK(t->next > i && t->next <= n);

    switch (t->type) {

    case WA_J_STRING:
        FUZZ_CHECK(t->start >= 1 && p[t->start - 1] == '"');
        FUZZ_CHECK(t->end < len && p[t->end] == '"');
        FUZZ_CHECK(t->next == i + 1);

        d = malloc(t->end - t->start + 1);
        FUZZ_CHECK(d != NULL);
        dlen = wa_jstr_decode(p, t, d);
        FUZZ_CHECK(dlen <= t->end - t->start);
        FUZZ_CHECK(t->escaped || dlen == t->end - t->start);
        FUZZ_CHECK(wa_utf8_valid(d, dlen));
        FUZZ_CHECK(memchr(d, '\0', dlen) == NULL);
        free(d);
        return t->next;

    case WA_J_OBJECT:
        FUZZ_CHECK(p[t->start] == '{' && t->end >= 1
                   && p[t->end - 1] == '}');
        FUZZ_CHECK(t->size <= WA_J_MAX_MEMBERS);

        c = i + 1;
        for (k = 0; k < t->size; k++) {
            FUZZ_CHECK(c < n && tok[c].type == WA_J_STRING);
            FUZZ_CHECK(tok[c].end - tok[c].start <= WA_J_MAX_KEY);
            FUZZ_CHECK(tok[c].next == c + 1);
            (void) fuzz_jcheck(p, len, tok, n, c);

            /* No two keys alike; each finds itself. */
            for (m = i + 1; m < c; m = tok[m + 1].next) {
                FUZZ_CHECK(!wa_jkey_same(p, &tok[m], &tok[c]));
            }
            FUZZ_CHECK(wa_jkey_same(p, &tok[c], &tok[c]));

            name = malloc(tok[c].end - tok[c].start + 1);
            FUZZ_CHECK(name != NULL);
            dlen = wa_jstr_decode(p, &tok[c], (uint8_t *) name);
            name[dlen] = '\0';
            FUZZ_CHECK(wa_jobj_get(p, tok, i, name) == (int) (c + 1));
            free(name);

            c = fuzz_jcheck(p, len, tok, n, c + 1);
        }
        FUZZ_CHECK(c == t->next);
        FUZZ_CHECK(wa_jobj_get(p, tok, i, "\x01 not a key") == -1);
        return t->next;

    case WA_J_ARRAY:
        FUZZ_CHECK(p[t->start] == '[' && t->end >= 1
                   && p[t->end - 1] == ']');

        c = i + 1;
        for (k = 0; k < t->size; k++) {
            c = fuzz_jcheck(p, len, tok, n, c);
        }
        FUZZ_CHECK(c == t->next);
        FUZZ_CHECK(wa_jobj_get(p, tok, i, "x") == -1);
        return t->next;

    case WA_J_NUMBER:
        FUZZ_CHECK(t->end > t->start);
        FUZZ_CHECK(p[t->start] == '-'
                   || (p[t->start] >= '0' && p[t->start] <= '9'));
        FUZZ_CHECK(t->next == i + 1);
        return t->next;

    default:
        FUZZ_CHECK(t->next == i + 1);
        FUZZ_CHECK(t->end - t->start == (t->type == WA_J_FALSE ? 5u : 4u));
        return t->next;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            ok;
    size_t         n;
    json_t        *j;
    uint8_t       *p;
    wa_jtok_t     *tok;
    json_error_t   jerr;
    fuzz_jstat_t   st;

    if (size > WA_MAX_RESPONSE_JSON) {
        return 0;
    }

    p = fuzz_dup(data, size);
    tok = malloc(WA_J_MAX_TOKENS * sizeof(wa_jtok_t));
    FUZZ_CHECK(tok != NULL);

    n = 0;
    ok = wa_jparse(p, size, tok, &n) == 0;

    if (ok) {
        FUZZ_CHECK(n >= 1 && n <= WA_J_MAX_TOKENS);
        FUZZ_CHECK(tok[0].next == n);
        FUZZ_CHECK(fuzz_jcheck(p, size, tok, n, 0) == n);
    }

    j = json_loadb((const char *) p, size,
                   JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);

    if (ok && j == NULL) {
        FUZZ_CHECK(strstr(jerr.text, "too big") != NULL
                   || strstr(jerr.text, "overflow") != NULL);
    }

    /* jansson stops reading at a NUL octet, as if the input ended there
     * ("2\0garbage" loads as 2); JSON has no such rule and wa_jparse
     * refuses the NUL: only inputs without one are compared this way. */
    if (!ok && j != NULL && memchr(p, '\0', size) == NULL) {
        memset(&st, 0, sizeof(st));
        fuzz_jansson_stat(j, 0, &st);

        FUZZ_CHECK(st.tokens > WA_J_MAX_TOKENS || st.depth > WA_J_MAX_DEPTH
                   || st.members > WA_J_MAX_MEMBERS || st.long_key);
    }

    json_decref(j);
    free(tok);
    free(p);
    fuzz_end();

    return 0;
}
