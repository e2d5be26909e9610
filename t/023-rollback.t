# Last-known-good snapshots and rollback (issue 4, recovery): every
# successful passkey login records the user's active set when it changed
# since the last snapshot; the admin API rolls a user back to a snapshot:
# passkeys added since are removed (credential_suspended at login), those
# of the snapshot come back on probation, revoked ones never; every
# session ends.  Every change is one entry of the audit stream.  Needs a
# real Redis: scripts/with-redis.sh.

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $Token = 'ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f';

our $HttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    webauthn_enroll open;
    webauthn_lockout 3 window=10m backoff=60s max=10m;
_EOC_

# /vault/ refuses passkeys on probation, /board/ does not
our $Config = $WebAuthnTest::Endpoints . <<'_EOC_';
    location /vault/ {
        webauthn_gate passkey;
        webauthn_probation 1h;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /board/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
_EOC_

our $UserFiles = <<"_EOF_";
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
>>> admin.tokens
$Token
_EOF_

sub err_like {
    my ($code, $action) = @_;
    $action //= '[a-z_]+';
    return qr/^\{"error":"$code","message":"(?:[^"\\]|\\.)+","action":"$action"\}$/;
}

# POST users/alice/rollback (with a body, if given); its JSON, its status
# checked
sub rollback {
    my ($body, $want) = @_;
    my $res = wa_admin('POST', 'users/alice/rollback', $::Token, $body);
    my $ok = is $res->code, $want // 200, wa_name() . ' - rollback: ' . ($want // 200);
    diag 'got ' . $res->describe if !$ok;
    return $res->json;
}

# the counts of a rollback's answer
sub counts {
    my ($r, %want) = @_;
    my %got = map { $_ => $r->{$_} } keys %want;
    is_deeply \%got, \%want,
        wa_name() . ' - rollback: ' . join(', ', map { "$_ $want{$_}" } sort keys %want);
}

