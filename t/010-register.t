# Registration ceremonies (docs/http-api.md, register_options and
# register), driven by the software authenticator against a real Redis:
# run through scripts/with-redis.sh (make test-nginx does).  Each block's
# --- init runs the preliminary steps and makes the block's request the
# last one (t/webauthn/WebAuthnTest.pm).

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $HttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    webauthn_enroll open;
_EOC_

# the same without "webauthn_enroll open": the default, passkey
our $HttpConfigPasskey = $HttpConfig =~ s/^\s*webauthn_enroll open;\n//mr;

our $Config = $WebAuthnTest::Endpoints;

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_EOF_

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: ES256 (-7): the creation options, then register: 201
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
my $name = wa_name() . ' - options';
is $res->code, 200, "$name: 200";
is $res->header('Content-Type'), 'application/json', "$name: JSON";
is $res->header('Cache-Control'), 'no-store', "$name: no-store";
my $o = $res->json;
is_deeply $o->{rp}, {id => 'example.com', name => 'Example Brokerage'},
    "$name: rp";
is $o->{user}{name}, 'alice', "$name: user.name";
is $o->{user}{displayName}, 'alice', "$name: user.displayName";
is length(wa_b64url_decode($o->{user}{id})), 32,
    "$name: user.id is a 32-byte handle";
is length(wa_b64url_decode($o->{challenge})), 32,
    "$name: a 32-byte challenge";
like $o->{challenge}, qr/^[A-Za-z0-9_-]{43}$/, "$name: base64url challenge";
is_deeply [sort { $a <=> $b } map { $_->{alg} } @{ $o->{pubKeyCredParams} || [] }],
    [-257, -8, -7], "$name: pubKeyCredParams";
is_deeply [grep { $_->{type} ne 'public-key' } @{ $o->{pubKeyCredParams} || [] }],
    [], "$name: every param is public-key";
is $o->{timeout}, 300000, "$name: timeout is the challenge TTL in ms";
is $o->{authenticatorSelection}{residentKey}, 'required', "$name: residentKey";
ok $o->{authenticatorSelection}{requireResidentKey}, "$name: requireResidentKey";
is $o->{authenticatorSelection}{userVerification}, 'required',
    "$name: userVerification";
is $o->{attestation}, 'none', "$name: attestation";
ok !exists $o->{hints}, "$name: no hints without webauthn_hints";
is_deeply $o->{excludeCredentials} // [], [], "$name: nothing to exclude";
my ($json) = $alice->attestation($o, alg => -7);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"credential":\{)(?=.*"id":"[A-Za-z0-9_-]{43}")(?=.*"type":"public-key")(?=.*"attestationFormat":"none")(?=.*"userVerified":true)(?=.*"createdAt":\d+).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 2: RS256 (-257): register: 201
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my ($json) = $alice->attestation($res, alg => -257);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"credential":\{"id":"[A-Za-z0-9_-]{43}")
--- no_error_log
[alert]
[emerg]



=== TEST 3: Ed25519 (-8): register: 201
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my ($json) = $alice->attestation($res, alg => -8);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"credential":\{"id":"[A-Za-z0-9_-]{43}")
--- no_error_log
[alert]
[emerg]



