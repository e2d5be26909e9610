#!/bin/sh
# Tests of tools/webauthn-admin against a private Redis: make test-admin
# runs this under scripts/with-redis.sh, which starts the Redis, flushes
# nothing of anybody else's and stops it afterwards.
#
# The users are written by the tool's own import, from JSON lines made
# here: seven hand-made users for the exact outcomes of rollback and
# suspend, and 20,000 generated ones for an interrupted and resumed run.
# Prints "ok - ..." / "not ok - ..." lines and a last "N passed, N failed".
#
# Environment:
#   TEST_NGINX_REDIS_PORT   the Redis (set by scripts/with-redis.sh)
#   WA_ADMIN                the binary (build/webauthn-admin)
#   ADMIN_RESUME_USERS      users of the resume test (20000)

: "${WA_ADMIN:=build/webauthn-admin}"
: "${ADMIN_RESUME_USERS:=20000}"

port=${TEST_NGINX_REDIS_PORT:-}
if [ -z "$port" ]; then
    echo "not ok - run under scripts/with-redis.sh (make test-admin)"
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0

ok() {
    echo "ok - $1"
    passed=$((passed + 1))
}

notok() {
    echo "not ok - $1 ($2)"
    failed=$((failed + 1))
}

# check NAME GOT WANT
check() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        notok "$1" "got '$2', want '$3'"
    fi
}

