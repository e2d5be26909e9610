/*
 * A strict, bounded JSON reader for the two JSON forms on the assertion
 * path (the response and clientDataJSON).
 *
 * jansson lexes through a per-byte callback, which cost more than every
 * other check of an assertion together.  This reader makes one pass into a
 * fixed token array, copies nothing, and accepts exactly RFC 8259 JSON with
 * the rules jansson was given: valid UTF-8, no NUL (raw or \u0000), no lone
 * surrogates, no duplicate keys (compared after unescaping, so "\u0074ype"
 * and "type" are the same key), one value and nothing after it.  It is
 * stricter on size: at most WA_J_MAX_TOKENS tokens, WA_J_MAX_DEPTH levels,
 * WA_J_MAX_MEMBERS members per object and keys of WA_J_MAX_KEY bytes.
 */

#include <string.h>

#include "wa_internal.h"


typedef struct {
    const uint8_t  *p;
    size_t          len;
    size_t          pos;
    wa_jtok_t      *tok;
    size_t          ntok;
} wa_jparse_t;


static int wa_j_value(wa_jparse_t *j, unsigned depth);


static void
wa_j_ws(wa_jparse_t *j)
{
    while (j->pos < j->len
           && (j->p[j->pos] == ' ' || j->p[j->pos] == '\t'
               || j->p[j->pos] == '\n' || j->p[j->pos] == '\r'))
    {
        j->pos++;
    }
}


static int
wa_j_hex4(const uint8_t *p, uint32_t *v)
{
    int       i;
    uint32_t  c;

    *v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';
        } else if (c >= 'a' && c <= 'f') {
            c -= 'a' - 10;
        } else if (c >= 'A' && c <= 'F') {
            c -= 'A' - 10;
        } else {
            return -1;
        }

        *v = (*v << 4) | c;
    }

    return 0;
}


/*
 * One escape after the backslash at p[*i]: *cp receives the code point.
 * A high surrogate must be followed by an escaped low one.
 */
static int
wa_j_escape(const uint8_t *p, size_t end, size_t *i, uint32_t *cp)
{
    uint32_t  lo;

    if (*i + 1 >= end) {
        return -1;
    }

    switch (p[*i + 1]) {
    case '"':  *cp = '"';  *i += 2; return 0;
    case '\\': *cp = '\\'; *i += 2; return 0;
    case '/':  *cp = '/';  *i += 2; return 0;
    case 'b':  *cp = '\b'; *i += 2; return 0;
    case 'f':  *cp = '\f'; *i += 2; return 0;
    case 'n':  *cp = '\n'; *i += 2; return 0;
    case 'r':  *cp = '\r'; *i += 2; return 0;
    case 't':  *cp = '\t'; *i += 2; return 0;
    case 'u':  break;
    default:   return -1;
    }

    if (end - *i < 6 || wa_j_hex4(p + *i + 2, cp) != 0) {
        return -1;
    }

    *i += 6;

    if (*cp >= 0xdc00 && *cp <= 0xdfff) {
        return -1;                          /* lone low surrogate */
    }

    if (*cp >= 0xd800 && *cp <= 0xdbff) {
        if (end - *i < 6 || p[*i] != '\\' || p[*i + 1] != 'u'
            || wa_j_hex4(p + *i + 2, &lo) != 0
            || lo < 0xdc00 || lo > 0xdfff)
        {
            return -1;
        }

        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
        *i += 6;
    }

    return *cp == 0 ? -1 : 0;               /* no NUL characters */
}


static int
wa_j_string(wa_jparse_t *j, wa_jtok_t *t)
{
    size_t    i, start;
    uint32_t  cp;

    start = ++j->pos;                       /* past the quote */
    t->escaped = 0;

    for (i = start; i < j->len; ) {
        if (j->p[i] == '"') {
            break;
        }

        if (j->p[i] < 0x20) {
            return -1;                      /* control characters */
        }

        if (j->p[i] == '\\') {
            if (wa_j_escape(j->p, j->len, &i, &cp) != 0) {
                return -1;
            }
            t->escaped = 1;
            continue;
        }

        i++;
    }

    if (i >= j->len) {
        return -1;
    }

    /* Raw bytes must be UTF-8; escapes were checked above and are ASCII. */
    if (!wa_utf8_valid(j->p + start, i - start)) {
        return -1;
    }

    t->type = WA_J_STRING;
    t->start = (uint32_t) start;
    t->end = (uint32_t) i;
    j->pos = i + 1;

    return 0;
}


static int
wa_j_digits(wa_jparse_t *j)
{
    size_t  start = j->pos;

    while (j->pos < j->len && j->p[j->pos] >= '0' && j->p[j->pos] <= '9') {
        j->pos++;
    }

    return j->pos > start ? 0 : -1;
}


