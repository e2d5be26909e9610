#!/bin/sh
# Command-line tests of webauthn-verify: every spec vector registered and
# logged in through it, softauth round trips, refusals (exit 1) and usage
# errors (exit 2), with the JSON output checked by jq.
#
# Environment (set by tests/run-unit.sh):
#   WA_VERIFY         the webauthn-verify binary
#   WA_SOFTAUTH       the wa-softauth binary
#   WA_TEST_VECTORS   the test_vectors binary (its --emit writes the inputs)
#   WA_VECTORS        the spec vectors JSON

: "${WA_VERIFY:=build/webauthn-verify}"
: "${WA_SOFTAUTH:=build/wa-softauth}"
: "${WA_TEST_VECTORS:=build/vectors/test_vectors}"
: "${WA_VECTORS:=tests/vectors/webauthn-l3-spec.json}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fails=0

ok() {
    echo "ok - $1"
}

notok() {
    echo "not ok - $1 ($2)"
    fails=$((fails + 1))
}

# JSON checks need jq (a Debian package: scripts/deps.sh installs it).
if ! command -v jq >/dev/null 2>&1; then
    notok "jq is installed" "apt-get install jq"
    exit 1
fi
jget() { jq -r "$2" <"$1" 2>/dev/null; }

# expect NAME WANT_EXIT WANT_OK [WANT_ERROR] -- run "$@" after --,
# stdout in $tmp/out; checks the exit status, that stdout is exactly one
# JSON object, .ok and (when given) .error.
expect() {
    _n=$1 _want_exit=$2 _want_ok=$3 _want_err=$4
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"
    _got_exit=$?
    if [ "$_got_exit" != "$_want_exit" ]; then
        notok "$_n" "exit $_got_exit, want $_want_exit: $(head -c 300 "$tmp/out")"
        return 1
    fi
    # One jq run: "BAD" unless stdout is exactly one JSON object.
    _got=$(jq -rs 'if length == 1 and (.[0] | type) == "object"
                   then "\(.[0].ok) \(.[0].error // "")" else "BAD" end' \
           <"$tmp/out" 2>/dev/null)
    if [ "$_got" = BAD ] || [ -z "$_got" ]; then
        notok "$_n" "stdout is not one JSON object: $(head -c 300 "$tmp/out")"
        return 1
    fi
    _got_ok=${_got%% *}
    _got_err=${_got#* }
    if [ "$_got_ok" != "$_want_ok" ]; then
        notok "$_n" "ok $_got_ok, want $_want_ok: $(head -c 300 "$tmp/out")"
        return 1
    fi
    if [ -n "$_want_err" ] && [ "$_got_err" != "$_want_err" ]; then
        notok "$_n" "error $_got_err, want $_want_err: $(head -c 300 "$tmp/out")"
        return 1
    fi
    ok "$_n"
    return 0
}

# check NAME GOT WANT
check() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        notok "$1" "got '$2', want '$3'"
    fi
}

for bin in "$WA_VERIFY" "$WA_SOFTAUTH" "$WA_TEST_VECTORS"; do
    if [ ! -x "$bin" ]; then
        notok "binary $bin" "not built"
        exit 1
    fi
done


# ---- usage ---------------------------------------------------------------

"$WA_VERIFY" --help >"$tmp/out" 2>&1
st=$?
if [ $st = 0 ] && grep -q 'webauthn-verify register' "$tmp/out"; then
    ok "--help prints the usage on stdout, exit 0"
else
    notok "--help prints the usage on stdout, exit 0" "exit $st"
fi

expect "no arguments: usage" 2 false usage "$WA_VERIFY"
if grep -q 'usage:' "$tmp/err"; then
    ok "usage error prints the usage text on stderr"
else
    notok "usage error prints the usage text on stderr" "$(head -c 200 "$tmp/err")"
fi
expect "unknown command: usage" 2 false usage "$WA_VERIFY" enrol x.json
expect "unknown option: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a --challenge AAAA --frobnicate x.json
expect "missing --challenge: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a x.json
expect "missing --origin: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --challenge AAAA x.json
expect "missing FILE: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a --challenge AAAA
expect "padded --challenge: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a --challenge AAA= x.json
expect "unreadable FILE: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a --challenge AAAA "$tmp/nonexistent.json"
expect "--public-key on register: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a --challenge AAAA --public-key AAAA x.json
expect "login without --public-key: usage" 2 false usage \
    "$WA_VERIFY" login --rp-id a --origin https://a --challenge AAAA x.json
expect "--backup-eligible 2: usage" 2 false usage \
    "$WA_VERIFY" login --rp-id a --origin https://a --challenge AAAA --public-key AAAA --backup-eligible 2 x.json
expect "--algorithms garbage: usage" 2 false usage \
    "$WA_VERIFY" register --rp-id a --origin https://a --challenge AAAA --algorithms -7,x "$tmp/nonexistent.json"
expect "--public-key not a COSE key: usage" 2 false usage \
    "$WA_VERIFY" login --rp-id a --origin https://a --challenge AAAA --public-key AAAA "$tmp/nonexistent.json"


# ---- the spec vectors ----------------------------------------------------

if "$WA_TEST_VECTORS" --emit "$tmp/vec" "$WA_VECTORS" >/dev/null 2>"$tmp/err"; then
    ok "spec vectors written as response files"
else
    notok "spec vectors written as response files" "$(head -c 300 "$tmp/err")"
fi

for name in $(cat "$tmp/vec/cases.txt" 2>/dev/null); do
    # shellcheck disable=SC1090
    . "$tmp/vec/$name.env"
    anchor="$tmp/vec/ca.pem"
    [ "$name" = packed-es256 ] && anchor="$tmp/vec/ca.der"
    common="--rp-id example.org --origin https://example.org --top-origin https://example.com --allow-cross-origin"

    # shellcheck disable=SC2086
    if expect "$name: register" 0 true "" \
        "$WA_VERIFY" register $common --challenge "$REG_CHALLENGE" \
        --trust-anchor "$anchor" --time "$VTIME" "$tmp/vec/$name.reg.json"
    then
        # shellcheck disable=SC2046
        set -- $(jq -r '.credential | [.fmt, .attestation.type,
                        .attestation.trusted, .aaguid, .publicKey, .id,
                        (if .flags.be then 1 else 0 end)] | @tsv' <"$tmp/out")
        fmt=$1 atype=$2 trusted=$3 aaguid=$4 pk=$5 cid=$6 be=$7
        case "$name" in
        none-*)        check "$name: fmt none, untrusted" "$fmt/$trusted" "none/false" ;;
        packed-self-*) check "$name: fmt packed self" "$fmt/$atype" "packed/self" ;;
        *)             check "$name: attestation trusted" "$trusted" "true" ;;
        esac
        if echo "$aaguid" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'; then
            ok "$name: aaguid is a UUID"
        else
            notok "$name: aaguid is a UUID" "$aaguid"
        fi

        # shellcheck disable=SC2086
        expect "$name: login" 0 true "" \
            "$WA_VERIFY" login $common --challenge "$LOGIN_CHALLENGE" \
            --public-key "$pk" --credential-id "$cid" --sign-count 0 \
            --backup-eligible "$be" "$tmp/vec/$name.login.json"
        # shellcheck disable=SC2086
        expect "$name: login, other challenge: exit 1" 1 false challenge_mismatch \
            "$WA_VERIFY" login $common --challenge "$REG_CHALLENGE" \
            --public-key "$pk" --credential-id "$cid" \
            "$tmp/vec/$name.login.json"
    fi

    expect "$name: register, other origin: exit 1" 1 false origin_mismatch \
        "$WA_VERIFY" register --rp-id example.org --origin https://example.net \
        --top-origin https://example.com --allow-cross-origin \
        --challenge "$REG_CHALLENGE" "$tmp/vec/$name.reg.json"
    # shellcheck disable=SC2086
    expect "$name: register, other challenge: exit 1" 1 false challenge_mismatch \
        "$WA_VERIFY" register $common --challenge "$LOGIN_CHALLENGE" \
        --time "$VTIME" "$tmp/vec/$name.reg.json"