cli() {
    redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# T: the time of the bad change; NOW: what the tool writes (--now)
T=1800000000
T_ISO=2027-01-15T08:00:00Z
NOW=1900000000

admin() {
    "$WA_ADMIN" --redis "127.0.0.1:$port" --actor test --now "$NOW" "$@"
}

# run NAME WANT_EXIT ARGS...: the tool's stdout in $tmp/out, stderr in
# $tmp/err; checks the exit status
run() {
    _n=$1 _want=$2
    shift 2
    admin "$@" >"$tmp/out" 2>"$tmp/err"
    _got=$?
    if [ "$_got" = "$_want" ]; then
        ok "$_n: exit $_want"
    else
        notok "$_n: exit $_want" "exit $_got: $(head -c 300 "$tmp/err")"
    fi
}

# the value of KEY in the summary of FILE ($tmp/out)
val() {
    sed -n "s/^$1: //p" "${2:-$tmp/out}"
}

# counts KEY=VALUE... in the summary of $tmp/out
counts() {
    _n=$1
    shift
    _bad=
    for _kv in "$@"; do
        _v=$(val "${_kv%%=*}")
        [ "$_v" = "${_kv#*=}" ] || _bad="$_bad ${_kv%%=*}=$_v (want ${_kv#*=})"
    done
    if [ -z "$_bad" ]; then
        ok "$_n"
    else
        notok "$_n" "$_bad"
    fi
}

# stderr of the last run has TEXT
said() {
    if grep -qF -- "$2" "$tmp/err"; then
        ok "$1"
    else
        notok "$1" "no '$2' in: $(head -c 300 "$tmp/err")"
    fi
}

# A digest of everything in the database: every key, its type and value
# (hashes and sets sorted; a stream by length and last id).  Equal digests
# mean nothing was written.
digest() {
    cli -n "${1:-0}" --no-raw EVAL "
        local keys = redis.call('KEYS', '*')
        table.sort(keys)
        local all = {}
        for _, k in ipairs(keys) do
          local t = redis.call('TYPE', k).ok
          local v = {}
          if t == 'string' then
            v = {redis.call('GET', k)}
          elseif t == 'hash' then
            local h = redis.call('HGETALL', k)
            for i = 1, #h, 2 do v[#v + 1] = h[i] .. '=' .. h[i + 1] end
            table.sort(v)
          elseif t == 'set' then
            v = redis.call('SMEMBERS', k)
            table.sort(v)
          elseif t == 'list' then
            v = redis.call('LRANGE', k, 0, -1)
          elseif t == 'zset' then
            v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES')
          elseif t == 'stream' then
            local last = redis.call('XREVRANGE', k, '+', '-', 'COUNT', 1)
            v = {redis.call('XLEN', k), last[1] and last[1][1] or ''}
          end
          all[#all + 1] = redis.sha1hex(k .. ' ' .. t .. ' '
                                        .. table.concat(v, '\n'))
        end
        return #keys .. ' ' .. redis.sha1hex(table.concat(all))" 0
}

# the export of database $1, sorted
export_sorted() {
    "$WA_ADMIN" --redis "127.0.0.1:$port" --db "${1:-0}" export 2>/dev/null \
        | sort
}

# the newest audit entry of user $1: "field value ..."
audit_entry() {
    cli XRANGE wa:audit - + | awk -v u="$1" '
        function done() { if (cur ~ (" user " u " ")) last = cur }
        /^[0-9]+-[0-9]+$/ { done(); cur = ""; next }
        { cur = cur " " $0 }
        END { done(); print substr(last, 2) }'
}

b64() {
    printf %s "$1" | base64 | tr '+/' '-_' | tr -d '=\n'
}

ukey() {
    echo "wa:{u:$(b64 "$1")}:$2"
}

# the fields of one user's export line, through jq
user_json() {
    export_sorted | jq -c "select(.user == \"$1\") | $2"
}

for prog in redis-cli jq; do
    if ! command -v "$prog" >/dev/null 2>&1; then
        notok "$prog is installed" "make deps"
        exit 1
    fi
done
if [ ! -x "$WA_ADMIN" ]; then
    notok "$WA_ADMIN is built" "make tools"
    exit 1
fi


# ---- usage -----------------------------------------------------------------

"$WA_ADMIN" --help >"$tmp/out" 2>&1
if [ $? = 0 ] && grep -q 'rollback --changed-since TIME' "$tmp/out"; then
    ok "--help: usage on stdout, exit 0"
else
    notok "--help: usage on stdout, exit 0" "$(head -c 200 "$tmp/out")"
fi

run "no command" 2
said "no command: the usage text" "usage: webauthn-admin"
run "unknown command" 2 frobnicate
run "unknown option" 2 stats --frobnicate
run "--reason over 256 bytes" 2 rollback --changed-since "$T" \
    --reason "$(printf '%0257d' 0)"
run "rollback without --changed-since" 2 rollback
run "TIME: a word" 2 rollback --changed-since yesterday
said "TIME: a clear message" '"yesterday" is not a TIME'
run "TIME: a space instead of T" 2 rollback --changed-since "2027-01-15 08:00:00"
run "TIME: no Z" 2 rollback --changed-since 2027-01-15T08:00:00
run "TIME: an offset" 2 rollback --changed-since 2027-01-15T08:00:00+01:00
run "TIME: February 30" 2 rollback --changed-since 2027-02-30T08:00:00Z
run "TIME: negative" 2 rollback --changed-since -5
run "--batch 0" 2 rollback --changed-since "$T" --batch 0
run "--db not a number" 2 --db x stats
run "--output is not an option of rollback" 2 rollback --changed-since "$T" \
    --output "$tmp/x"
run "--state is not an option of export" 2 export --state "$tmp/x"
run "suspend without --registered-since" 2 suspend
run "suspend: before not after since" 2 suspend --registered-since "$T" \
    --registered-before "$T"
run "--redis without a port" 2 --redis localhost stats
run "--password-file missing" 2 --password-file "$tmp/nonexistent" stats

start=$(date +%s)
"$WA_ADMIN" --redis 127.0.0.1:1 stats >"$tmp/out" 2>"$tmp/err"
st=$?
check "Redis not reachable (TCP): exit 2" "$st" 2
check "Redis not reachable: quickly" "$(( $(date +%s) - start < 4 ))" 1
said "Redis not reachable: says so" "cannot connect to Redis"
"$WA_ADMIN" --redis "unix:$tmp/no.sock" rollback --changed-since "$T" \
    >"$tmp/out" 2>"$tmp/err"
check "Redis not reachable (unix socket): exit 2" "$?" 2


# ---- seven users -------------------------------------------------------------

# T = 1800000000.  What each one is for:
#   alice  changed after T: A2 added after T, A3 set aside after T
#          -> back to {A1, A3}: restore 1, remove 1
#   bob    changed before T -> unchanged
#   carol  C2 revoked after T, C3 added -> {C1}: remove 1, C2 stays
#          revoked (skipped)
#   dave   only a snapshot from after T -> no snapshot
#   erin   active set already the snapshot -> at LKG
#   frank  the snapshot names a passkey with no hash -> at LKG, skipped 1
#   gina   newest snapshot after T, the one before -> remove G2
cat >"$tmp/seven.jsonl" <<'EOF'
{"user":"alice","handle":"aGFsaWNl","created":1799990000,"changed":1800000100,"ver":4,"snap":3,"credentials":[{"id":"QTE","pk":"cGsx","alg":-7,"created":1799999000,"transports":["internal","hybrid"]},{"id":"QTI","pk":"cGsy","alg":-7,"created":1800000050},{"id":"QTM","active":false,"pk":"cGsz","alg":-8,"created":1799998000,"removed":1800000060}],"snapshots":[{"taken":1799999990,"changed":1799999500,"credentials":["QTE","QTM"]}]}
{"user":"bob","handle":"aGJvYg","created":1799990000,"changed":1799999900,"credentials":[{"id":"QjE","pk":"cGsx","alg":-257,"created":1799990000,"aaguid":"FBFC3007-154E-4ECC-8C0B-6E020557D7BD","be":true,"bs":true,"uv":true,"count":7,"used":1799999950,"fmt":"packed"}],"snapshots":[{"taken":1799999950,"changed":1799999900,"credentials":["QjE"]}]}
{"user":"carol","handle":"aGNhcm9s","created":1799990000,"changed":1800000010,"credentials":[{"id":"QzE","pk":"cGsx","alg":-7,"created":1799990000},{"id":"QzI","active":false,"pk":"cGsy","alg":-7,"created":1799990000,"revoked":1800000005},{"id":"QzM","pk":"cGsz","alg":-7,"created":1800000008}],"snapshots":[{"taken":1799999980,"changed":1799999970,"credentials":["QzE","QzI"]}]}
{"user":"dave","handle":"aGRhdmU","created":1799990000,"changed":1800000010,"credentials":[{"id":"RDE","pk":"cGsx","alg":-7,"created":1799999900}],"snapshots":[{"taken":1800000020,"changed":1800000010,"credentials":["RDE"]}]}
{"user":"erin","handle":"aGVyaW4","created":1799990000,"changed":1800000010,"credentials":[{"id":"RTE","pk":"cGsx","alg":-7,"created":1799990000}],"snapshots":[{"taken":1799999995,"changed":1799999950,"credentials":["RTE"]}]}
{"user":"frank","handle":"aGZyYW5r","created":1799990000,"changed":1800000010,"credentials":[{"id":"RjE","pk":"cGsx","alg":-7,"created":1799990000}],"snapshots":[{"taken":1799999995,"changed":1799999950,"credentials":["RjE","Rjk"]}]}
{"user":"gina","handle":"aGdpbmE","created":1799990000,"changed":1800000010,"credentials":[{"id":"RzE","pk":"cGsx","alg":-7,"created":1799990000},{"id":"RzI","pk":"cGsy","alg":-7,"created":1800000005}],"snapshots":[{"taken":1800000020,"changed":1800000010,"credentials":["RzE","RzI"]},{"taken":1799999990,"changed":1799999980,"credentials":["RzE"]}]}
EOF

cli FLUSHALL >/dev/null
run "import of seven users" 0 import --input "$tmp/seven.jsonl"
counts "import of seven users: counts" lines_read=7 users_imported=7 \
    credentials_imported=12 lines_refused=0
check "import: the claim of a passkey id" "$(cli GET 'wa:{c:QTE}')" alice
check "import: the claim of a handle" "$(cli GET 'wa:{h:aGFsaWNl}')" alice
check "import: the active set" \
    "$(cli SMEMBERS "$(ukey alice creds)" | sort | tr '\n' ' ')" "QTE QTI "
check "import: every passkey in :all" \
    "$(cli SMEMBERS "$(ukey alice all)" | sort | tr '\n' ' ')" "QTE QTI QTM "
check "import: snapshots as the module keeps them" \
    "$(cli LRANGE "$(ukey gina lkg)" 0 -1 | tr '\n' '|')" \
    "1800000020 1800000010 RzE,RzI|1799999990 1799999980 RzE|"
check "import: transports in the module's order" \
    "$(cli HGET "$(ukey alice cred:QTE)" transports)" "hybrid,internal"
check "import: aaguid lowercased" \
    "$(cli HGET "$(ukey bob cred:QjE)" aaguid)" \
    "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
check "import: one audit entry per user" "$(cli XLEN wa:audit)" 7
check "import: the audit entry" "$(audit_entry gina)" \
    "event import user gina actor test time 1900000000 credentials 2"
check "import: every user in the index of changed users, with its changed" \
    "$(cli HGETALL wa:changed | paste -d' ' - - | sort | tr '\n' ' ')" \
    "alice 1800000100 bob 1799999900 carol 1800000010 dave 1800000010 erin 1800000010 frank 1800000010 gina 1800000010 "
check "import: the index is not marked complete" \
    "$(cli EXISTS wa:changed:complete)" 0

export_sorted >"$tmp/before.jsonl"
dbsize_before=$(cli DBSIZE)
digest_before=$(digest)

# -- rollback, dry run

want_rb="users_scanned=7 users_unchanged=1 users_rolled_back=3 users_at_lkg=2
    users_no_snapshot=1 users_gone=0 users_failed=0 credentials_restored=1
    credentials_removed=3 credentials_skipped=2"

# -- without the mark of a complete index: SCAN, and it says so

# shellcheck disable=SC2086
run "rollback --dry-run, no complete index" 0 rollback --changed-since \
    "$T_ISO" --dry-run
counts "rollback --dry-run, no complete index: counts" dry_run=yes $want_rb
said "rollback --dry-run, no complete index: scans, and says so" \
    "every key is scanned"

# -- reindex: the index complete, marked

cli HDEL wa:changed bob carol >/dev/null
run "reindex" 0 reindex
counts "reindex: counts" users_scanned=7 users_indexed=7 \
    users_never_changed=0 users_gone=0 users_failed=0
check "reindex: the users written before the index are in it" \
    "$(cli HMGET wa:changed bob carol | tr '\n' ' ')" "1799999900 1800000010 "
check "reindex: the index marked complete" \
    "$(cli GET wa:changed:complete)" "$NOW"
dbsize_before=$(cli DBSIZE)
digest_before=$(digest)

# shellcheck disable=SC2086
run "rollback --dry-run" 0 rollback --changed-since "$T_ISO" --dry-run
counts "rollback --dry-run: counts" dry_run=yes $want_rb
if grep -q "every key is scanned" "$tmp/err"; then
    notok "rollback --dry-run: the index, not SCAN" "$(cat "$tmp/err")"
else
    ok "rollback --dry-run: the index, not SCAN"
fi
# shellcheck disable=SC2086
run "rollback --dry-run --scan" 0 rollback --changed-since "$T_ISO" \
    --dry-run --scan
counts "rollback --dry-run --scan: the same counts" dry_run=yes $want_rb
check "rollback --dry-run: nothing written (digest)" "$(digest)" \
    "$digest_before"
check "rollback --dry-run: nothing written (DBSIZE)" "$(cli DBSIZE)" \
    "$dbsize_before"
check "rollback --dry-run: no audit entry" "$(cli XLEN wa:audit)" 7
export_sorted >"$tmp/after.jsonl"
if cmp -s "$tmp/before.jsonl" "$tmp/after.jsonl"; then
    ok "rollback --dry-run: the export is the same"
else
    notok "rollback --dry-run: the export is the same" "it differs"
fi

# -- rollback

run "rollback" 0 rollback --changed-since "$T_ISO" --reason incident-42
# shellcheck disable=SC2086
counts "rollback: counts" dry_run=no interrupted=no $want_rb
if [ "$(digest)" != "$digest_before" ]; then
    ok "rollback: the digest sees the change"
else
    notok "rollback: the digest sees the change" "the same digest"
fi

check "rollback: alice's active set is the snapshot's" \
    "$(cli SMEMBERS "$(ukey alice creds)" | sort | tr '\n' ' ')" "QTE QTM "
check "rollback: alice's passkeys" \
    "$(user_json alice '[.changed, [.credentials[] | [.id, .active, .removed, .probation]]]')" \
    '[1900000000,[["QTE",true,null,null],["QTI",false,1900000000,null],["QTM",true,null,1900000000]]]'
check "rollback: a revoked passkey is not restored" \
    "$(user_json carol '[.credentials[] | [.id, .active, .revoked, .removed]]')" \
    '[["QzE",true,null,null],["QzI",false,1800000005,null],["QzM",false,null,1900000000]]'
check "rollback: gina back to the snapshot from before T" \
    "$(cli SMEMBERS "$(ukey gina creds)" | tr '\n' ' ')" "RzE "
check "rollback: the session epochs of the users changed" \
    "$(for u in alice carol gina; do cli GET "$(ukey $u epoch)"; done \
       | tr '\n' ' ')" "1 1 1 "
check "rollback: no epoch for the others" \
    "$(for u in bob dave erin frank; do cli EXISTS "$(ukey $u epoch)"; done \
       | tr '\n' ' ')" "0 0 0 0 "
check "rollback: one audit entry per user changed" "$(cli XLEN wa:audit)" 10
check "rollback: the audit entries" \
    "$(cli XRANGE wa:audit - + | awk 'p == "event" { e = $0 }
        p == "user" && e == "rollback" { print } { p = $0 }' \
       | sort | tr '\n' ' ')" "alice carol gina "
check "rollback: the audit entry's actor and details" "$(audit_entry gina)" \
    "event rollback user gina actor test time 1900000000 restored 0 removed 1 skipped 0 snapshot 1799999990 credentials RzE reason incident-42"
check "rollback: the user's event list" \
    "$(cli LINDEX "$(ukey alice events)" 0 | jq -r .event)" rollback
check "rollback: the index has the new changed of those rolled back" \
    "$(cli HMGET wa:changed alice bob carol dave gina | tr '\n' ' ')" \
    "1900000000 1799999900 1900000000 1800000010 1900000000 "
check "rollback: the index is what the users' changed say" \
    "$(cli HGETALL wa:changed | paste -d' ' - - | sort | tr '\n' ' ')" \
    "$(for u in alice bob carol dave erin frank gina; do
         echo "$u $(cli HGET "$(ukey $u user)" changed)"; done | tr '\n' ' ')"