/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
wa_j_number(wa_jparse_t *j, wa_jtok_t *t)
{
    t->start = (uint32_t) j->pos;

    if (j->p[j->pos] == '-') {
        j->pos++;
    }

    if (j->pos < j->len && j->p[j->pos] == '0') {
        j->pos++;

    } else if (wa_j_digits(j) != 0) {
        return -1;
    }

    if (j->pos < j->len && j->p[j->pos] == '.') {
        j->pos++;
        if (wa_j_digits(j) != 0) {
            return -1;
        }
    }

    if (j->pos < j->len && (j->p[j->pos] == 'e' || j->p[j->pos] == 'E')) {
        j->pos++;
        if (j->pos < j->len && (j->p[j->pos] == '+' || j->p[j->pos] == '-'))
        {
            j->pos++;
        }
        if (wa_j_digits(j) != 0) {
            return -1;
        }
    }

    t->type = WA_J_NUMBER;
    t->end = (uint32_t) j->pos;

    return 0;
}


static int
wa_j_literal(wa_jparse_t *j, wa_jtok_t *t, const char *word, int type)
{
    size_t  n = strlen(word);

    if (j->len - j->pos < n || memcmp(j->p + j->pos, word, n) != 0) {
        return -1;
    }

    t->type = (uint8_t) type;
    t->start = (uint32_t) j->pos;
    j->pos += n;
    t->end = (uint32_t) j->pos;

    return 0;
}


static wa_jtok_t *
wa_j_new(wa_jparse_t *j)
{
    wa_jtok_t  *t;

    if (j->ntok >= WA_J_MAX_TOKENS) {
        return NULL;
    }

    t = &j->tok[j->ntok++];
    memset(t, 0, sizeof(*t));

    return t;
}


static int
wa_j_object(wa_jparse_t *j, size_t self, unsigned depth)
{
    size_t      k, keys[WA_J_MAX_MEMBERS];
    wa_jtok_t  *key;

    j->pos++;                               /* past '{' */
    wa_j_ws(j);

    if (j->pos < j->len && j->p[j->pos] == '}') {
        j->pos++;
        return 0;
    }

    for ( ;; ) {
        wa_j_ws(j);

        if (j->pos >= j->len || j->p[j->pos] != '"'
            || j->tok[self].size >= WA_J_MAX_MEMBERS)
        {
            return -1;
        }

        keys[j->tok[self].size] = j->ntok;

        key = wa_j_new(j);
        if (key == NULL || wa_j_string(j, key) != 0
            || key->end - key->start > WA_J_MAX_KEY)
        {
            return -1;
        }

        for (k = 0; k < j->tok[self].size; k++) {
            if (wa_jkey_same(j->p, &j->tok[keys[k]], key)) {
                return -1;                  /* duplicate key */
            }
        }

        key->next = (uint32_t) j->ntok;
        j->tok[self].size++;

        wa_j_ws(j);
        if (j->pos >= j->len || j->p[j->pos] != ':') {
            return -1;
        }
        j->pos++;

        if (wa_j_value(j, depth + 1) != 0) {
            return -1;
        }

        wa_j_ws(j);
        if (j->pos >= j->len) {
            return -1;
        }

        if (j->p[j->pos] == '}') {
            j->pos++;
            return 0;
        }

        if (j->p[j->pos++] != ',') {
            return -1;
        }
    }
}


static int
wa_j_array(wa_jparse_t *j, size_t self, unsigned depth)
{
    j->pos++;                               /* past '[' */
    wa_j_ws(j);

    if (j->pos < j->len && j->p[j->pos] == ']') {
        j->pos++;
        return 0;
    }

    for ( ;; ) {
        if (wa_j_value(j, depth + 1) != 0) {
            return -1;
        }

        j->tok[self].size++;

        wa_j_ws(j);
        if (j->pos >= j->len) {
            return -1;
        }

        if (j->p[j->pos] == ']') {
            j->pos++;
            return 0;
        }

        if (j->p[j->pos++] != ',') {
            return -1;
        }
    }
}