=== TEST 4: the answer describes the passkey: flags, transports, AAGUID
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my ($json) = $alice->attestation($res, be => 1, bs => 1,
                                 transports => 'usb,nfc');
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: ^\{(?=.*"backupEligible":true)(?=.*"backedUp":true)(?=.*"userVerified":true)(?=.*"transports":\["(usb","nfc|nfc","usb)"\])(?=.*"aaguid":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 5: a second passkey with a passkey session: same handle, the first excluded
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my ($first, $reg) = $alice->register(transports => 'internal');
$alice->login;
ok $alice->session, "$name - a passkey session";
my $res = $alice->register_options;
is $res->code, 200, "$name - options with the session: 200";
my $o = $res->json;
is $o->{user}{id}, $first && $first->{user_handle},
    "$name - the user handle made at the first registration is kept";
my @ex = @{ $o->{excludeCredentials} || [] };
is scalar(@ex), 1, "$name - one passkey excluded";
is $ex[0]{id}, $first && $first->{id}, "$name - the first passkey";
is $ex[0]{type}, 'public-key', "$name - its type";
is_deeply $ex[0]{transports}, ['internal'], "$name - its transports";
my ($json) = $alice->attestation($o, alg => -8);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 6: webauthn_enroll open: a password alone adds no passkey to an account with one
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->final({});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like: ^\{"error":"enrollment_not_allowed","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 7: webauthn_enroll open: the right is checked again at register
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $o1 = $alice->register_options;
my $o2 = $alice->register_options;
is $o1->code, 200, "$name - first options: 200";
is $o2->code, 200, "$name - second options, no passkey yet: 200";
my ($j1) = $alice->attestation($o1);
my ($j2) = $alice->attestation($o2);
my $res = $alice->post('/webauthn/register', $j1);
is $res->code, 201, "$name - the first passkey: 201";
$alice->final($j2);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"enrollment_not_allowed","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: the default, webauthn_enroll passkey: no registration with a password alone
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfigPasskey
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final({});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_body_like: ^\{"error":"enrollment_not_allowed","message":"(?:[^"\\]|\\.)+","action":"support"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 9: webauthn_enroll open in the registration locations only
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfigPasskey
--- config
    location = /webauthn/register/options {
        webauthn_enroll open;
        webauthn_endpoint register_options;
    }
    location = /webauthn/register {
        webauthn_enroll open;
        webauthn_endpoint register;
    }
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my ($json) = $alice->attestation($res);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 10: no user at all: 401 identity_required
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client(undef)->final({});
--- request
POST /webauthn/register/options
--- error_code: 401
--- response_body_like: ^\{"error":"identity_required","message":"(?:[^"\\]|\\.)+","action":"login"\}$
--- raw_response_headers_unlike: WWW-Authenticate
--- no_error_log
[alert]
[emerg]



=== TEST 11: a challenge issued to alice cannot register a passkey for bob
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $bob = wa_client('bob');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - alice options: 200';
my ($json) = $bob->attestation($res);
$bob->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 12: a challenge of login_options cannot register a passkey
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $anon = wa_client(undef);
my $lo = $anon->login_options;
is $lo->code, 200, wa_name() . ' - passkey-first login_options: 200';
my ($json) = $alice->attestation({challenge => $lo->json->{challenge},
                                  rp => {id => 'example.com'},
                                  user => {id => wa_b64url('x' x 32)}});
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 13: a challenge never issued: challenge_unknown
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my $o = $res->json;
my ($json) = $alice->attestation({%$o, challenge => wa_b64url('c' x 32)});
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 14: a failed registration consumes its challenge
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, "$name - options: 200";
my ($bad) = $alice->attestation($res, origin => 'https://evil.example.net');
my $r1 = $alice->post('/webauthn/register', $bad);
is $r1->code, 403, "$name - wrong origin: 403";
is $r1->error, 'origin_mismatch', "$name - wrong origin: origin_mismatch";
my ($good) = $alice->attestation($res);
$alice->final($good);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 15: the same registration twice: the second is refused
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
my $res = $alice->register_options;
is $res->code, 200, "$name - options with a passkey session: 200";
my ($json) = $alice->attestation($res);
is $alice->post('/webauthn/register', $json)->code, 201,
    "$name - second passkey: 201";
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 16: a credential ID registered before, to anyone: 409 credential_exists
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $bob = wa_client('bob');
my $cred = $alice->register;
my $res = $bob->register_options;
is $res->code, 200, wa_name() . ' - bob options: 200';
my ($json) = $bob->attestation($res, credential_id => $cred && $cred->{id});
$bob->final($json);
--- request
POST /webauthn/register
--- error_code: 409
--- response_body_like: ^\{"error":"credential_exists","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 17: no user verification where it is required: user_verification_required
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my ($json) = $alice->attestation($res, uv => 0);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"user_verification_required","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 18: webauthn_user_verification preferred: the options say so, no UV passes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_user_verification preferred;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
is $res->json->{authenticatorSelection}{userVerification}, 'preferred',
    wa_name() . ' - userVerification preferred';
my ($json) = $alice->attestation($res, uv => 0);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"userVerified":false)
--- no_error_log
[alert]
[emerg]



=== TEST 19: webauthn_challenge_ttl sets the timeout of the options
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_challenge_ttl 2m;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final({});
--- request
POST /webauthn/register/options
--- error_code: 200
--- response_body_like: "timeout":120000[,}]
--- no_error_log
[alert]
[emerg]



=== TEST 20: an empty body is the same as {} for register_options
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final(undef);
--- request
POST /webauthn/register/options
--- error_code: 200
--- response_body_like: ^\{(?=.*"challenge":"[A-Za-z0-9_-]{43}")(?=.*"name":"alice")
--- no_error_log
[alert]
[emerg]



=== TEST 21: webauthn_hints: the options carry them, in order
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_hints client-device hybrid;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
is_deeply $alice->login_options->json->{hints}, ['client-device', 'hybrid'],
    wa_name() . ' - login_options has the hints too';
wa_client('bob')->final({});
--- request
POST /webauthn/register/options
--- error_code: 200
--- response_body_like: "hints":\["client-device","hybrid"\]
--- no_error_log
[alert]
[emerg]
