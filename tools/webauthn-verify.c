/*
 * webauthn-verify: verify a WebAuthn registration or assertion from the
 * command line with the same core the nginx module uses.  For support
 * engineers: feed it the RegistrationResponseJSON / AuthenticationResponseJSON
 * a customer's browser sent, and it says what the module would say.
 *
 * Exactly one JSON object is printed on stdout.  Exit status: 0 verified,
 * 1 refused, 2 usage error.  See docs/webauthn-verify.md.
 */

#include <wa.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>


#define MAX_LIST  32

static const char  usage_text[] =
"usage:\n"
"  webauthn-verify register --rp-id ID --origin ORIGIN --challenge B64URL\n"
"      [--require-uv] [--algorithms -7,-257,...] [--trust-anchor CERT_FILE]...\n"
"      [--require-trusted] [--time UNIX] [common options] FILE\n"
"  webauthn-verify login --rp-id ID --origin ORIGIN --challenge B64URL\n"
"      --public-key COSE_B64URL [--credential-id B64URL] [--sign-count N]\n"
"      [--user-handle B64URL] [--backup-eligible 0|1] [--require-uv]\n"
"      [common options] FILE\n"
"\n"
"common options:\n"
"  --origin ORIGIN        an allowed origin (repeatable, at least one)\n"
"  --top-origin ORIGIN    an allowed top-level origin (repeatable)\n"
"  --allow-cross-origin   accept crossOrigin true in clientDataJSON\n"
"  --require-top-origin   with it, crossOrigin must come with a listed\n"
"                         topOrigin\n"
"  --ber-signatures       accept BER-encoded ECDSA signatures\n"
"  --help                 print this text\n"
"\n"
"FILE is the RegistrationResponseJSON or AuthenticationResponseJSON, or -\n"
"for standard input.  One JSON object is printed on stdout; the exit status\n"
"is 0 when verified, 1 when refused, 2 on a usage error.\n";


typedef struct {
    int              login;
    const char      *rp_id;
    const char      *origins[MAX_LIST];
    size_t           n_origins;
    const char      *top_origins[MAX_LIST];
    size_t           n_top_origins;
    const char      *challenge;
    const char      *public_key;
    const char      *credential_id;
    const char      *user_handle;
    const char      *trust_anchors[MAX_LIST];
    size_t           n_trust_anchors;
    const char      *algorithms;
    const char      *file;
    int64_t          time;
    uint32_t         sign_count;
    int              backup_eligible;
    unsigned         require_uv:1;
    unsigned         allow_cross_origin:1;
    unsigned         require_top_origin:1;
    unsigned         require_trusted:1;
    unsigned         ber_signatures:1;
} args_t;


static int
print_json(json_t *o)
{
    char  *s;

    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL) {
        fputs("{\"ok\":false,\"error\":\"internal_error\","
              "\"detail\":\"json output\"}\n", stdout);
        return -1;
    }
    puts(s);
    free(s);
    return 0;
}


static int
fail_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
fail_usage(const char *fmt, ...)
{
    char     detail[512];
    va_list  ap;
    json_t  *o;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);

    o = json_object();
    json_object_set_new(o, "ok", json_false());
    json_object_set_new(o, "error", json_string("usage"));
    json_object_set_new(o, "detail", json_string(detail));
    print_json(o);

    fprintf(stderr, "webauthn-verify: %s\n\n%s", detail, usage_text);
    return 2;
}


static int
fail_refused(wa_rc_t rc, const wa_err_t *err)
{
    json_t  *o;

    o = json_object();
    json_object_set_new(o, "ok", json_false());
    json_object_set_new(o, "error", json_string(wa_rc_code(rc)));
    json_object_set_new(o, "detail",
                        json_string(err->detail ? err->detail : ""));
    print_json(o);
    return 1;
}