export_sorted >"$tmp/after.jsonl"
for u in bob dave erin frank; do
    check "rollback: $u untouched" "$(grep "\"user\":\"$u\"" "$tmp/after.jsonl")" \
        "$(grep "\"user\":\"$u\"" "$tmp/before.jsonl")"
done

# -- the same rollback again

digest_rb=$(digest)
run "rollback again" 0 rollback --changed-since "$T"
counts "rollback again: everyone at LKG or unchanged" users_scanned=7 \
    users_unchanged=1 users_rolled_back=0 users_at_lkg=5 users_no_snapshot=1 \
    credentials_restored=0 credentials_removed=0
check "rollback again: nothing written" "$(digest)" "$digest_rb"
run "rollback since after every change: the index only" 0 rollback \
    --changed-since $((NOW + 1)) --verbose
counts "rollback since after every change: counts" users_scanned=7 \
    users_unchanged=7 users_rolled_back=0 users_at_lkg=0
check "rollback since after every change: no script, no message" \
    "$(cat "$tmp/err")" ""

# -- old data, written before the index existed: no index, no mark

cli DEL wa:changed wa:changed:complete >/dev/null
run "rollback, no index at all" 0 rollback --changed-since "$T"
counts "rollback, no index at all: SCAN, the same counts" users_scanned=7 \
    users_unchanged=1 users_rolled_back=0 users_at_lkg=5 users_no_snapshot=1