# the credentials of GET users/alice, by id
sub creds_of {
    my $u = wa_admin('GET', 'users/' . (shift // 'alice'), $::Token)->json;
    return { map { $_->{id} => $_ }
             @{ ref $u->{credentials} eq 'ARRAY' ? $u->{credentials} : [] } };
}

sub id_of { my $c = shift; return $c ? $c->{id} : 'none' }

# waits for the next second: a change of the set then happens in another
# second than the last snapshot (TEST 5 shows why it matters)
sub next_second {
    my $t = time;
    Time::HiRes::sleep(0.05) while time <= $t;
}

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a login records a snapshot: "TAKEN CHANGED ID" in wa:{u:U}:lkg
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $t0 = time;
my $cred = $alice->register;
is wa_redis('LLEN', 'wa:{u:YWxpY2U}:lkg'), '0', "$name - no snapshot before a login";
$alice->login;
my $t1 = time;
my $out = wa_redis('LRANGE', 'wa:{u:YWxpY2U}:lkg', 0, -1);
like $out, qr/^\d{10} \d{10} [A-Za-z0-9_-]{43}$/, "$name - one snapshot, TAKEN CHANGED ID";
my ($s) = wa_lkg('alice');
$s ||= {};
ok defined $s->{taken} && $s->{taken} >= $t0 - 2 && $s->{taken} <= $t1 + 2, "$name - TAKEN: the login";
ok defined $s->{changed} && $s->{changed} >= $t0 - 2 && $s->{changed} <= ($s->{taken} // 0),
    "$name - CHANGED: the registration, not after TAKEN";
is_deeply $s->{ids}, [::id_of($cred)], "$name - the passkey";
my $u = wa_admin('GET', 'users/alice', $::Token)->json;
is_deeply $u->{lkg}, {taken => $s->{taken}, changed => $s->{changed}, credentials => $s->{ids}},
    "$name - GET users/alice shows it as lkg";
$alice->login;
is wa_redis('LLEN', 'wa:{u:YWxpY2U}:lkg'), '1', "$name - a login with the same set adds none";
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token"
--- error_code: 200
--- response_body_like: "lkg":\{(?=[^}]*"taken":\d+)(?=[^}]*"changed":\d+)(?=[^}]*"credentials":\["[A-Za-z0-9_-]{43}"\])
--- no_error_log
[alert]
[emerg]



=== TEST 2: the key is wa:{u:<base64url of the name, no padding>}:lkg
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
# "~~?x" is "fn4/eA==" in base64, "fn4_eA" in base64url without padding
my $c = wa_client('~~?x');
my $cred = $c->register;
$c->login;
is wa_redis('LLEN', 'wa:{u:fn4_eA}:lkg'), '1', "$name - wa:{u:fn4_eA}:lkg";
is wa_redis('EXISTS', 'wa:{u:fn4/eA==}:lkg'), '0', "$name - not the base64 with padding";
$c->final(undef);
--- request
GET /board/balance.json
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 3: a new set, a new snapshot (a second later): newest first, the ids sorted and comma-separated
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $pa = $alice->register(alg => -7);
$alice->login;
::next_second();
my $pb = $alice->register(alg => -8);
is wa_redis('LLEN', wa_ukey('alice', 'lkg')), '1', "$name - registering adds no snapshot";
$alice->login(cred => $pb);
my @s = wa_lkg('alice');
is scalar(@s), 2, "$name - two snapshots";
my @ids = sort { $a cmp $b } map { ::id_of($_) } $pa, $pb;
is_deeply $s[0] && $s[0]{ids}, \@ids, "$name - the newest: both, sorted";
like $s[0] && $s[0]{raw}, qr/^\d+ \d+ \Q$ids[0]\E,\Q$ids[1]\E$/, "$name - comma-separated";
is_deeply $s[1] && $s[1]{ids}, [::id_of($pa)], "$name - the oldest: the first";
ok $s[0] && $s[1] && $s[0]{taken} >= $s[1]{taken}, "$name - newest first";
ok $s[0] && $s[1] && $s[0]{changed} >= $s[1]{changed}, "$name - CHANGED moves with the set";
$alice->login(cred => $pa);
is wa_redis('LLEN', wa_ukey('alice', 'lkg')), '2', "$name - the same set again: no snapshot";
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 4: at most 8 snapshots
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my @all = (scalar $alice->register);
$alice->login;
for my $i (1 .. 9) {
    ::next_second();
    my $c = $alice->register;
    push @all, $c;
    $alice->login(cred => $c);
}
my @s = wa_lkg('alice');
is scalar(@s), 8, "$name - 8 snapshots kept of 10";
is_deeply $s[0] && $s[0]{ids}, [sort { $a cmp $b } map { ::id_of($_) } @all], "$name - the newest has all 10";
is scalar(@{ $s[7] && $s[7]{ids} || [] }), 3, "$name - the oldest kept has 3";
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 5: a passkey added in the same second as the last snapshot: still a new snapshot at the next login
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
# register, log in, register, log in: at once, as a script (or an app that
# registers a passkey and signs in with it right away) would
my $pa = $alice->register(alg => -7);
$alice->login;
my $pb = $alice->register(alg => -8);
$alice->login(cred => $pb);
my @s = wa_lkg('alice');
is scalar(@s), 2, "$name - two snapshots";
is_deeply $s[0] && $s[0]{ids}, [sort { $a cmp $b } map { ::id_of($_) } $pa, $pb],
    "$name - the newest has the passkey just used";
# the passkey that signed in successfully is part of the last-known-good
# set: a rollback to it keeps it
my $r = ::rollback();
::counts($r, restored => 0, removed => 0, active => 2, skipped => 0);
$alice->final($alice->assertion($alice->login_options, cred => $pb));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 6: rollback removes a passkey added since the snapshot: restored 0, removed 1
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $old = $alice->register(alg => -7);
$alice->login;
my $new = $alice->register(alg => -8);
my ($s) = wa_lkg('alice');
my $t0 = time;
my $r = ::rollback({reason => 'phone stolen'});
my $t1 = time;
is $r->{status}, 'ok', "$name - status ok";
::counts($r, restored => 0, removed => 1, active => 1, skipped => 0);
is $r->{snapshot}, $s && $s->{taken}, "$name - snapshot: the TAKEN of the snapshot used";
my $c = ::creds_of('alice');
is $c->{::id_of($new)}{status}, 'removed', "$name - the new passkey: removed";
my $at = $c->{::id_of($new)}{removedAt};
ok defined $at && $at >= $t0 - 2 && $at <= $t1 + 2, "$name - removedAt";
is $c->{::id_of($old)}{status}, 'active', "$name - the old passkey: active";
is wa_redis('SISMEMBER', wa_ukey('alice', 'creds'), ::id_of($new)), '0', "$name - not in :creds";
is wa_redis('SISMEMBER', wa_ukey('alice', 'all'), ::id_of($new)), '1', "$name - still in :all";
my $opts = $alice->login_options;
is_deeply [map { $_->{id} } @{ $opts->json->{allowCredentials} || [] }], [::id_of($old)],
    "$name - login_options allows the old passkey only";
$alice->final($alice->assertion($opts, cred => $new));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like eval: ::err_like('credential_suspended', 'support')
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 7: after the rollback the old passkey logs in
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $old = $alice->register(alg => -7);
$alice->login;
my $new = $alice->register(alg => -8);
::rollback();
$alice->final($alice->assertion($alice->login_options, cred => $old));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 8: a removed passkey, passkey-first: 403 credential_suspended
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -7);
$alice->login;
my $new = $alice->register(alg => -8);
::rollback();
my $anon = wa_client(undef);
$anon->set_cred($new);
$anon->final($anon->assertion($anon->login_options));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like eval: ::err_like('credential_suspended', 'support')
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 9: a passkey the user deleted is never restored: skipped, and still credential_revoked
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $pa = $alice->register(alg => -7);
$alice->login;
::next_second();
my $pb = $alice->register(alg => -8);
$alice->login(cred => $pb);
my ($s) = wa_lkg('alice');
is_deeply $s && $s->{ids}, [sort { $a cmp $b } map { ::id_of($_) } $pa, $pb],
    "$name - the snapshot has both";