/* Decode base64url into a new buffer; -1 when not strict base64url. */
static int
b64_arg(const char *s, wa_buf_t *out)
{
    size_t  n = strlen(s);

    out->data = malloc(n * 3 / 4 + 3);
    out->len = 0;
    if (out->data == NULL) {
        return -1;
    }
    if (wa_b64url_decode(s, n, out->data, &out->len) != WA_OK) {
        free(out->data);
        out->data = NULL;
        return -1;
    }
    return 0;
}


static char *
b64_str(const uint8_t *p, size_t n)
{
    char  *s = malloc((n + 2) / 3 * 4 + 1);

    if (s) {
        wa_b64url_encode(p, n, s);
    }
    return s;
}


static int
parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char       *end;
    long long   v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}


static int
parse_algorithms(const char *s, int32_t *algs, size_t *n)
{
    char     buf[512], *tok, *save = NULL;
    int64_t  v;

    if (strlen(s) >= sizeof(buf)) {
        return -1;
    }
    strcpy(buf, s);
    *n = 0;
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save))
    {
        if (*n == MAX_LIST || parse_i64(tok, INT32_MIN, INT32_MAX, &v) != 0) {
            return -1;
        }
        algs[(*n)++] = (int32_t) v;
    }
    return *n ? 0 : -1;
}


/* Read at most WA_MAX_RESPONSE_JSON + 1 bytes: anything longer is refused
 * by the core as payload_too_large without reading the rest. */
static char *
read_input(const char *path, size_t *len, int *errnum)
{
    FILE    *f;
    char    *buf;
    size_t   cap = WA_MAX_RESPONSE_JSON + 1, n;

    *errnum = 0;
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        *errnum = errno;
        return NULL;
    }
    buf = malloc(cap + 1);
    if (buf == NULL) {
        *errnum = ENOMEM;
        if (f != stdin) {
            fclose(f);
        }
        return NULL;
    }
    n = fread(buf, 1, cap, f);
    if (ferror(f)) {
        *errnum = errno ? errno : EIO;
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = n;
    }
    if (f != stdin) {
        fclose(f);
    }
    return buf;
}


static json_t *
flags_json(uint8_t flags)
{
    json_t  *o = json_object();

    json_object_set_new(o, "up", json_boolean(flags & WA_FLAG_UP));
    json_object_set_new(o, "uv", json_boolean(flags & WA_FLAG_UV));
    json_object_set_new(o, "be", json_boolean(flags & WA_FLAG_BE));
    json_object_set_new(o, "bs", json_boolean(flags & WA_FLAG_BS));
    return o;
}


static json_t *
transports_json(uint32_t t)
{
    static const struct {
        uint32_t     bit;
        const char  *name;
    } names[] = {
        { WA_TRANSPORT_BLE, "ble" },
        { WA_TRANSPORT_HYBRID, "hybrid" },
        { WA_TRANSPORT_INTERNAL, "internal" },
        { WA_TRANSPORT_NFC, "nfc" },
        { WA_TRANSPORT_SMART_CARD, "smart-card" },
        { WA_TRANSPORT_USB, "usb" },
    };
    json_t  *a = json_array();
    size_t   i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (t & names[i].bit) {
            json_array_append_new(a, json_string(names[i].name));
        }
    }
    return a;
}


