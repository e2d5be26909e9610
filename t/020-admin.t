# The admin API (webauthn_endpoint admin; issue 4, recovery): what an IVR
# or a support system calls to look at a user, reset them, roll them back,
# give them an enrolment grant, unlock them.  Bearer tokens from
# webauthn_admin_token, nginx's own allow/deny in front; JSON in and out,
# with the error codes of every endpoint.  Needs a real Redis:
# scripts/with-redis.sh.

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

# the IVR's token, the support desk's, and one that was never issued
our $Token = 'ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f';
our $Token2 = 'support-Zx9_Qm.4~Lw+8/Rt2Vb6Nc1Hj5Kp3Gs7=';
our $Unknown = 'ivr-00000000000000000000000000000000';

our $Auth = "Authorization: Bearer $Token";
our $AuthJson = "$Auth\nContent-Type: application/json";

# a POST without a body: "Content-Length: 0", as most HTTP clients send it
# (TEST 35 checks one without Content-Length)
our $AuthPost = "$Auth\nContent-Length: 0";

our $HttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    webauthn_enroll open;
_EOC_

# /admin/ the admin API as deployed (allow/deny, then the token); /ivr/v1/
# the same under another prefix; /closed/ an admin location that denies
# every address
our $Config = $WebAuthnTest::Endpoints . <<'_EOC_';
    location /admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
    location /ivr/v1/ {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
    location /closed/ {
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
    location /vault/ {
        webauthn_gate passkey;
        alias $TEST_NGINX_HTML_DIR/;
    }
_EOC_

# blank lines and comment lines are not tokens
our $UserFiles = <<"_EOF_";
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
>>> admin.tokens
# the IVR
$Token

# the support desk
$Token2
#retired-0123456789abcdef0123456789abcdef
_EOF_

# an error body of the module: {"error":CODE,"message":...,"action":...}
sub err_like {
    my $code = shift;
    return qr/^\{"error":"$code","message":"(?:[^"\\]|\\.)+","action":"[a-z_]+"\}$/;
}

our $E = { map { $_ => err_like($_) }
           qw(unauthorized user_unknown not_found malformed_request
              method_not_allowed no_snapshot) };

# a registered user with a passkey (and, login => 1, a snapshot)
sub alice {
    my (%o) = @_;
    my $alice = wa_client($o{user} // 'alice');
    my $cred = $alice->register(%{ $o{register} // {} });
    $alice->login if $o{login};
    return ($alice, $cred);
}

# a time the server wrote: within [t0 - 2, t1 + 2]
sub in_time {
    my ($v, $t0, $t1, $what) = @_;
    my $ok = defined $v && $v =~ /^\d+$/ && $v >= $t0 - 2 && $v <= $t1 + 2;
    ok $ok, wa_name() . " - $what is the time of the call"
        . ($ok ? '' : " (got " . ($v // 'undef') . ", [$t0, $t1])");
}

# a response's JSON error code and status, checked in init
sub refused {
    my ($res, $code, $error, $what) = @_;
    my $ok = is $res->code . ' ' . $res->error, "$code $error",
        wa_name() . " - $what: $code $error";
    diag 'got ' . $res->describe if !$ok;
    return $ok;
}

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: GET users/alice: the record, the passkey, the snapshot, no grant, no lock
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $t0 = time;
my ($alice, $cred) = ::alice(login => 1,
                           register => {transports => 'usb', be => 1, bs => 1});
my $t1 = time;
my $res = wa_admin('GET', 'users/alice', $::Token);
is $res->code, 200, "$name - GET: 200";
is $res->header('Content-Type'), 'application/json', "$name - JSON";
is $res->header('Cache-Control'), 'no-store', "$name - no-store";
my $u = $res->json;
is $u->{user}, 'alice', "$name - user";
is $u->{handle}, $cred && $cred->{user_handle}, "$name - handle: the user.id of the options";
::in_time($u->{created}, $t0, $t1, 'created');
::in_time($u->{changed}, $t0, $t1, 'changed');
my @c = @{ ref $u->{credentials} eq 'ARRAY' ? $u->{credentials} : [] };
is scalar(@c), 1, "$name - one credential";
my $c = $c[0] || {};
is $c->{id}, $cred && $cred->{id}, "$name - its id";
is $c->{status}, 'active', "$name - active";
::in_time($c->{createdAt}, $t0, $t1, 'createdAt');
::in_time($c->{lastUsed}, $t0, $t1, 'lastUsed');
like $c->{aaguid} // '', qr/^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/,
    "$name - aaguid";
ok JSON::PP::is_bool($c->{backupEligible}) && $c->{backupEligible},
    "$name - backupEligible: true";
ok JSON::PP::is_bool($c->{backedUp}) && $c->{backedUp}, "$name - backedUp: true";
is_deeply $c->{transports}, ['usb'], "$name - transports";
ok !exists $c->{probationSince}, "$name - no probationSince: not from a grant";
ok !grep({ exists $c->{$_} } qw(revokedAt suspendedAt removedAt)),
    "$name - no revokedAt, suspendedAt, removedAt";
ok !grep({ /^(pk|publicKey|privateKey)$/ } keys %$c), "$name - no key material";
my $lkg = $u->{lkg};
is ref $lkg, 'HASH', "$name - lkg: the snapshot of the login";
::in_time($lkg->{taken}, $t0, $t1, 'lkg.taken') if ref $lkg;
::in_time($lkg->{changed}, $t0, $t1, 'lkg.changed') if ref $lkg;
is_deeply ref $lkg ? $lkg->{credentials} : undef, [$cred && $cred->{id}],
    "$name - lkg.credentials";
ok exists $u->{grant} && !defined $u->{grant}, "$name - grant: null";
my $lock = ref $u->{lock} eq 'HASH' ? $u->{lock} : {};
ok JSON::PP::is_bool($lock->{locked}) && !$lock->{locked}, "$name - lock.locked: false";
is $lock->{retryAfter}, 0, "$name - lock.retryAfter: 0";
is $lock->{failures}, 0, "$name - lock.failures: 0";
my @ev = @{ ref $u->{events} eq 'ARRAY' ? $u->{events} : [] };
is scalar(@ev), 1, "$name - one event";
my ($audit) = wa_audit();
is $ev[0] && $ev[0]{event}, 'register', "$name - the event: register";
is $ev[0] && $ev[0]{actor}, 'user', "$name - by the user";
::in_time($ev[0] && $ev[0]{time}, $t0, $t1, 'the event time');
is $ev[0] && $ev[0]{id}, $audit && $audit->{id}, "$name - id: the audit stream id";
--- request
GET /admin/users/alice
--- more_headers eval: $::Auth
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like: ^\{(?=.*"user":"alice")(?=.*"handle":"[A-Za-z0-9_-]+")(?=.*"credentials":\[\{)(?=.*"status":"active")(?=.*"lkg":\{)(?=.*"grant":null)(?=.*"lock":\{)(?=.*"events":\[\{).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 2: GET users/alice: a passkey revoked by the user, and after a reset
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $t0 = time;
my ($alice, $first) = ::alice(login => 1);
my $second = $alice->register(alg => -8);
my $res = $alice->request('DELETE', '/webauthn/credentials?id='
                          . ($first ? $first->{id} : 'none'));
is $res->code, 200, "$name - DELETE of the first: 200";
my $u = wa_admin('GET', 'users/alice', $::Token)->json;
my %st = map { $_->{id} => $_ } @{ ref $u->{credentials} eq 'ARRAY' ? $u->{credentials} : [] };
my $f = $st{$first && $first->{id} // ''} // {};
my $s = $st{$second && $second->{id} // ''} // {};
is $f->{status}, 'revoked', "$name - the first: revoked";
::in_time($f->{revokedAt}, $t0, time, 'revokedAt');
is $s->{status}, 'active', "$name - the second: active";
is_deeply [map { $_->{event} } @{ $u->{events} || [] }],
    ['delete', 'register', 'register'], "$name - events, newest first";
is wa_admin('POST', 'users/alice/reset', $::Token)->code, 200, "$name - reset: 200";
$u = wa_admin('GET', 'users/alice', $::Token)->json;
is_deeply [sort map { $_->{status} } @{ $u->{credentials} || [] }],
    ['revoked', 'revoked'], "$name - after the reset: both revoked";
ok ref $u->{grant} eq 'HASH' && ($u->{grant}{expiresAt} // 0) > $t0,
    "$name - after the reset: a grant";
is $u->{events} && $u->{events}[0]{event}, 'reset', "$name - the last event: reset";
is $u->{events} && $u->{events}[0]{actor}, wa_admin_actor($::Token),
    "$name - by the IVR's token";
--- request
GET /admin/users/alice
--- more_headers eval: $::Auth
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"revoked".*"status":"revoked")(?!.*"status":"active")(?=.*"grant":\{"expiresAt":\d+\}).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 3: GET users/U has no side effect: no audit entry, no record for an unknown user
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice(login => 1);
my $n = wa_redis('XLEN', 'wa:audit');
is wa_admin('GET', 'users/alice', $::Token)->code, 200, "$name - GET alice: 200";
is wa_admin('GET', 'users/nobody', $::Token)->code, 404, "$name - GET nobody: 404";
is wa_redis('XLEN', 'wa:audit'), $n, "$name - no audit entry";
is wa_redis('EXISTS', wa_ukey('nobody', 'user')), '0', "$name - no record made for nobody";
--- request
GET /admin/users/nobody
--- more_headers eval: $::Auth
--- error_code: 404
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like eval: $::E->{user_unknown}
--- no_error_log
[alert]
[emerg]



=== TEST 4: POST users/alice/reset: 200 with the count and a grant, audited with the reason
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::alice(login => 1);
$alice->register(alg => -8);
my $t0 = time;
my $res = wa_admin('POST', 'users/alice/reset', $::Token, {reason => 'IVR call 42'});
my $t1 = time;
is $res->code, 200, "$name - reset: 200";
is $res->header('Cache-Control'), 'no-store', "$name - no-store";
my $r = $res->json;
is $r->{status}, 'ok', "$name - status ok";
is $r->{revoked}, 2, "$name - revoked: 2";
like $r->{grant} // '', qr/^[A-Za-z0-9_~.+\/=-]{16,}$/, "$name - a grant code";
my $exp = $r->{grant_expires} // 0;
ok $exp >= $t0 + 900 - 2 && $exp <= $t1 + 900 + 2,
    "$name - grant_expires: in 15m, the default webauthn_grant_ttl (got $exp)";
my @a = grep { ($_->{event} // '') eq 'reset' } wa_audit();
is scalar(@a), 1, "$name - one reset entry in the audit stream";
my $e = $a[0] || {};
is $e->{user}, 'alice', "$name - audit user";
is $e->{actor}, wa_admin_actor($::Token), "$name - audit actor: admin:<sha256 of the token>";
like $e->{actor} // '', qr/^admin:[0-9a-f]{8}$/, "$name - the actor is admin: and 8 hex digits";
::in_time($e->{time}, $t0, $t1, 'audit time');
ok grep({ defined && $_ eq 'IVR call 42' } values %$e), "$name - the reason is recorded";
ok !grep({ defined && index($_, $::Token) >= 0 } values %$e), "$name - the token is not";
ok !grep({ defined && $r->{grant} && index($_, $r->{grant}) >= 0 } values %$e),
    "$name - nor the grant";
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '0', "$name - no active passkey left";
--- request
POST /admin/users/alice/reset
--- more_headers eval: $::AuthPost
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"revoked":0[,}])(?=.*"grant":"[^"]+")(?=.*"grant_expires":\d+).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 5: POST users/carol/grant: a new user's record and a grant; ttl shortens it
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $t0 = time;
my $res = wa_admin('POST', 'users/carol/grant', $::Token2, {reason => 'new customer'});
my $t1 = time;
is $res->code, 200, "$name - grant: 200";
my $r = $res->json;
is $r->{status}, 'ok', "$name - status ok";
like $r->{grant} // '', qr/^\S{16,}$/, "$name - a grant code";
my $exp = $r->{grant_expires} // 0;
ok $exp >= $t0 + 900 - 2 && $exp <= $t1 + 900 + 2, "$name - in 15m (got $exp)";
is wa_redis('EXISTS', wa_ukey('carol', 'user')), '1', "$name - carol has a record";
my $u = wa_admin('GET', 'users/carol', $::Token)->json;
is $u->{user}, 'carol', "$name - GET carol: the user";
is_deeply $u->{credentials}, [], "$name - no credentials";
ok exists $u->{lkg} && !defined $u->{lkg}, "$name - lkg: null";
my $ge = ref $u->{grant} eq 'HASH' ? $u->{grant}{expiresAt} // 0 : 0;
ok abs($ge - $exp) <= 2, "$name - grant.expiresAt: grant_expires (got $ge, $exp)";
ok !grep({ defined && $r->{grant} && index(ref $_ ? wa_to_json($_) : $_, $r->{grant}) >= 0 } values %$u),
    "$name - GET does not show the grant code";
my ($e) = grep { ($_->{event} // '') eq 'grant' } wa_audit();
is $e && $e->{actor}, wa_admin_actor($::Token2), "$name - audited, actor the support desk's token";
$t0 = time;
$res = wa_admin('POST', 'users/carol/grant', $::Token, {ttl => 60});
$t1 = time;
is $res->code, 200, "$name - grant with ttl 60: 200";
$exp = $res->json->{grant_expires} // 0;
ok $exp >= $t0 + 60 - 2 && $exp <= $t1 + 60 + 2, "$name - in 60 s (got $exp)";
$ge = wa_admin('GET', 'users/carol', $::Token)->json->{grant}{expiresAt} // 0;
ok abs($ge - $exp) <= 2, "$name - the new grant replaced the old one (got $ge, $exp)";
--- request
POST /admin/users/carol/grant
{"ttl":120,"reason":"call back"}
--- more_headers eval: $::AuthJson
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"grant":"[^"]+")(?=.*"grant_expires":\d+).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 6: grant: a ttl over webauthn_grant_ttl is 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::refused(wa_admin('POST', 'users/carol/grant', $::Token, {ttl => 900}), 200, '', 'ttl 900 (= 15m)');
is wa_redis('XLEN', 'wa:audit'), '1', "$name - one audit entry";
--- request
POST /admin/users/carol/grant
{"ttl":901}
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 7: webauthn_grant_ttl 1h: the default length of a grant, and its bound
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_grant_ttl 1h;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $t0 = time;
my $res = wa_admin('POST', 'users/carol/grant', $::Token);
my $t1 = time;
is $res->code, 200, "$name - grant: 200";
my $exp = $res->json->{grant_expires} // 0;
ok $exp >= $t0 + 3600 - 2 && $exp <= $t1 + 3600 + 2, "$name - in 1h (got $exp)";
is wa_admin('POST', 'users/carol/grant', $::Token, {ttl => 3600})->code, 200,
    "$name - ttl 3600: 200";
--- request
POST /admin/users/carol/grant
{"ttl":3601}
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 8: POST users/alice/unlock when she is not locked: unlocked false
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
::alice();
--- request
POST /admin/users/alice/unlock
{"reason":"customer called"}
--- more_headers eval: $::AuthJson
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"unlocked":false).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 9: POST users/alice/rollback with no snapshot: 409 no_snapshot
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
::alice();
--- request
POST /admin/users/alice/rollback
--- more_headers eval: $::AuthPost
--- error_code: 409
--- response_body_like eval: $::E->{no_snapshot}
--- no_error_log
[alert]
[emerg]



=== TEST 10: POST users/alice/rollback: 200 with the counts
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice) = ::alice(login => 1);
$alice->register(alg => -8);
--- request
POST /admin/users/alice/rollback
{"reason":"phone replaced"}
--- more_headers eval: $::AuthJson
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"restored":0[,}])(?=.*"removed":1[,}])(?=.*"active":1[,}])(?=.*"skipped":0[,}])(?=.*"snapshot":\d+[,}]).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 11: no Authorization header: 401 unauthorized, WWW-Authenticate Bearer
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
::alice();
--- request
GET /admin/users/alice
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="webauthn-admin"
Content-Type: application/json
--- response_body_like eval: $::E->{unauthorized}
--- no_error_log
[alert]
[emerg]



=== TEST 12: a token not in the file: 401, error="invalid_token"
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
::alice();
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Unknown"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="webauthn-admin", error="invalid_token"
--- response_body_like eval: $::E->{unauthorized}
--- no_error_log
[alert]
[emerg]



=== TEST 13: a wrong token (one character changed, a prefix, longer): 401 invalid_token
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
for my $t (substr($::Token, 0, -1), $::Token . 'x', substr($::Token, 0, 8),
           lc(substr($::Token2, 0, 12)) . substr($::Token2, 12),
           'retired-0123456789abcdef0123456789abcdef',
           '#retired-0123456789abcdef0123456789abcdef') {
    my $res = wa_admin('GET', 'users/alice', $t);
    ::refused($res, 401, 'unauthorized', "token \"$t\"");
    like $res->header('WWW-Authenticate') // '',
        qr/^Bearer realm="webauthn-admin", error="invalid_token"$/,
        "$name - token \"$t\": WWW-Authenticate";
}
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
--- request
POST /admin/users/alice/reset
--- more_headers eval: "Authorization: Bearer " . WebAuthnTest::wa_tamper($::Token)
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="webauthn-admin", error="invalid_token"
--- response_body_like eval: $::E->{unauthorized}
--- no_error_log
[alert]
[emerg]



=== TEST 14: a refused token changes nothing: alice still logs in after a reset with a wrong token
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::alice();
::refused(wa_admin('POST', 'users/alice/reset', $::Unknown), 401, 'unauthorized', 'reset with an unknown token');
::refused(wa_admin('POST', 'users/alice/reset', undef), 401, 'unauthorized', 'reset without a token');
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 15: not a bearer token: Basic, an empty one, a bare scheme: 401
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
for my $h (wa_basic('ivr', $::Token), 'Authorization: Bearer ',
           'Authorization: Bearer', "Authorization: $::Token") {
    my $res = wa_admin('GET', 'users/alice', undef, undef, headers => [$h]);
    ::refused($res, 401, 'unauthorized', "\"$h\"");
    like $res->header('WWW-Authenticate') // '', qr/^Bearer realm="webauthn-admin"/,
        "$name - \"$h\": WWW-Authenticate Bearer";
}
--- request
GET /admin/users/alice
--- more_headers eval: WebAuthnTest::wa_basic('ivr', $::Token)
--- error_code: 401
--- response_headers_like
WWW-Authenticate: Bearer realm="webauthn-admin".*
--- response_body_like eval: $::E->{unauthorized}
--- no_error_log
[alert]
[emerg]



=== TEST 16: no token for an unknown user: 401, not 404 (no user enumeration)
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
--- request
GET /admin/users/nobody
--- error_code: 401
--- response_body_like eval: $::E->{unauthorized}
--- no_error_log
[alert]
[emerg]



=== TEST 17: the second token of the file works, and is audited as itself
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
my $res = wa_admin('POST', 'users/alice/unlock', $::Token2);
is $res->code, 200, "$name - unlock with the support desk's token: 200";
my ($e) = grep { ($_->{event} // '') eq 'unlock' } wa_audit();
is $e && $e->{actor}, wa_admin_actor($::Token2), "$name - actor";
isnt wa_admin_actor($::Token2), wa_admin_actor($::Token), "$name - the tokens' actors differ";
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token2"
--- error_code: 200
--- response_body_like: "user":"alice"
--- no_error_log
[alert]
[emerg]



=== TEST 18: a denied address: nginx's own 403, before the token is looked at
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
my $res = wa_admin('POST', '/closed/users/alice/reset', $::Token);
is $res->code, 403, "$name - reset from a denied address: 403";
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
is wa_admin('GET', '/ivr/v1/users/alice', $::Token)->code, 200,
    "$name - the API under another prefix: 200";
--- request
GET /closed/users/alice
--- more_headers eval: $::Auth
--- error_code: 403
--- response_headers_like
Content-Type: text/html.*
--- response_body_like: 403 Forbidden
--- no_error_log
[alert]
[emerg]



=== TEST 19: GET on an action: 405 method_not_allowed, Allow: POST
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice(login => 1);
for my $act (qw(reset rollback grant unlock)) {
    for my $m (qw(GET PUT DELETE PATCH)) {
        my $res = wa_admin($m, "users/alice/$act", $::Token);
        ::refused($res, 405, 'method_not_allowed', "$m $act");
        is $res->header('Allow'), 'POST', "$name - $m $act: Allow: POST";
    }
}
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
--- request
GET /admin/users/alice/reset
--- more_headers eval: $::Auth
--- error_code: 405
--- response_headers
Allow: POST
--- response_body_like eval: $::E->{method_not_allowed}
--- no_error_log
[alert]
[emerg]



=== TEST 20: POST, PUT, DELETE on users/alice: 405, Allow: GET
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
for my $m (qw(POST PUT PATCH)) {
    my $res = wa_admin($m, 'users/alice', $::Token, {});
    ::refused($res, 405, 'method_not_allowed', "$m users/alice");
    like $res->header('Allow') // '', qr/^GET(?:, HEAD)?$/, "$name - $m: Allow: GET";
}
is wa_redis('EXISTS', wa_ukey('alice', 'user')), '1', "$name - alice is still there";
--- request
DELETE /admin/users/alice
--- more_headers eval: $::Auth
--- error_code: 405
--- response_headers_like
Allow: GET(?:, HEAD)?
--- response_body_like eval: $::E->{method_not_allowed}
--- no_error_log
[alert]
[emerg]



=== TEST 21: reset of a user with no record: 404 user_unknown, no record made
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
my $res = wa_admin('POST', 'users/nobody/reset', $::Token);
::refused($res, 404, 'user_unknown', 'reset nobody');
is wa_redis('EXISTS', wa_ukey('nobody', 'user')), '0', "$name - no record made";
is wa_redis('EXISTS', wa_ukey('nobody', 'grant')), '0', "$name - no grant made";
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
--- request
POST /admin/users/nobody/reset
--- more_headers eval: $::AuthPost
--- error_code: 404
--- response_body_like eval: $::E->{user_unknown}
--- no_error_log
[alert]
[emerg]



=== TEST 22: rollback of a user with no record: 404 user_unknown
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
::alice(login => 1);
--- request
POST /admin/users/nobody/rollback
{"before":99999999999}
--- more_headers eval: $::AuthJson
--- error_code: 404
--- response_body_like eval: $::E->{user_unknown}
--- no_error_log
[alert]
[emerg]



=== TEST 23: unlock of a user with no record: 404 user_unknown
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
--- request
POST /admin/users/nobody/unlock
--- more_headers eval: $::AuthPost
--- error_code: 404
--- response_body_like eval: $::E->{user_unknown}
--- no_error_log
[alert]
[emerg]



=== TEST 24: unknown admin paths: 404 not_found
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
for my $p (['GET', '/admin/'], ['GET', '/admin/users'],
           ['GET', '/admin/nothing'], ['GET', '/admin/groups/alice'],
           ['POST', '/admin/users/alice/frobnicate'],
           ['POST', '/admin/users/alice/reset/now']) {
    ::refused(wa_admin($p->[0], $p->[1], $::Token), 404, 'not_found', "@$p");
}
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
--- request
POST /admin/users/alice/explode
--- more_headers eval: $::AuthPost
--- error_code: 404
--- response_body_like eval: $::E->{not_found}
--- no_error_log
[alert]
[emerg]



=== TEST 25: a body that is not JSON: 400 malformed_request, and nothing happens
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::alice();
for my $body ('{', 'reset', '{"reason":"x"}x', '{"reason":"a","reason":"b"}') {
    ::refused(wa_admin('POST', 'users/alice/reset', $::Token, $body), 400,
            'malformed_request', "body $body");
}
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
$block->set_value(request => "POST /admin/users/alice/reset\nnot json");
--- request
POST /admin/users/alice/reset
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 26: a body that is not an object: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice(login => 1);
for my $body ('[]', '"reset"', '42', 'null', 'true') {
    for my $act (qw(reset rollback grant unlock)) {
        ::refused(wa_admin('POST', "users/alice/$act", $::Token, $body), 400,
                'malformed_request', "$act with body $body");
    }
}
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
--- request
POST /admin/users/alice/grant
["ttl",60]
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 27: a member of the wrong type: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice(login => 1);
for my $c (['reset', '{"reason":5}'], ['unlock', '{"reason":["x"]}'],
           ['grant', '{"ttl":"60"}'], ['grant', '{"ttl":60.5}'],
           ['grant', '{"ttl":null}'], ['rollback', '{"before":"yesterday"}'],
           ['rollback', '{"before":true}'], ['rollback', '{"reason":{}}']) {
    ::refused(wa_admin('POST', "users/alice/$c->[0]", $::Token, $c->[1]), 400,
            'malformed_request', "$c->[0] with $c->[1]");
}
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
--- request
POST /admin/users/alice/grant
{"ttl":"600"}
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 28: an unknown member: 400 malformed_request, and nothing happens
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice(login => 1);
for my $c (['reset', '{"force":true}'], ['unlock', '{"all":true}'],
           ['grant', '{"tll":60}'], ['rollback', '{"to":1}'],
           ['grant', '{"reason":"x","user":"bob"}']) {
    ::refused(wa_admin('POST', "users/alice/$c->[0]", $::Token, $c->[1]), 400,
            'malformed_request', "$c->[0] with $c->[1]");
}
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '1', "$name - nothing revoked";
is wa_redis('EXISTS', wa_ukey('alice', 'grant')), '0', "$name - no grant";
is wa_redis('XLEN', 'wa:audit'), '1', "$name - nothing audited but the registration";
--- request
POST /admin/users/alice/reset
{"reason":"x","force":true}
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 29: a reason over 256 bytes: 400; 256 bytes pass and are recorded
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
my $r256 = 'r' x 256;
is wa_admin('POST', 'users/alice/unlock', $::Token, {reason => $r256})->code, 200,
    "$name - a reason of 256 bytes: 200";
my ($e) = grep { ($_->{event} // '') eq 'unlock' } wa_audit();
ok $e && grep({ defined && $_ eq $r256 } values %$e), "$name - recorded whole";
$block->set_value(request => "POST /admin/users/alice/reset\n"
                             . wa_to_json({reason => 'r' x 257}));
--- request
POST /admin/users/alice/reset
--- more_headers eval: $::AuthJson
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 30: a body that is not application/json: 415 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
is wa_admin('POST', 'users/alice/unlock', $::Token, '{}',
            content_type => 'application/json; charset=utf-8')->code, 200,
    "$name - application/json; charset=utf-8: 200";
--- request
POST /admin/users/alice/reset
{"reason":"x"}
--- more_headers eval: "$::Auth\nContent-Type: text/plain"
--- error_code: 415
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 31: percent-encoded user names: alice%40example.com is alice@example.com
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($c, $cred) = ::alice(user => 'alice@example.com');
for my $p ('users/alice@example.com', 'users/%61lice%40example%2Ecom') {
    my $res = wa_admin('GET', $p, $::Token);
    is $res->code, 200, "$name - GET $p: 200";
    is $res->json->{user}, 'alice@example.com', "$name - GET $p: the user";
}
my $res = wa_admin('POST', 'users/bob%20smith/grant', $::Token);
is $res->code, 200, "$name - grant for bob%20smith: 200";
is wa_redis('EXISTS', wa_ukey('bob smith', 'user')), '1',
    "$name - the record of \"bob smith\"";
is wa_redis('EXISTS', wa_ukey('bob%20smith', 'user')), '0',
    "$name - not of \"bob%20smith\"";
my ($e) = grep { ($_->{event} // '') eq 'grant' } wa_audit();
is $e && $e->{user}, 'bob smith', "$name - audited for \"bob smith\"";
is wa_admin('GET', 'users/alice', $::Token)->code, 404, "$name - alice is someone else";
$block->set_value(response_body_like => qr/^\{(?=.*"user":"alice\@example\.com")(?=.*"id":"\Q$cred->{id}\E")/) if $cred;
--- request
GET /admin/users/alice%40example.com
--- more_headers eval: $::Auth
--- error_code: 200
--- response_body_like: ^\{(?=.*"user":"alice@example\.com")
--- no_error_log
[alert]
[emerg]



=== TEST 32: percent-encoded reset, then the user's old passkey is revoked
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($c) = ::alice(user => 'alice@example.com');
my $res = wa_admin('POST', 'users/alice%40example.com/reset', $::Token);
is $res->code, 200, "$name - reset: 200";
is $res->json->{revoked}, 1, "$name - one revoked";
$c->final($c->assertion($c->login_options));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_revoked","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 33: a user name over 256 bytes: 400 malformed_request; 256 bytes: 404
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::refused(wa_admin('GET', 'users/' . ('a' x 256), $::Token), 404, 'user_unknown', '256 bytes');
::refused(wa_admin('GET', 'users/' . ('%61' x 256), $::Token), 404, 'user_unknown',
        '256 bytes percent-encoded');
::refused(wa_admin('GET', 'users/' . ('%61' x 257), $::Token), 400, 'malformed_request',
        '257 bytes percent-encoded');
for my $act (qw(reset rollback grant unlock)) {
    ::refused(wa_admin('POST', 'users/' . ('a' x 257) . "/$act", $::Token), 400,
            'malformed_request', "$act for 257 bytes");
}
is wa_redis('DBSIZE'), '0', "$name - nothing stored";
$block->set_value(request => 'GET /admin/users/' . ('a' x 257));
--- request
GET /admin/users/aaa
--- more_headers eval: $::Auth
--- error_code: 400
--- response_body_like eval: $::E->{malformed_request}
--- no_error_log
[alert]
[emerg]



=== TEST 34: events: newest first, at most 20, each with its stream id
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
for my $i (1 .. 21) {
    my $res = wa_admin('POST', 'users/alice/grant', $::Token, {reason => "grant $i"});
    is $res->code, 200, "$name - grant $i: 200";
}
my @a = wa_audit();
is scalar(@a), 22, "$name - 22 audit entries: a register, 21 grants";
my $u = wa_admin('GET', 'users/alice', $::Token)->json;
my @ev = @{ ref $u->{events} eq 'ARRAY' ? $u->{events} : [] };
is scalar(@ev), 20, "$name - 20 events";
is_deeply [map { $_->{id} } @ev], [map { $_->{id} } reverse @a[2 .. 21]],
    "$name - the newest 20, newest first";
ok !grep({ ($_->{event} // '') ne 'grant' } @ev), "$name - all grants";
ok grep({ defined && $_ eq 'grant 21' } values %{ $ev[0] || {} }),
    "$name - the first is the last grant, with its reason";
is wa_redis('LLEN', wa_ukey('alice', 'events')), '20', "$name - :events holds 20";
my $first = wa_json(wa_redis('LINDEX', wa_ukey('alice', 'events'), 0)) // {};
is $first->{event}, 'grant', "$name - :events holds JSON, newest first";
--- request
GET /admin/users/alice
--- more_headers eval: $::Auth
--- error_code: 200
--- response_body_like: "events":\[\{[^{}]*"event":"grant"
--- no_error_log
[alert]
[emerg]



=== TEST 35: a POST without a body and without Content-Length: an empty body, as {}
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
::alice();
my $res = wa_admin('POST', 'users/alice/grant', $::Token, undef, no_length => 1);
is $res->code, 200, "$name - grant without Content-Length: 200";
diag 'got ' . $res->describe if $res->code != 200;
$res = wa_admin('POST', 'users/alice/reset', $::Token, undef, no_length => 1);
is $res->code, 200, "$name - reset without Content-Length: 200";
diag 'got ' . $res->describe if $res->code != 200;
--- request
POST /admin/users/alice/unlock
--- more_headers eval: $::Auth
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"unlocked":false).*\}$
--- no_error_log
[alert]
[emerg]
