/*
 * wa-softauth: a software authenticator on the command line, for the
 * Test::Nginx suites, shell tests and the load generator.
 *
 *   wa-softauth register --rp-id ID --origin O --challenge B64URL
 *       [--alg N] --state FILE [--uv] [--be] [--bs] [--user-handle B64URL]
 *       [--attestation none|self|packed|fido-u2f] [--ca-out PEMFILE] ...
 *   wa-softauth login --rp-id ID --origin O --challenge B64URL
 *       --state FILE [--uv] [--counter N] ...
 *   wa-softauth info --state FILE
 *
 * register prints the RegistrationResponseJSON and writes the credential
 * (private key, id, user handle, counter) to FILE; login prints the
 * AuthenticationResponseJSON and stores the counter it used; info prints
 * what a relying party stores about the credential.
 */

#include "softauth.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>


static const char  usage_text[] =
"usage: wa-softauth register --rp-id ID --origin ORIGIN --challenge B64URL\n"
"                            --state FILE [options]\n"
"       wa-softauth login    --rp-id ID --origin ORIGIN --challenge B64URL\n"
"                            --state FILE [options]\n"
"       wa-softauth info     --state FILE\n"
"\n"
"register options:\n"
"  --alg N                 COSE algorithm: -7 (default), -35, -36, -257,\n"
"                          -37, -8 (Ed25519), -19, -53 (Ed448)\n"
"  --attestation FMT       none (default), self, packed (x5c), fido-u2f\n"
"  --ca-out FILE           write the attestation CA certificate (PEM)\n"
"  --user-handle B64URL    the user handle (default: 16 random bytes)\n"
"  --credential-id B64URL  the credential id (default: 32 random bytes)\n"
"  --transports LIST       comma-separated (default: hybrid,internal)\n"
"  --aaguid UUID           the authenticator's AAGUID (default: random)\n"
"login options:\n"
"  --counter N             use counter N (default: stored counter + 1)\n"
"  --no-user-handle        leave response.userHandle out\n"
"  --corrupt-signature     flip one bit of the signature\n"
"common options:\n"
"  --uv --be --bs          set the UV, BE, BS flags\n"
"  --no-up                 clear the UP flag\n"
"  --cross-origin          crossOrigin true (with --top-origin O)\n"
"  --type T                clientDataJSON type\n";


static void
usage(const char *msg)
{
    if (msg) {
        fprintf(stderr, "wa-softauth: %s\n", msg);
    }
    fputs(usage_text, stderr);
    exit(2);
}


static int
corrupt_hook(void *ctx, sa_hook_t what, sa_buf_t *b)
{
    if (what == SA_HOOK_SIGNATURE && b->len > 8) {
        b->data[b->len / 2] ^= 0x01;
    }
    return 0;
}


static int
cmd_info(const char *state)
{
    sa_cred_t  *c;
    sa_buf_t    cose = { 0 };
    char       *rp = NULL, *id, *uh, *pk;
    json_t     *o;
    char       *dump;

    c = sa_state_load(state, &rp);
    if (c == NULL || sa_key_cose(c->key, &cose) != 0) {
        fprintf(stderr, "wa-softauth: %s\n", sa_last_error());
        return 1;
    }
    id = sa_b64url(c->id.data, c->id.len);
    uh = sa_b64url(c->user_handle.data, c->user_handle.len);
    pk = sa_b64url(cose.data, cose.len);
    o = json_object();
    json_object_set_new(o, "rpId", json_string(rp ? rp : ""));
    json_object_set_new(o, "credentialId", json_string(id));
    json_object_set_new(o, "publicKey", json_string(pk));
    json_object_set_new(o, "alg", json_integer(c->key->alg));
    json_object_set_new(o, "counter", json_integer(c->counter));
    json_object_set_new(o, "userHandle", json_string(uh));
    json_object_set_new(o, "be", json_boolean(c->be));
    dump = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    puts(dump);
    free(dump);
    json_decref(o);
    free(id);
    free(uh);
    free(pk);
    free(rp);
    sa_buf_free(&cose);
    sa_cred_free(c);
    return 0;
}


/* "01234567-89ab-cdef-0123-456789abcdef": the dashes where they belong */

