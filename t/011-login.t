# Login ceremonies (docs/http-api.md, login_options and login) with the
# software authenticator and a real Redis (scripts/with-redis.sh): every
# algorithm, the session cookie, a user named by the identity, by the
# "user" member or, passkey-first, by the passkey's user handle.

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

=== TEST 1: ES256 (-7): login: 200, a passkey session cookie
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -7);
my $res = $alice->login_options;
is $res->code, 200, wa_name() . ' - login_options: 200';
$alice->final($alice->assertion($res));
--- request
POST /webauthn/login
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?=[^\r\n]*; Path=/(?:;|\r|$))(?=[^\r\n]*; Max-Age=1800(?:;|\r|$))(?=[^\r\n]*; HttpOnly(?:;|\r|$))(?=[^\r\n]*; Secure(?:;|\r|$))(?=[^\r\n]*; SameSite=Strict(?:;|\r|$))
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"credential":"[A-Za-z0-9_-]{43}")(?=.*"userHandle":"[A-Za-z0-9_-]{43}")(?=.*"level":"passkey")(?=.*"expiresAt":\d{10}[,}]).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 2: RS256 (-257): login: 200
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -257);
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=v1\.
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 3: Ed25519 (-8): login: 200
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -8);
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=v1\.
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 4: the request options for an identity list its passkeys
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $cred = $alice->register(transports => 'usb');
my $res = $alice->login_options;
is $res->code, 200, "$name - login_options: 200";
is $res->header('Cache-Control'), 'no-store', "$name - no-store";
my $o = $res->json;
is length(wa_b64url_decode($o->{challenge})), 32, "$name - a 32-byte challenge";
is $o->{rpId}, 'example.com', "$name - rpId";
is $o->{timeout}, 300000, "$name - timeout";
is $o->{userVerification}, 'required', "$name - userVerification";
is_deeply $o->{allowCredentials},
    [{type => 'public-key', id => $cred && $cred->{id}, transports => ['usb']}],
    "$name - allowCredentials: the passkey and its stored transports";
isnt $alice->login_options->json->{challenge}, $o->{challenge},
    "$name - a new challenge every time";
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{(?=.*"challenge":"[A-Za-z0-9_-]{43}")(?=.*"rpId":"example.com")(?=.*"allowCredentials":\[\{[^\]]*"transports":\["usb"\]\}\]).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 5: login_options: a "user" other than the identity: 403 user_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
wa_client('bob')->register;
$alice->final({user => 'bob'});
--- request
POST /webauthn/login/options
--- error_code: 403
--- response_body_like: ^\{"error":"user_mismatch","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 6: login_options with a "user" member and no identity, then login as that user
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $cred = $alice->register;
my $anon = wa_client(undef);
$anon->set_cred($cred);
my $res = $anon->login_options(user => 'alice');
is $res->code, 200, "$name - login_options {\"user\":\"alice\"}: 200";
is scalar(@{ $res->json->{allowCredentials} || [] }), 1,
    "$name - alice's passkey is listed";
$anon->final($anon->assertion($res));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 7: passkey-first: no identity, the user handle names the user
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $cred = $alice->register;
wa_client('bob')->register;
my $anon = wa_client(undef);
$anon->set_cred($cred);
my $res = $anon->login_options;
is $res->code, 200, "$name - passkey-first login_options: 200";
is_deeply $res->json->{allowCredentials} // [], [],
    "$name - allowCredentials is empty";
$anon->final($anon->assertion($res));
--- request
POST /webauthn/login
--- error_code: 200
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=v1\.
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 8: passkey-first without a user handle: refused, no session
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $cred = $alice->register;
my $anon = wa_client(undef);
$anon->set_cred($cred);
$anon->final($anon->assertion($anon->login_options, no_user_handle => 1));
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 9: passkey-first with the user handle of another account: refused
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $bob = wa_client('bob');
my $acred = $alice->register;
my $bcred = $bob->register;
my $anon = wa_client(undef);
$anon->set_cred($acred);
my $as = wa_json($anon->assertion($anon->login_options)) // {};
$as->{response}{userHandle} = $bcred && $bcred->{user_handle};
$anon->final($as);
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_unknown","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 10: bob's passkey over a challenge issued to alice: refused
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $bob = wa_client('bob');
$alice->register;
my $bcred = $bob->register;
$alice->final($alice->assertion($alice->login_options, cred => $bcred));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_unknown","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 11: a synced passkey: counter 0 on both sides, twice, is fine
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(be => 1, bs => 1);
$alice->login(counter => 0);
$alice->final($alice->assertion($alice->login_options, counter => 0));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 12: the counter moves forward from login to login
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->login(counter => 5);
$alice->login(counter => 6);
$alice->final($alice->assertion($alice->login_options, counter => 1000));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 13: an identity user with two passkeys logs in with either
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $first = $alice->register(alg => -7);
$alice->login;
my $second = $alice->register(alg => -8);
my $res = $alice->login_options;
is scalar(@{ $res->json->{allowCredentials} || [] }), 2,
    "$name - both passkeys are listed";
$alice->final($alice->assertion($res, cred => $first));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")
--- no_error_log
[alert]
[emerg]



=== TEST 14: webauthn_user_verification preferred: login without UV passes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_user_verification preferred;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(uv => 0);
my $res = $alice->login_options;
is $res->json->{userVerification}, 'preferred',
    wa_name() . ' - userVerification preferred';
$alice->final($alice->assertion($res, uv => 0));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 15: webauthn_session_ttl is the cookie's Max-Age
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_session_ttl 15m;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=[^;\r\n]+;[^\r\n]* Max-Age=900(?:;|\r|$)
--- no_error_log
[alert]
[emerg]



=== TEST 16: passkey-first with a user handle no account has: 403 credential_unknown
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $cred = $alice->register;
my $anon = wa_client(undef);
$anon->set_cred($cred);
my $as = wa_json($anon->assertion($anon->login_options)) // {};
$as->{response}{userHandle} = wa_b64url('n' x 32);
$anon->final($as);
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_unknown","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]