my $res = $alice->request('DELETE', '/webauthn/credentials?id=' . ::id_of($pa));
is $res->code, 200, "$name - DELETE the first: 200";
my $r = ::rollback();
::counts($r, restored => 0, removed => 0, active => 1, skipped => 1);
my $c = ::creds_of('alice');
is $c->{::id_of($pa)}{status}, 'revoked', "$name - the deleted passkey: still revoked";
is $c->{::id_of($pb)}{status}, 'active', "$name - the other: active";
is wa_redis('SISMEMBER', wa_ukey('alice', 'creds'), ::id_of($pa)), '0', "$name - not in :creds";
$alice->final($alice->assertion($alice->login_options, cred => $pa));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like eval: ::err_like('credential_revoked', 'reregister')
--- no_error_log
[alert]
[emerg]



=== TEST 10: a reset's revocations are never restored by a rollback either
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $pa = $alice->register;
$alice->login;
is wa_admin('POST', 'users/alice/reset', $::Token)->code, 200, "$name - reset: 200";
my $r = ::rollback();
::counts($r, restored => 0, removed => 0, active => 0, skipped => 1);
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '0', "$name - nothing active";
$alice->final($alice->assertion($alice->login_options, cred => $pa));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like eval: ::err_like('credential_revoked', 'reregister')
--- no_error_log
[alert]
[emerg]