run "reindex of old data" 0 reindex --batch 2
counts "reindex of old data: counts" users_scanned=7 users_indexed=7
check "reindex of old data: the index" \
    "$(cli HGETALL wa:changed | paste -d' ' - - | sort | tr '\n' ' ')" \
    "$(for u in alice bob carol dave erin frank gina; do
         echo "$u $(cli HGET "$(ukey $u user)" changed)"; done | tr '\n' ' ')"
digest_rb=$(digest)
run "reindex again" 0 reindex
check "reindex again: nothing else written" "$(digest)" "$digest_rb"
cli HSET "$(ukey zoe user)" handle aHpvZQ created 1799990000 >/dev/null
cli HSET wa:changed ghost 1800000500 >/dev/null
run "reindex: a user never changed" 0 reindex
counts "reindex: a user never changed: counts" users_scanned=8 \
    users_indexed=7 users_never_changed=1
check "reindex: a user never changed is not in the index" \
    "$(cli HEXISTS wa:changed zoe)" 0
run "rollback: a user of the index with no record" 0 rollback \
    --changed-since "$T"
counts "rollback: a user of the index with no record: gone" \
    users_scanned=8 users_gone=1 users_unchanged=1 users_at_lkg=5
cli DEL "$(ukey zoe user)" >/dev/null
cli HDEL wa:changed ghost >/dev/null