static int
do_register(const args_t *a, wa_policy_t *pol, const wa_buf_t *challenge,
    const char *input, size_t len)
{
    wa_registration_response_t  resp;
    wa_credential_t             cred;
    wa_trust_t                 *trust = NULL;
    wa_err_t                    err = { WA_OK, NULL };
    wa_rc_t                     rc;
    int32_t                     algs[MAX_LIST];
    size_t                      n_algs = 0, i;
    json_t                     *o, *c, *att;
    char                       *id, *pk, uuid[40];
    const uint8_t              *g;

    if (a->algorithms) {
        if (parse_algorithms(a->algorithms, algs, &n_algs) != 0) {
            return fail_usage("--algorithms: a comma-separated list of "
                              "COSE algorithm numbers");
        }
        pol->algorithms = algs;
        pol->n_algorithms = n_algs;
    }
    if (a->n_trust_anchors) {
        trust = wa_trust_new();
        if (trust == NULL) {
            return fail_usage("out of memory");
        }
        for (i = 0; i < a->n_trust_anchors; i++) {
            rc = wa_trust_add_file(trust, a->trust_anchors[i], &err);
            if (rc != WA_OK) {
                wa_trust_free(trust);
                return fail_usage("--trust-anchor %s: %s (%s)",
                                  a->trust_anchors[i], wa_rc_code(rc),
                                  err.detail ? err.detail : "");
            }
        }
        pol->trust = trust;
    }
    pol->time = a->time;

    memset(&resp, 0, sizeof(resp));
    memset(&cred, 0, sizeof(cred));
    rc = wa_registration_response_parse(input, len, &resp, &err);
    if (rc == WA_OK) {
        rc = wa_verify_registration(pol, challenge->data, challenge->len,
                                    &resp, &cred, &err);
    }
    wa_registration_response_free(&resp);
    wa_trust_free(trust);
    if (rc != WA_OK) {
        return fail_refused(rc, &err);
    }

    id = b64_str(cred.cred_id.data, cred.cred_id.len);
    pk = b64_str(cred.public_key.data, cred.public_key.len);
    g = cred.aaguid;
    snprintf(uuid, sizeof(uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
             g[10], g[11], g[12], g[13], g[14], g[15]);

    att = json_object();
    json_object_set_new(att, "type",
                        json_string(wa_att_type_name(cred.att_type)));
    json_object_set_new(att, "trusted", json_boolean(cred.att_trusted));

    c = json_object();
    json_object_set_new(c, "id", json_string(id ? id : ""));
    json_object_set_new(c, "publicKey", json_string(pk ? pk : ""));
    json_object_set_new(c, "alg", json_integer(cred.alg));
    json_object_set_new(c, "signCount", json_integer(cred.sign_count));
    json_object_set_new(c, "aaguid", json_string(uuid));
    json_object_set_new(c, "flags", flags_json(cred.flags));
    json_object_set_new(c, "fmt", json_string(cred.fmt));
    json_object_set_new(c, "attestation", att);
    json_object_set_new(c, "transports", transports_json(cred.transports));

    o = json_object();
    json_object_set_new(o, "ok", json_true());
    json_object_set_new(o, "credential", c);

    free(id);
    free(pk);
    wa_credential_free(&cred);
    return print_json(o) == 0 ? 0 : 1;
}


static int
do_login(const args_t *a, wa_policy_t *pol, const wa_buf_t *challenge,
    const char *input, size_t len)
{
    wa_assertion_response_t  resp;
    wa_stored_credential_t   sc;
    wa_assertion_result_t    res;
    wa_key_t                *key = NULL;
    wa_buf_t                 cose = { 0 }, cid = { 0 }, uh = { 0 };
    wa_err_t                 err = { WA_OK, NULL };
    wa_rc_t                  rc;
    json_t                  *o;
    int                      status;

    if (a->public_key == NULL) {
        return fail_usage("login needs --public-key");
    }
    if (b64_arg(a->public_key, &cose) != 0) {
        return fail_usage("--public-key: not base64url");
    }
    rc = wa_key_from_cose(cose.data, cose.len, &key, &err);
    free(cose.data);
    if (rc != WA_OK) {
        return fail_usage("--public-key: %s (%s)", wa_rc_code(rc),
                          err.detail ? err.detail : "");
    }
    if (a->credential_id && b64_arg(a->credential_id, &cid) != 0) {
        wa_key_free(key);
        return fail_usage("--credential-id: not base64url");
    }
    if (a->user_handle && b64_arg(a->user_handle, &uh) != 0) {
        wa_key_free(key);
        free(cid.data);
        return fail_usage("--user-handle: not base64url");
    }

    memset(&sc, 0, sizeof(sc));
    sc.key = key;
    sc.cred_id = a->credential_id ? cid.data : NULL;
    sc.cred_id_len = cid.len;
    sc.user_handle = a->user_handle ? uh.data : NULL;
    sc.user_handle_len = uh.len;
    sc.sign_count = a->sign_count;
    sc.backup_eligible = a->backup_eligible;

    memset(&resp, 0, sizeof(resp));
    memset(&res, 0, sizeof(res));
    rc = wa_assertion_response_parse(input, len, &resp, &err);
    if (rc == WA_OK) {
        rc = wa_verify_assertion(pol, challenge->data, challenge->len, &resp,
                                 &sc, &res, &err);
    }
    wa_assertion_response_free(&resp);
    wa_key_free(key);
    free(cid.data);
    free(uh.data);

    if (rc != WA_OK) {
        return fail_refused(rc, &err);
    }
    o = json_object();
    json_object_set_new(o, "ok", json_true());
    json_object_set_new(o, "signCount", json_integer(res.sign_count));
    json_object_set_new(o, "flags", flags_json(res.flags));
    status = print_json(o) == 0 ? 0 : 1;
    return status;
}


int
main(int argc, char **argv)
{
    enum {
        O_RP_ID = 256, O_ORIGIN, O_TOP_ORIGIN, O_CROSS, O_CHALLENGE,
        O_REQUIRE_UV, O_ALGORITHMS, O_TRUST, O_TIME, O_PUBLIC_KEY,
        O_CRED_ID, O_SIGN_COUNT, O_USER_HANDLE, O_BE, O_BER, O_HELP,
        O_REQUIRE_TRUSTED, O_REQUIRE_TOP
    };
    static const struct option  longopts[] = {
        { "rp-id", required_argument, NULL, O_RP_ID },
        { "origin", required_argument, NULL, O_ORIGIN },
        { "top-origin", required_argument, NULL, O_TOP_ORIGIN },
        { "allow-cross-origin", no_argument, NULL, O_CROSS },
        { "challenge", required_argument, NULL, O_CHALLENGE },
        { "require-uv", no_argument, NULL, O_REQUIRE_UV },
        { "algorithms", required_argument, NULL, O_ALGORITHMS },
        { "trust-anchor", required_argument, NULL, O_TRUST },
        { "require-trusted", no_argument, NULL, O_REQUIRE_TRUSTED },
        { "require-top-origin", no_argument, NULL, O_REQUIRE_TOP },
        { "time", required_argument, NULL, O_TIME },
        { "public-key", required_argument, NULL, O_PUBLIC_KEY },
        { "credential-id", required_argument, NULL, O_CRED_ID },
        { "sign-count", required_argument, NULL, O_SIGN_COUNT },
        { "user-handle", required_argument, NULL, O_USER_HANDLE },
        { "backup-eligible", required_argument, NULL, O_BE },
        { "ber-signatures", no_argument, NULL, O_BER },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };

    args_t        a;
    wa_policy_t   pol;
    wa_buf_t      challenge = { 0 };
    char         *input;
    size_t        len = 0;
    int64_t       v;
    int           opt, i, errnum, status;
    const char   *cmd, *bad;

    memset(&a, 0, sizeof(a));
    a.backup_eligible = -1;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    if (argc < 2) {
        return fail_usage("a command is required: register or login");
    }
    cmd = argv[1];
    if (strcmp(cmd, "login") == 0) {
        a.login = 1;
    } else if (strcmp(cmd, "register") != 0) {
        return fail_usage("unknown command '%s': register or login", cmd);
    }

    opterr = 0;
    optind = 2;
    bad = NULL;
    while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (opt) {
        case O_RP_ID:
            a.rp_id = optarg;
            break;
        case O_ORIGIN:
            if (a.n_origins == MAX_LIST) {
                return fail_usage("too many --origin");
            }
            a.origins[a.n_origins++] = optarg;
            break;
        case O_TOP_ORIGIN:
            if (a.n_top_origins == MAX_LIST) {
                return fail_usage("too many --top-origin");
            }
            a.top_origins[a.n_top_origins++] = optarg;
            break;
        case O_CROSS:
            a.allow_cross_origin = 1;
            break;
        case O_CHALLENGE:
            a.challenge = optarg;
            break;
        case O_REQUIRE_UV:
            a.require_uv = 1;
            break;
        case O_ALGORITHMS:
            bad = a.login ? "--algorithms" : bad;
            a.algorithms = optarg;
            break;
        case O_REQUIRE_TRUSTED:
            bad = a.login ? "--require-trusted" : bad;
            a.require_trusted = 1;
            break;
        case O_REQUIRE_TOP:
            a.require_top_origin = 1;
            break;
        case O_TRUST:
            bad = a.login ? "--trust-anchor" : bad;
            if (a.n_trust_anchors == MAX_LIST) {
                return fail_usage("too many --trust-anchor");
            }
            a.trust_anchors[a.n_trust_anchors++] = optarg;
            break;
        case O_TIME:
            bad = a.login ? "--time" : bad;
            if (parse_i64(optarg, 0, INT64_MAX, &a.time) != 0) {
                return fail_usage("--time: Unix seconds");
            }
            break;
        case O_PUBLIC_KEY:
            bad = a.login ? bad : "--public-key";
            a.public_key = optarg;
            break;
        case O_CRED_ID:
            bad = a.login ? bad : "--credential-id";
            a.credential_id = optarg;
            break;
        case O_SIGN_COUNT:
            bad = a.login ? bad : "--sign-count";
            if (parse_i64(optarg, 0, UINT32_MAX, &v) != 0) {
                return fail_usage("--sign-count: 0 to 4294967295");
            }
            a.sign_count = (uint32_t) v;
            break;
        case O_USER_HANDLE:
            bad = a.login ? bad : "--user-handle";
            a.user_handle = optarg;
            break;
        case O_BE:
            bad = a.login ? bad : "--backup-eligible";
            if (strcmp(optarg, "0") != 0 && strcmp(optarg, "1") != 0) {
                return fail_usage("--backup-eligible: 0 or 1");
            }
            a.backup_eligible = optarg[0] - '0';
            break;
        case O_BER:
            a.ber_signatures = 1;
            break;
        case ':':
            return fail_usage("option %s needs a value", argv[optind - 1]);
        default:
            return fail_usage("unknown option %s", argv[optind - 1]);
        }
    }
    if (bad) {
        return fail_usage("%s is not an option of %s", bad, cmd);
    }
    if (optind != argc - 1) {
        return fail_usage(optind == argc ? "FILE is required (- for stdin)"
                                         : "exactly one FILE is expected");
    }
    a.file = argv[optind];
    if (a.rp_id == NULL || a.rp_id[0] == '\0') {
        return fail_usage("--rp-id is required");
    }
    if (a.n_origins == 0) {
        return fail_usage("at least one --origin is required");
    }
    if (a.challenge == NULL) {
        return fail_usage("--challenge is required");
    }
    if (a.login && a.public_key == NULL) {
        return fail_usage("login needs --public-key");
    }
    if (b64_arg(a.challenge, &challenge) != 0) {
        return fail_usage("--challenge: not base64url (unpadded, - and _)");
    }

    input = read_input(a.file, &len, &errnum);
    if (input == NULL) {
        free(challenge.data);
        return fail_usage("cannot read %s: %s", a.file, strerror(errnum));
    }

    memset(&pol, 0, sizeof(pol));
    pol.rp_id = a.rp_id;
    pol.origins = a.origins;
    pol.n_origins = a.n_origins;
    pol.top_origins = a.top_origins;
    pol.n_top_origins = a.n_top_origins;
    pol.allow_cross_origin = a.allow_cross_origin;
    pol.require_top_origin = a.require_top_origin;
    pol.require_trusted_attestation = a.require_trusted;
    pol.require_uv = a.require_uv;
    pol.ber_signatures = a.ber_signatures;

    status = a.login ? do_login(&a, &pol, &challenge, input, len)
                     : do_register(&a, &pol, &challenge, input, len);

    free(input);
    free(challenge.data);
    return status;
}