static int
parse_uuid(const char *s, uint8_t out[16])
{
    char      hex[33];
    size_t    i, j;
    sa_buf_t  raw = { 0 };
    int       rc;

    if (strlen(s) != 36) {
        return -1;
    }
    for (i = 0, j = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return -1;
            }
            continue;
        }
        hex[j++] = s[i];
    }
    hex[j] = '\0';
    rc = (sa_unhex(hex, &raw) == 0 && raw.len == 16) ? 0 : -1;
    if (rc == 0) {
        memcpy(out, raw.data, 16);
    }
    sa_buf_free(&raw);
    return rc;
}


int
main(int argc, char **argv)
{
    enum {
        O_RP_ID = 256, O_ORIGIN, O_CHALLENGE, O_ALG, O_STATE, O_UV, O_BE,
        O_BS, O_NO_UP, O_USER_HANDLE, O_CRED_ID, O_ATT, O_CA_OUT,
        O_COUNTER, O_CROSS, O_TOP, O_TYPE, O_NO_UH, O_CORRUPT,
        O_TRANSPORTS, O_AAGUID, O_HELP
    };
    static const struct option  longopts[] = {
        { "rp-id", required_argument, NULL, O_RP_ID },
        { "origin", required_argument, NULL, O_ORIGIN },
        { "challenge", required_argument, NULL, O_CHALLENGE },
        { "alg", required_argument, NULL, O_ALG },
        { "state", required_argument, NULL, O_STATE },
        { "uv", no_argument, NULL, O_UV },
        { "be", no_argument, NULL, O_BE },
        { "bs", no_argument, NULL, O_BS },
        { "no-up", no_argument, NULL, O_NO_UP },
        { "user-handle", required_argument, NULL, O_USER_HANDLE },
        { "credential-id", required_argument, NULL, O_CRED_ID },
        { "attestation", required_argument, NULL, O_ATT },
        { "ca-out", required_argument, NULL, O_CA_OUT },
        { "counter", required_argument, NULL, O_COUNTER },
        { "cross-origin", no_argument, NULL, O_CROSS },
        { "top-origin", required_argument, NULL, O_TOP },
        { "type", required_argument, NULL, O_TYPE },
        { "no-user-handle", no_argument, NULL, O_NO_UH },
        { "corrupt-signature", no_argument, NULL, O_CORRUPT },
        { "transports", required_argument, NULL, O_TRANSPORTS },
        { "aaguid", required_argument, NULL, O_AAGUID },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 }
    };

    const char   *cmd, *rp_id = NULL, *state = NULL, *challenge = NULL;
    const char   *user_handle = NULL, *cred_id = NULL, *ca_out = NULL;
    char         *end, *state_rp = NULL;
    long          alg = -7;
    long long     counter;
    int           opt, be = 0, bs = 0, corrupt = 0, rc;
    sa_opts_t     o;
    sa_cred_t    *c;
    sa_result_t   r;
    sa_buf_t      ch = { 0 };
    uint8_t       aaguid[16];

    if (argc < 2) {
        usage(NULL);
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "register") != 0 && strcmp(cmd, "login") != 0
        && strcmp(cmd, "info") != 0)
    {
        usage("unknown command");
    }

    memset(&o, 0, sizeof(o));
    optind = 2;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case O_RP_ID:
            rp_id = optarg;
            break;
        case O_ORIGIN:
            o.origin = optarg;
            break;
        case O_CHALLENGE:
            challenge = optarg;
            break;
        case O_ALG:
            alg = strtol(optarg, &end, 10);
            if (*end || end == optarg) {
                usage("--alg: not a number");
            }
            break;
        case O_STATE:
            state = optarg;
            break;
        case O_UV:
            o.uv = 1;
            break;
        case O_BE:
            be = 1;
            break;
        case O_BS:
            bs = 1;
            break;
        case O_NO_UP:
            o.no_up = 1;
            break;
        case O_USER_HANDLE:
            user_handle = optarg;
            break;
        case O_CRED_ID:
            cred_id = optarg;
            break;
        case O_ATT:
            if (strcmp(optarg, "none") == 0) {
                o.att = SA_ATT_NONE;
            } else if (strcmp(optarg, "self") == 0) {
                o.att = SA_ATT_PACKED_SELF;
            } else if (strcmp(optarg, "packed") == 0) {
                o.att = SA_ATT_PACKED_X5C;
            } else if (strcmp(optarg, "fido-u2f") == 0) {
                o.att = SA_ATT_FIDO_U2F;
            } else {
                usage("--attestation: none, self, packed or fido-u2f");
            }
            break;
        case O_CA_OUT:
            ca_out = optarg;
            break;
        case O_COUNTER:
            counter = strtoll(optarg, &end, 10);
            if (*end || end == optarg || counter < 0
                || counter > 0xffffffffLL)
            {
                usage("--counter: not a 32-bit unsigned number");
            }
            o.counter_set = 1;
            o.counter = (uint32_t) counter;
            break;
        case O_CROSS:
            o.cross_origin = 1;
            break;
        case O_TOP:
            o.top_origin = optarg;
            break;
        case O_TYPE:
            o.type = optarg;
            break;
        case O_NO_UH:
            o.no_user_handle = 1;
            break;
        case O_CORRUPT:
            corrupt = 1;
            break;
        case O_TRANSPORTS:
            o.transports = optarg;
            break;
        case O_AAGUID:
            if (parse_uuid(optarg, aaguid) != 0) {
                usage("--aaguid: not 8-4-4-4-12 hexadecimal digits");
            }
            o.aaguid = aaguid;
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return 0;
        default:
            usage(NULL);
        }
    }
    if (optind != argc) {
        usage("unexpected argument");
    }
    if (state == NULL) {
        usage("--state is required");
    }
    if (strcmp(cmd, "info") == 0) {
        return cmd_info(state);
    }
    if (o.origin == NULL || challenge == NULL) {
        usage("--origin and --challenge are required");
    }
    if (sa_b64url_decode(challenge, &ch) != 0) {
        usage("--challenge: not base64url");
    }
    o.challenge = ch.data;
    o.challenge_len = ch.len;
    if (corrupt) {
        o.bytes_hook = corrupt_hook;
    }

    if (strcmp(cmd, "register") == 0) {
        if (rp_id == NULL) {
            usage("--rp-id is required");
        }
        c = sa_cred_new((int32_t) alg, 0, NULL);
        if (c == NULL) {
            fprintf(stderr, "wa-softauth: %s\n", sa_last_error());
            return 1;
        }
        if ((user_handle && sa_b64url_decode(user_handle,
                                             &c->user_handle) != 0)
            || (cred_id && sa_b64url_decode(cred_id, &c->id) != 0))
        {
            usage("--user-handle/--credential-id: not base64url");
        }
        c->be = be;
        c->bs = bs;
        if (o.counter_set) {
            c->counter = o.counter;
        }
        o.rp_id = rp_id;
        rc = sa_register(c, &o, &r);
        if (rc == 0 && ca_out) {
            rc = sa_cert_write_pem(sa_default_ca()->cert, ca_out);
        }
        if (rc == 0) {
            rc = sa_state_save(c, rp_id, state);
        }
    } else {
        c = sa_state_load(state, &state_rp);
        if (c == NULL) {
            fprintf(stderr, "wa-softauth: %s\n", sa_last_error());
            return 1;
        }
        if (be) {
            c->be = 1;
        }
        if (bs) {
            c->bs = 1;
        }
        o.rp_id = rp_id ? rp_id : state_rp;
        if (o.rp_id == NULL || o.rp_id[0] == '\0') {
            usage("--rp-id is required");
        }
        rc = sa_login(c, &o, &r);
        if (rc == 0) {
            rc = sa_state_save(c, state_rp, state);
        }
    }

    if (rc != 0) {
        fprintf(stderr, "wa-softauth: %s\n", sa_last_error());
    } else {
        fwrite(r.json, 1, r.json_len, stdout);
        fputc('\n', stdout);
        sa_result_free(&r);
    }
    free(state_rp);
    sa_buf_free(&ch);
    sa_cred_free(c);
    sa_cleanup();
    return rc ? 1 : 0;
}