# -- stats

cli SET "$(ukey bob lock)" 1 EX 600 >/dev/null
cli SET "$(ukey erin grant)" 00ff EX 600 >/dev/null
run "stats" 0 stats
counts "stats: counts" users=7 users_with_passkeys=7 users_locked=1 \
    users_with_grant=1 credentials_active=8 credentials_revoked=1 \
    credentials_suspended=0 credentials_removed=3 credentials_other=0 \
    audit_length=10 users_failed=0

# -- export, FLUSHALL, import, export

export_sorted >"$tmp/e1.jsonl"
check "export: one line per user" "$(wc -l <"$tmp/e1.jsonl" | tr -d ' ')" 7
if jq -e . "$tmp/e1.jsonl" >/dev/null 2>&1; then
    ok "export: JSON lines"
else
    notok "export: JSON lines" "jq refuses it"
fi
check "export: the members in order" \
    "$(head -n 1 "$tmp/e1.jsonl" | jq -r 'keys_unsorted | join(",")')" \
    "user,handle,created,changed,ver,snap,credentials,snapshots"
check "export: a passkey's members in order" \
    "$(grep '"user":"bob"' "$tmp/e1.jsonl" | jq -r '.credentials[0] | keys_unsorted | join(",")')" \
    "id,active,pk,alg,count,transports,aaguid,be,bs,uv,fmt,created,used"
check "export: compact" "$(grep -c ' ' "$tmp/e1.jsonl")" 0
run "export --output" 0 export --output "$tmp/e-file.jsonl"
check "export --output: the same lines" "$(sort "$tmp/e-file.jsonl")" \
    "$(cat "$tmp/e1.jsonl")"
counts "export: counts" users_scanned=7 users_exported=7 \
    credentials_exported=12 users_failed=0
cli FLUSHALL >/dev/null
run "import of the export" 0 import --input "$tmp/e1.jsonl"
export_sorted >"$tmp/e2.jsonl"
if cmp -s "$tmp/e1.jsonl" "$tmp/e2.jsonl"; then
    ok "export, FLUSHALL, import, export: the same"
else
    notok "export, FLUSHALL, import, export: the same" \
        "$(diff "$tmp/e1.jsonl" "$tmp/e2.jsonl" | head -c 400)"