done

# Trust policy: without --require-trusted an unanchored chain verifies as
# untrusted; with it, it is refused.
if [ -f "$tmp/vec/packed-es256.env" ]; then
    # shellcheck disable=SC1090
    . "$tmp/vec/packed-es256.env"
    common="--rp-id example.org --origin https://example.org"
    # shellcheck disable=SC2086
    if expect "packed-es256: no anchor: verifies" 0 true "" \
        "$WA_VERIFY" register $common --challenge "$REG_CHALLENGE" \
        --time "$VTIME" "$tmp/vec/packed-es256.reg.json"
    then
        check "packed-es256: no anchor: reported untrusted" \
            "$(jq -r .credential.attestation.trusted <"$tmp/out")" false
    fi
    # shellcheck disable=SC2086
    expect "packed-es256: --require-trusted, no anchor: exit 1" 1 false \
        attestation_untrusted \
        "$WA_VERIFY" register $common --challenge "$REG_CHALLENGE" \
        --require-trusted --time "$VTIME" "$tmp/vec/packed-es256.reg.json"
    # shellcheck disable=SC2086
    expect "packed-es256: --require-trusted with the anchor" 0 true "" \
        "$WA_VERIFY" register $common --challenge "$REG_CHALLENGE" \
        --require-trusted --trust-anchor "$tmp/vec/ca.pem" --time "$VTIME" \
        "$tmp/vec/packed-es256.reg.json"
    # shellcheck disable=SC2086
    expect "none-es256-crossOrigin: --require-top-origin: exit 1" 1 false \
        top_origin_mismatch \
        "$WA_VERIFY" register $common --allow-cross-origin \
        --top-origin https://example.com --require-top-origin \
        --challenge "$(. "$tmp/vec/none-es256-crossOrigin.env"; echo "$REG_CHALLENGE")" \
        "$tmp/vec/none-es256-crossOrigin.reg.json"