=== TEST 11: rollback with no snapshot: 409 no_snapshot, and nothing changes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register(alg => -7);
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - one passkey";
is scalar(grep { ($_->{event} // '') eq 'rollback' } wa_audit()), 0, "$name - no rollback audited";
--- request
POST /admin/users/alice/rollback
--- more_headers eval: "Authorization: Bearer $::Token\nContent-Length: 0"
--- error_code: 409
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like eval: ::err_like('no_snapshot')
--- no_error_log
[alert]
[emerg]



=== TEST 12: rollback before a time older than every snapshot: 409 no_snapshot
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register(alg => -7);
$alice->login;
$alice->register(alg => -8);
my $r = ::rollback({before => 1}, 409);
is $r->{error}, 'no_snapshot', "$name - before 1: no_snapshot";
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '2', "$name - both passkeys still active";
--- request
POST /admin/users/alice/rollback
{"before":1000000000}
--- more_headers eval: "Authorization: Bearer $::Token\nContent-Type: application/json"
--- error_code: 409
--- response_body_like eval: ::err_like('no_snapshot')
--- no_error_log
[alert]
[emerg]



=== TEST 13: a rollback ends every session, even when it changes no passkey
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register;
$alice->login;
is $alice->request('GET', '/board/balance.json')->code, 200, "$name - the session works";
my $r = ::rollback();
::counts($r, restored => 0, removed => 0, active => 1, skipped => 0);
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 403
--- response_body_like eval: ::err_like('session_expired', 'passkey')
--- no_error_log
[alert]
[emerg]



=== TEST 14: "before" picks an older snapshot; a later rollback restores a removed passkey, on probation
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $pa = $alice->register(alg => -7);
$alice->login;
my ($s1) = wa_lkg('alice');
$s1 ||= {taken => time};
# the second set must be two seconds younger than the first snapshot
sleep 1 while time < $s1->{taken} + 3;
my $pb = $alice->register(alg => -8);
$alice->login(cred => $pb);
my ($s2) = wa_lkg('alice');
$s2 ||= {changed => 0};
ok $s2->{changed} >= $s1->{taken} + 2, "$name - the sets are two seconds apart";
my $r = ::rollback({before => $s1->{taken} + 1});
::counts($r, restored => 0, removed => 1, active => 1, skipped => 0);
is $r->{snapshot}, $s1->{taken}, "$name - the older snapshot";
is ::creds_of('alice')->{::id_of($pb)}{status}, 'removed', "$name - the second passkey: removed";
my $u = wa_admin('GET', 'users/alice', $::Token)->json;
my $lkg = ref $u->{lkg} eq 'HASH' ? $u->{lkg} : {};
my $t0 = time;
if (grep { $_ eq ::id_of($pb) } @{ $lkg->{credentials} || [] }) {
    # the newest snapshot still has the second passkey: a rollback to it
    # brings it back
    $r = ::rollback();
    ::counts($r, restored => 1, removed => 0, active => 2, skipped => 0);
    my $c = ::creds_of('alice')->{::id_of($pb)} || {};
    is $c->{status}, 'active', "$name - restored: active";
    ok defined $c->{probationSince} && $c->{probationSince} >= $t0 - 2,
        "$name - restored: on probation since the rollback";
    ok !exists $c->{removedAt}, "$name - restored: no removedAt";
} else {
    diag "$name - the rollback dropped the newer snapshots; restoring is not checked";
    $r = ::rollback({before => $s2->{taken} + 100});
}
$alice->login(cred => $pb);
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like eval: ::err_like('probation')
--- no_error_log
[alert]
[emerg]



=== TEST 15: a passkey restored by a rollback passes where there is no probation
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $pa = $alice->register(alg => -7);
$alice->login;
my ($s1) = wa_lkg('alice');
$s1 ||= {taken => time};
sleep 1 while time < $s1->{taken} + 3;
my $pb = $alice->register(alg => -8);
$alice->login(cred => $pb);
::rollback({before => $s1->{taken} + 1});
::rollback();
$alice->login(cred => $pb);
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
--- no_error_log
[alert]
[emerg]



=== TEST 16: the audit stream: exactly one entry per change, with event, user, actor, time
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $admin = wa_admin_actor($::Token);
my $t0 = time;
my $alice = wa_client('alice');
my $pa = $alice->register(alg => -7);                               # register
$alice->login;
$alice->login;
my $pb = $alice->register(alg => -8);                               # register
::rollback({reason => 'lost phone'});                               # rollback
$alice->login(cred => $pa);
my $pc = $alice->register(alg => -257);                             # register
is $alice->request('DELETE', '/webauthn/credentials?id=' . ::id_of($pc))->code, 200,
    "$name - DELETE: 200";                                          # delete
is wa_admin('GET', 'users/alice', $::Token)->code, 200, "$name - GET: 200";
is wa_admin('POST', 'users/alice/grant', $::Token, {ttl => 60})->code, 200,
    "$name - grant: 200";                                           # grant
$alice->login(cred => $pa, corrupt => 1, expect => 403) for 1 .. 3; # lockout
is $alice->login_options->code, 429, "$name - locked";
is wa_admin('POST', 'users/alice/unlock', $::Token)->code, 200,
    "$name - unlock: 200";                                          # unlock
is wa_admin('POST', 'users/alice/reset', $::Token)->code, 200,
    "$name - reset: 200";                                           # reset
is wa_admin('POST', 'users/nobody/reset', $::Token)->code, 404, "$name - reset nobody: 404";
my $t1 = time;
my @a = wa_audit();
is_deeply [map { $_->{event} } @a],
    [qw(register register rollback register delete grant lockout unlock reset)],
    "$name - one entry per change, in order";
is_deeply [map { $_->{actor} } @a],
    ['user', 'user', $admin, 'user', 'user', $admin, 'system', $admin, $admin],
    "$name - the actors";
is_deeply [grep { ($_->{user} // '') ne 'alice' } @a], [], "$name - every entry is alice's";
is_deeply [grep { !defined $_->{time} || $_->{time} !~ /^\d+$/
                  || $_->{time} < $t0 - 2 || $_->{time} > $t1 + 2 } @a], [],
    "$name - every entry has the time";
my ($rb) = grep { $_->{event} eq 'rollback' } @a;
ok $rb && grep({ defined && $_ eq 'lost phone' } values %$rb), "$name - the rollback's reason";
my @ev = map { wa_json($_) // {} }
         @{ wa_redis_json('LRANGE', wa_ukey('alice', 'events'), 0, -1) || [] };
is_deeply [map { $_->{event} } @ev],
    [reverse qw(register register rollback register delete grant lockout unlock reset)],
    "$name - wa:{u:U}:events: the same, newest first, as JSON";
is_deeply [map { $_->{event} } @{ wa_admin('GET', 'users/alice', $::Token)->json->{events} || [] }],
    [map { $_->{event} } @ev], "$name - GET users/alice: the same events";
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token"
--- error_code: 200
--- response_body_like: "events":\[\{[^{}]*"event":"reset"
--- no_error_log
[alert]
[emerg]



=== TEST 17: the audit stream's entries start with event, user, actor, time
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register;
$alice->login;
is wa_admin('POST', 'users/alice/rollback', $::Token)->code, 200, "$name - rollback: 200";
my $r = wa_redis_json('XRANGE', 'wa:audit', '-', '+') || [];
for my $e (@$r) {
    my @f = @{ $e->[1] || [] };
    is_deeply [@f[0, 2, 4, 6]], [qw(event user actor time)],
        "$name - entry $e->[0]: event, user, actor, time first";
}
is scalar(@$r), 2, "$name - two entries";
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 403
--- response_body_like eval: ::err_like('session_expired', 'passkey')
--- no_error_log
[alert]
[emerg]



=== TEST 18: the index of changed users (wa:changed): register, delete, rollback and reset write the user's "changed" there too; a login does not
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $last = 0;
# after each change (a second after the last): the index has the user's
# new "changed"
my $step = sub {
    my $what = shift;
    my $ch = wa_redis('HGET', wa_ukey('alice', 'user'), 'changed');
    ok $ch =~ /^\d+$/ && $ch > $last, "$name - $what: a new changed ($ch)";
    is wa_redis('HGET', 'wa:changed', 'alice'), $ch,
        "$name - $what: the index has it";
    $last = $ch;
};
my $alice = wa_client('alice');
my $pa = $alice->register(alg => -7);
$step->('register');
$alice->login;
::next_second();
$alice->login;
is wa_redis('HGET', 'wa:changed', 'alice'), $last, "$name - a login: the index as it was";
my $pb = $alice->register(alg => -8);
$step->('second register');
::next_second();
is $alice->request('DELETE', '/webauthn/credentials?id=' . ::id_of($pb))->code,
    200, "$name - DELETE: 200";
$step->('delete');
$alice->login(cred => $pa);
::next_second();
my $pc = $alice->register(alg => -257);
::next_second();
::rollback({reason => 'index'});
$step->('rollback');
::next_second();
is wa_admin('POST', 'users/alice/reset', $::Token)->code, 200, "$name - reset: 200";
$step->('reset');
is wa_admin('POST', 'users/bob/grant', $::Token)->code, 200, "$name - grant: 200";
is wa_redis('HKEYS', 'wa:changed'), 'alice',
    "$name - a grant (no passkey yet) is no change: only alice";
is wa_redis('EXISTS', 'wa:changed:complete'), '0',
    "$name - the module never marks the index complete";
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 403
--- response_body_like eval: ::err_like('session_expired', 'passkey')
--- no_error_log
[alert]
[emerg]