fi

# -- suspend

cli FLUSHALL >/dev/null
admin import --input "$tmp/seven.jsonl" >/dev/null 2>&1
digest_before=$(digest)
run "suspend --dry-run" 0 suspend --registered-since "$T_ISO" \
    --registered-before $((T + 60)) --dry-run
counts "suspend --dry-run: counts" dry_run=yes users_scanned=7 \
    users_suspended=3 credentials_suspended=3
check "suspend --dry-run: nothing written" "$(digest)" "$digest_before"
run "suspend" 0 suspend --registered-since "$T_ISO" \
    --registered-before $((T + 60)) --reason incident-42
counts "suspend: counts" dry_run=no users_scanned=7 users_suspended=3 \
    credentials_suspended=3 users_failed=0
check "suspend: the passkeys" \
    "$(user_json alice '[.changed, [.credentials[] | [.id, .active, .suspended]]]')" \
    '[1900000000,[["QTE",true,null],["QTI",false,1900000000],["QTM",false,null]]]'
check "suspend: the session epochs" \
    "$(for u in alice carol gina bob; do cli GET "$(ukey $u epoch)"; done \
       | tr '\n' ' ')" "1 1 1  "
check "suspend: one audit entry per user" "$(cli XLEN wa:audit)" 10
check "suspend: the audit entry" "$(audit_entry gina)" \
    "event suspend user gina actor test time 1900000000 suspended 1 credentials RzI reason incident-42"
check "suspend: the index has the new changed of those suspended" \
    "$(cli HMGET wa:changed alice bob gina | tr '\n' ' ')" \
    "1900000000 1799999900 1900000000 "
digest_su=$(digest)
run "suspend again" 0 suspend --registered-since "$T_ISO" \
    --registered-before $((T + 60))
counts "suspend again: nothing left to suspend" users_suspended=0 \
    credentials_suspended=0
check "suspend again: nothing written" "$(digest)" "$digest_su"
run "suspend with no end" 0 suspend --registered-since 1799999000 --dry-run
counts "suspend with no end: counts" users_suspended=2 credentials_suspended=2
# gina's newest snapshot (from before NOW) has the passkey suspended
run "rollback after suspend" 0 rollback --changed-since "$NOW"
counts "rollback after suspend: counts" users_rolled_back=2 \
    credentials_restored=2 credentials_removed=0 users_unchanged=4
check "rollback after suspend: a suspended passkey restored" \
    "$(user_json gina '[.credentials[] | [.id, .active, .suspended, .probation]]')" \
    '[["RzE",true,null,null],["RzI",true,null,1900000000]]'


# ---- import refusals -----------------------------------------------------------