fi


# ---- softauth round trips ------------------------------------------------

O=https://shop.example.org
RP=shop.example.org
CH=q83vEjRWeJA

for alg in -7 -35 -36 -257 -37 -8 -53; do
    st="$tmp/st$alg.json"
    if ! "$WA_SOFTAUTH" register --rp-id $RP --origin $O --challenge $CH \
        --alg "$alg" --state "$st" --uv --attestation self >"$tmp/reg$alg.json"
    then
        notok "softauth register alg $alg" "wa-softauth failed"
        continue
    fi
    if expect "alg $alg: register (packed self)" 0 true "" \
        "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH \
        --require-uv "$tmp/reg$alg.json"
    then
        check "alg $alg: alg reported" "$(jget "$tmp/out" .credential.alg)" "$alg"
        pk=$(jget "$tmp/out" .credential.publicKey)
        "$WA_SOFTAUTH" login --rp-id $RP --origin $O --challenge AQID \
            --state "$st" --uv >"$tmp/login.json"
        expect "alg $alg: login" 0 true "" \
            "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID \
            --public-key "$pk" --require-uv "$tmp/login.json"
        check "alg $alg: signCount 1" "$(jget "$tmp/out" .signCount)" 1
    fi
done

st="$tmp/st.json"
"$WA_SOFTAUTH" register --rp-id $RP --origin $O --challenge $CH --alg -7 \
    --state "$st" --be --attestation packed --ca-out "$tmp/sa-ca.pem" >"$tmp/reg.json"
expect "softauth packed x5c: register, trusted" 0 true "" \
    "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH \
    --trust-anchor "$tmp/sa-ca.pem" "$tmp/reg.json"
check "softauth packed x5c: attestation basic, trusted" \
    "$(jget "$tmp/out" .credential.attestation.type)/$(jget "$tmp/out" .credential.attestation.trusted)" \
    "basic/true"
expect "register from stdin (-)" 0 true "" \
    sh -c "\"$WA_VERIFY\" register --rp-id $RP --origin $O --challenge $CH - <\"$tmp/reg.json\""
check "transports reported" "$(jq -c .credential.transports <"$tmp/out")" '["hybrid","internal"]'
expect "register: second --origin matches" 0 true "" \
    "$WA_VERIFY" register --rp-id $RP --origin https://other.example --origin $O \
    --challenge $CH "$tmp/reg.json"
expect "register: UV required, not given: exit 1" 1 false user_verification_required \
    "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH --require-uv "$tmp/reg.json"