static int
wa_j_value(wa_jparse_t *j, unsigned depth)
{
    int         rc;
    size_t      self;
    wa_jtok_t  *t;

    if (depth > WA_J_MAX_DEPTH) {
        return -1;
    }

    wa_j_ws(j);

    if (j->pos >= j->len) {
        return -1;
    }

    self = j->ntok;
    t = wa_j_new(j);
    if (t == NULL) {
        return -1;
    }

    switch (j->p[j->pos]) {
    case '{':
        t->type = WA_J_OBJECT;
        t->start = (uint32_t) j->pos;
        rc = wa_j_object(j, self, depth);
        break;
    case '[':
        t->type = WA_J_ARRAY;
        t->start = (uint32_t) j->pos;
        rc = wa_j_array(j, self, depth);
        break;
    case '"':
        rc = wa_j_string(j, t);
        break;
    case 't':
        rc = wa_j_literal(j, t, "true", WA_J_TRUE);
        break;
    case 'f':
        rc = wa_j_literal(j, t, "false", WA_J_FALSE);
        break;
    case 'n':
        rc = wa_j_literal(j, t, "null", WA_J_NULL);
        break;
    default:
        if (j->p[j->pos] == '-'
            || (j->p[j->pos] >= '0' && j->p[j->pos] <= '9'))
        {
            rc = wa_j_number(j, t);
        } else {
            rc = -1;
        }
    }

    if (rc != 0) {
        return -1;
    }

    /* t may have moved only in index terms: the array is fixed. */
    j->tok[self].next = (uint32_t) j->ntok;
    if (j->tok[self].type == WA_J_OBJECT || j->tok[self].type == WA_J_ARRAY) {
        j->tok[self].end = (uint32_t) j->pos;
    }

    return 0;
}


int
wa_jparse(const uint8_t *p, size_t len, wa_jtok_t *tok, size_t *ntok)
{
    wa_jparse_t  j;

    j.p = p;
    j.len = len;
    j.pos = 0;
    j.tok = tok;
    j.ntok = 0;

    if (len > UINT32_MAX || wa_j_value(&j, 0) != 0) {
        return -1;
    }

    wa_j_ws(&j);

    if (j.pos != len) {
        return -1;                          /* something after the value */
    }

    *ntok = j.ntok;

    return 0;
}


size_t
wa_jstr_decode(const uint8_t *p, const wa_jtok_t *t, uint8_t *out)
{
    size_t    i, o;
    uint32_t  cp;

    if (!t->escaped) {
        memcpy(out, p + t->start, t->end - t->start);
        return t->end - t->start;
    }

    o = 0;

    for (i = t->start; i < t->end; ) {
        if (p[i] != '\\') {
            out[o++] = p[i++];
            continue;
        }

        /* validated by the parser: cannot fail here */
        (void) wa_j_escape(p, t->end, &i, &cp);

        if (cp < 0x80) {
            out[o++] = (uint8_t) cp;
        } else if (cp < 0x800) {
            out[o++] = (uint8_t) (0xc0 | (cp >> 6));
            out[o++] = (uint8_t) (0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out[o++] = (uint8_t) (0xe0 | (cp >> 12));
            out[o++] = (uint8_t) (0x80 | ((cp >> 6) & 0x3f));
            out[o++] = (uint8_t) (0x80 | (cp & 0x3f));
        } else {
            out[o++] = (uint8_t) (0xf0 | (cp >> 18));
            out[o++] = (uint8_t) (0x80 | ((cp >> 12) & 0x3f));
            out[o++] = (uint8_t) (0x80 | ((cp >> 6) & 0x3f));
            out[o++] = (uint8_t) (0x80 | (cp & 0x3f));
        }
    }

    return o;
}


int
wa_jkey_same(const uint8_t *p, const wa_jtok_t *a, const wa_jtok_t *b)
{
    size_t   alen, blen;
    uint8_t  da[WA_J_MAX_KEY], db[WA_J_MAX_KEY];

    if (!a->escaped && !b->escaped) {
        return a->end - a->start == b->end - b->start
               && memcmp(p + a->start, p + b->start, a->end - a->start) == 0;
    }

    /* Decoding never lengthens a string: the buffers are large enough. */
    alen = wa_jstr_decode(p, a, da);
    blen = wa_jstr_decode(p, b, db);

    return alen == blen && memcmp(da, db, alen) == 0;
}


int
wa_jobj_get(const uint8_t *p, const wa_jtok_t *tok, size_t obj,
    const char *name)
{
    size_t      i, k, n;
    uint8_t     d[WA_J_MAX_KEY];

    if (tok[obj].type != WA_J_OBJECT) {
        return -1;
    }

    n = strlen(name);
    i = obj + 1;

    for (k = 0; k < tok[obj].size; k++) {
        /* tok[i] is a key; its value is tok[i + 1] */
        if (!tok[i].escaped) {
            if (tok[i].end - tok[i].start == n
                && memcmp(p + tok[i].start, name, n) == 0)
            {
                return (int) (i + 1);
            }

        } else if (wa_jstr_decode(p, &tok[i], d) == n
                   && memcmp(d, name, n) == 0)
        {
            return (int) (i + 1);
        }

        i = tok[i + 1].next;
    }

    return -1;
}