cli FLUSHALL >/dev/null
admin import --input "$tmp/seven.jsonl" >/dev/null 2>&1
big=$(head -c 3000 /dev/zero | tr '\0' A)
cat >"$tmp/bad.jsonl" <<EOF
{"user":"zed","handle":"emVk","credentials":[{"id":"WjE","pk":"cGsx","alg":-7}]}
{"user":"alice","handle":"bmV3","credentials":[]}
{"user":"xavier","handle":"eGF2","credentials":[{"id":"QTE","pk":"cGsx","alg":-7}]}
{"user":
{"user":"x1","handle":"eDE","credentials":[],"nickname":"x"}
{"user":"x2","handle":"eDI","credentials":[{"id":"eDI","pk":"cGsx","alg":-7,"colour":"red"}]}
{"user":"x3","handle":"eDM","credentials":[{"id":"QQ==","pk":"cGsx","alg":-7}]}
{"user":"x4","user":"x5","handle":"eDQ","credentials":[]}
{"user":"x6","handle":"aGFsaWNl","credentials":[]}
{"user":"x7","handle":"eDc","credentials":[{"id":"eDc","pk":"$big","alg":-7}]}
{"user":"zed","handle":"emVkMg","credentials":[]}
{"user":"x8","handle":"eDg","credentials":[{"id":"eDg","pk":"cGsx","alg":"-7"}]}
{"user":"x9","handle":"eDk","credentials":[{"id":"eDk","pk":"cGsx","alg":-7,"revoked":5}]}
{"user":"y1","credentials":[]}
{"user":"y2","handle":"eTI","credentials":[{"id":"eTI","pk":"cGsx","alg":-7},{"id":"eTI","pk":"cGsx","alg":-7}]}
{"user":"y3","handle":"eTM","credentials":[]} trailing
{"user":"yoko","handle":"eW9rbw","credentials":[{"id":"WTE","pk":"cGs","alg":-7}]}
{"user":"y4","handle":"eTQ","credentials":[{"id":"eTQ","pk":"cGsx","alg":-7,"transports":["usb","carrier-pigeon"]}]}
EOF
head -c 1100000 /dev/zero | tr '\0' ' ' >>"$tmp/bad.jsonl"
echo >>"$tmp/bad.jsonl"
echo '{"user":"y5","handle":"eTU","credentials":[{"id":"eTU","pk":"cGsx","alg":-7,"aaguid":"not-a-uuid"}]}' \
    >>"$tmp/bad.jsonl"
echo '{"user":"y6\u0007","handle":"eTY","credentials":[]}' >>"$tmp/bad.jsonl"

check_refusals() {
    for want in \
        "line 2: user alice already exists" \
        "line 3: credential id QTE belongs to another user" \
        "line 4: not JSON" \
        "line 5: unknown member \"nickname\"" \
        "line 6: credentials[0]: unknown member \"colour\"" \
        "line 7: credentials[0].id" \
        "line 8: not JSON: duplicate object key" \
        "line 9: handle aGFsaWNl belongs to another user" \
        "line 10: credentials[0].pk: not base64url" \
        "line 11: user zed is also on line 1" \
        "line 12: credentials[0].alg: not an integer" \
        "line 13: credentials[0].active: a revoked credential is never active" \
        "line 14: handle: missing" \
        "line 15: credential id eTI twice in the line" \
        "line 16: not JSON" \
        "line 18: credentials[0].transports" \
        "line 19: longer than 1048576 bytes" \
        "line 20: credentials[0].aaguid: not a UUID" \
        "line 21: user: missing, or not printable"
    do
        said "$1: $want" "$want"
    done
    check "$1: lines 1 and 17 not refused" \
        "$(grep -c -e '^webauthn-admin: line 1:' -e '^webauthn-admin: line 17:' \
           "$tmp/err")" 0
}

digest_before=$(digest)
run "import --dry-run of bad lines" 1 import --dry-run --input "$tmp/bad.jsonl"
counts "import --dry-run: counts" dry_run=yes lines_read=21 users_imported=2 \
    credentials_imported=2 lines_refused=19
check_refusals "import --dry-run"
check "import --dry-run: nothing written" "$(digest)" "$digest_before"

run "import of bad lines" 1 import --input "$tmp/bad.jsonl"
counts "import: counts" dry_run=no lines_read=21 users_imported=2 \
    credentials_imported=2 lines_refused=19
check_refusals "import"
check "import: the good lines are in" \
    "$(cli EXISTS "$(ukey zed user)" "$(ukey yoko user)")" 2
check "import: a refused line wrote nothing" \
    "$(cli EXISTS "$(ukey xavier user)" 'wa:{h:eGF2}')" 0
check "import: alice untouched" \
    "$(export_sorted | grep '"user":"alice"')" \
    "$(grep '"user":"alice"' "$tmp/before.jsonl")"
check "import: a migration line gets the defaults" \
    "$(user_json yoko '[.created, .changed, .credentials[0]]')" \
    '[1900000000,1900000000,{"id":"WTE","active":true,"pk":"cGs","alg":-7,"count":0,"transports":[],"aaguid":"00000000-0000-0000-0000-000000000000","be":false,"bs":false,"uv":false,"fmt":"none","created":1900000000,"used":0}]'
cli SET "$(ukey w1 epoch)" 5 >/dev/null
printf '%s\n' '{"user":"w1","handle":"dzE","credentials":[]}' \
    | admin import >"$tmp/out" 2>"$tmp/err"
check "import from stdin" "$(val users_imported)" 1
check "import: a session epoch left behind moves on" \
    "$(cli GET "$(ukey w1 epoch)")" 6
check "import: no epoch made when there was none" \
    "$(cli EXISTS "$(ukey yoko epoch)")" 0


# ---- an interrupted rollback, resumed ------------------------------------------

# ADMIN_RESUME_USERS users, each with a passkey from before T and one from
# after; the snapshot has the first: a rollback removes the second.
awk -v n="$ADMIN_RESUME_USERS" 'BEGIN {
    for (i = 0; i < n; i++) {
        u = sprintf("%06d", i)
        printf "{\"user\":\"user%s\",\"handle\":\"H%sx\",", u, u
        printf "\"created\":1799990000,\"changed\":1800000100,"
        printf "\"credentials\":[{\"id\":\"K%sa\",\"pk\":\"cGsx\",", u
        printf "\"alg\":-7,\"created\":1799999000},{\"id\":\"K%sb\",", u
        printf "\"pk\":\"cGsy\",\"alg\":-7,\"created\":1800000050}],"
        printf "\"snapshots\":[{\"taken\":1799999990,\"changed\":1799999500,"
        printf "\"credentials\":[\"K%sa\"]}]}\n", u
    }
}' >"$tmp/many.jsonl"