expect "register: algorithm not allowed: exit 1" 1 false algorithm_unsupported \
    "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH --algorithms -257,-8 "$tmp/reg.json"
expect "register: --algorithms allows it" 0 true "" \
    "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH --algorithms -257,-7 "$tmp/reg.json"
expect "register: wrong rp id: exit 1" 1 false rp_id_mismatch \
    "$WA_VERIFY" register --rp-id example.org --origin $O --challenge $CH "$tmp/reg.json"
expect "register: port in origin: exit 1" 1 false origin_mismatch \
    "$WA_VERIFY" register --rp-id $RP --origin $O:443 --challenge $CH "$tmp/reg.json"

"$WA_SOFTAUTH" info --state "$st" >"$tmp/info.json"
pk=$(jget "$tmp/info.json" .publicKey)
cid=$(jget "$tmp/info.json" .credentialId)
uh=$(jget "$tmp/info.json" .userHandle)

"$WA_SOFTAUTH" login --rp-id $RP --origin $O --challenge AQID --state "$st" --counter 7 >"$tmp/l7.json"
expect "login: counter 7 over stored 3" 0 true "" \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --credential-id "$cid" --user-handle "$uh" --sign-count 3 --backup-eligible 1 "$tmp/l7.json"
check "login: signCount 7 reported" "$(jget "$tmp/out" .signCount)" 7
check "login: flags.be reported" "$(jget "$tmp/out" .flags.be)" true
expect "login: counter 7 over stored 7: exit 1" 1 false counter_regression \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --sign-count 7 "$tmp/l7.json"
expect "login: BE stored 0: exit 1" 1 false backup_eligibility_changed \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --backup-eligible 0 "$tmp/l7.json"
expect "login: other credential id: exit 1" 1 false credential_unknown \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --credential-id AAAAAAAAAAAAAAAAAAAAAA "$tmp/l7.json"
expect "login: other user handle: exit 1" 1 false user_mismatch \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --user-handle AAAAAAAAAAAAAAAAAAAAAA "$tmp/l7.json"
expect "login: UV required: exit 1" 1 false user_verification_required \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --require-uv "$tmp/l7.json"
expect "login: --ber-signatures accepts DER too" 0 true "" \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --ber-signatures "$tmp/l7.json"
expect "login: a registration response given: exit 1" 1 false "" \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge $CH --public-key "$pk" "$tmp/reg.json"

"$WA_SOFTAUTH" login --rp-id $RP --origin $O --challenge AQID --state "$st" \
    --corrupt-signature >"$tmp/lbad.json"
expect "login: corrupted signature: exit 1" 1 false signature_invalid \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" "$tmp/lbad.json"

"$WA_SOFTAUTH" login --rp-id $RP --origin $O --challenge AQID --state "$st" \
    --cross-origin --top-origin https://top.example >"$tmp/lx.json"
expect "login: crossOrigin not allowed: exit 1" 1 false cross_origin_refused \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" "$tmp/lx.json"
expect "login: crossOrigin allowed, topOrigin listed" 0 true "" \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --allow-cross-origin --top-origin https://top.example "$tmp/lx.json"
expect "login: crossOrigin allowed, topOrigin not listed: exit 1" 1 false top_origin_mismatch \
    "$WA_VERIFY" login --rp-id $RP --origin $O --challenge AQID --public-key "$pk" \
    --allow-cross-origin --top-origin https://elsewhere.example "$tmp/lx.json"

# Bounded input: a file over WA_MAX_RESPONSE_JSON (256 KiB).
head -c 300000 /dev/zero | tr '\0' ' ' >"$tmp/big.json"
expect "input over 256 KiB: payload_too_large, exit 1" 1 false payload_too_large \
    "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH "$tmp/big.json"
expect "input over 256 KiB on stdin: payload_too_large" 1 false payload_too_large \
    sh -c "\"$WA_VERIFY\" register --rp-id $RP --origin $O --challenge $CH - <\"$tmp/big.json\""
printf 'not json' >"$tmp/garbage.json"
expect "garbage input: malformed_request, exit 1" 1 false malformed_request \
    "$WA_VERIFY" register --rp-id $RP --origin $O --challenge $CH "$tmp/garbage.json"

echo "# test-cli.sh: $fails failed"
[ "$fails" -eq 0 ]