cli FLUSHALL >/dev/null
for db in 0 1; do
    run "import of $ADMIN_RESUME_USERS users into db $db" 0 --db $db import \
        --input "$tmp/many.jsonl"
    counts "import into db $db: counts" users_imported="$ADMIN_RESUME_USERS" \
        lines_refused=0
done
# db 0 by the index (resumed), db 1 by SCAN (not): the same outcome
run "reindex of db 0" 0 --db 0 reindex
counts "reindex of db 0: counts" users_indexed="$ADMIN_RESUME_USERS"

# the binary itself in the background, not a function: the signal is
# for it, not for a subshell
state=$tmp/rb.state
"$WA_ADMIN" --redis "127.0.0.1:$port" --actor test --now "$NOW" \
    rollback --changed-since "$T" --batch 10 --state "$state" \
    >"$tmp/out1" 2>"$tmp/err1" &
pid=$!
i=0
while [ ! -f "$state" ] && [ $i -lt 200 ]; do
    sleep 0.02
    i=$((i + 1))
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
check "interrupted rollback: exit 130" "$?" 130
check "interrupted rollback: says so" "$(val interrupted "$tmp/out1")" yes
part=$(val users_scanned "$tmp/out1")
if [ -n "$part" ] && [ "$part" -gt 0 ] \
    && [ "$part" -lt "$ADMIN_RESUME_USERS" ]
then
    ok "interrupted rollback: stopped part-way ($part users)"
else
    notok "interrupted rollback: stopped part-way" "users_scanned '$part'"
fi
check "interrupted rollback: the state file" "$(sed -n 's/^finished //p' \
    "$state")" 0
check "interrupted rollback: the state names the walk" \
    "$(sed -n 's/^walk //p' "$state")" index
check "interrupted rollback: the state has the counts so far" \
    "$(sed -n 's/^count users_scanned //p' "$state")" "$part"

run "resumed rollback" 0 rollback --changed-since "$T" --batch 10 \
    --state "$state"
counts "resumed rollback: the summary covers the whole run" resumed=yes \
    interrupted=no users_scanned="$ADMIN_RESUME_USERS" \
    users_rolled_back="$ADMIN_RESUME_USERS" users_at_lkg=0 \
    credentials_removed="$ADMIN_RESUME_USERS" users_failed=0

# HSCAN's cursor, like SCAN's, does not come back to the users done before
# the interruption; every user has its new changed in the index
check "resumed rollback: every index entry now" \
    "$(cli HVALS wa:changed | sort -u)" "$NOW"

# and Redis forgets its scripts in the middle of it (SCRIPT FLUSH): the
# tool loads them again and sends the users' commands again
"$WA_ADMIN" --redis "127.0.0.1:$port" --actor test --now "$NOW" --db 1 \
    rollback --changed-since "$T" --batch 10 >"$tmp/out-db1" 2>"$tmp/err" &
pid=$!
sleep 0.2
cli SCRIPT FLUSH >/dev/null
wait "$pid"
check "uninterrupted rollback of db 1, SCRIPT FLUSH meanwhile: exit 0" "$?" 0
for k in users_scanned users_rolled_back users_at_lkg credentials_removed; do
    check "resumed and uninterrupted runs: $k" \
        "$(val $k "$tmp/out-db1")" "$(val $k "$tmp/out")"
done
if export_sorted 0 >"$tmp/db0.jsonl" && export_sorted 1 >"$tmp/db1.jsonl" \
    && cmp -s "$tmp/db0.jsonl" "$tmp/db1.jsonl"
then
    ok "resumed and uninterrupted runs: the same data"
else
    notok "resumed and uninterrupted runs: the same data" \
        "$(diff "$tmp/db0.jsonl" "$tmp/db1.jsonl" | head -c 300)"
fi
check "resumed run: one audit entry per user" "$(cli XLEN wa:audit)" \
    "$(cli -n 1 XLEN wa:audit)"
epochs() {
    cli -n "$1" EVAL "local n = 0
        for _, k in ipairs(redis.call('KEYS', 'wa:{u:*}:epoch')) do
          n = n + tonumber(redis.call('GET', k))
        end
        return n" 0
}
check "resumed run: every epoch bumped once" "$(epochs 0)" \
    "$ADMIN_RESUME_USERS"
check "uninterrupted run: every epoch bumped once" "$(epochs 1)" \
    "$ADMIN_RESUME_USERS"

run "a finished state file" 0 rollback --changed-since "$T" --state "$state"
said "a finished state file: says so" "is finished"
run "a state file of other arguments" 2 rollback --changed-since $((T + 1)) \
    --state "$state"
said "a state file of other arguments: says so" "another command or other"
run "a state file of another command" 2 suspend --registered-since "$T" \
    --state "$state"
printf 'hello\n' >"$tmp/not-a-state"
run "not a state file" 2 rollback --changed-since "$T" --state \
    "$tmp/not-a-state"


echo "# test-admin.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
