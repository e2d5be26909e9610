# Malformed and refused ceremony bodies (docs/http-api.md, "Limits common
# to every endpoint"; docs/errors.md): every class gets its JSON code.  The
# bodies are real assertions of the software authenticator, broken in one
# way each, so that nothing else can be the reason.  Needs a real Redis:
# scripts/with-redis.sh.

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

# The init of most blocks: alice registers a passkey and fetches login
# options; returns (the client, the options response).
sub alice_ready {
    my $alice = WebAuthnTest::wa_client('alice');
    $alice->register;
    my $opts = $alice->login_options;
    Test::More::is($opts->code, 200,
                   WebAuthnTest::wa_name() . ' - login_options: 200');
    return ($alice, $opts);
}

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: not JSON: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final('hello, world');
--- request
POST /webauthn/login
--- error_code: 400
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 2: a valid assertion followed by garbage: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts) . ' x');
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 3: a valid assertion followed by a second object: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts) . '{}');
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 4: a duplicate key: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $json = $alice->assertion($opts);
$json =~ s/^\{/{"type":"public-key",/;
$alice->final($json);
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 5: a member of the wrong type: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $as = wa_json($alice->assertion($opts)) // {};
$as->{response}{signature} = [1, 2, 3];
$alice->final($as);
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 6: the response is not an object: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final('[' . $alice->assertion($opts) . ']');
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 7: bad base64url (padding) in the signature: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $as = wa_json($alice->assertion($opts)) // {};
$as->{response}{signature} .= '==';
$alice->final($as);
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: bad base64url (a character of base64) in authenticatorData: 400
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $as = wa_json($alice->assertion($opts)) // {};
substr($as->{response}{authenticatorData}, 4, 1) = '+';
$alice->final($as);
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 9: a login body over 64 KiB: 413 payload_too_large
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final('{"pad":"' . ('x' x (64 * 1024)) . '"}');
--- request
POST /webauthn/login
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body_like: ^\{"error":"payload_too_large","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 10: a register body over 256 KiB: 413 payload_too_large
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final('{"pad":"' . ('x' x (256 * 1024)) . '"}');
--- request
POST /webauthn/register
--- error_code: 413
--- response_body_like: ^\{"error":"payload_too_large","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 11: a register body of 100 KiB is within its limit (and read from a file)
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
my ($json) = $alice->attestation($res);
my $reg = wa_json($json) // {};
$reg->{clientExtensionResults} = {pad => 'x' x (100 * 1024)};
$alice->final($reg);
--- request
POST /webauthn/register
--- error_code_like: ^(201|400)$
--- response_body_unlike: payload_too_large
--- no_error_log
[alert]
[emerg]



=== TEST 12: the wrong Content-Type: 415 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts), content_type => 'text/plain');
--- request
POST /webauthn/login
--- error_code: 415
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 13: a body without a Content-Type: 415 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts), content_type => '');
--- request
POST /webauthn/login
--- error_code: 415
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 14: application/json with a charset is fine
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts),
              content_type => 'application/json; charset=utf-8');
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 15: GET on a ceremony: 405 method_not_allowed, Allow: POST
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final(undef);
--- request
GET /webauthn/login
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body_like: ^\{"error":"method_not_allowed","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 16: PUT on credentials: 405 method_not_allowed, Allow: GET and DELETE
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final({});
--- request
PUT /webauthn/credentials
--- error_code: 405
--- response_headers_like
Allow: (GET, ?DELETE|DELETE, ?GET)
--- response_body_like: ^\{"error":"method_not_allowed"
--- no_error_log
[alert]
[emerg]



=== TEST 17: an unknown credential: 403 credential_unknown, action reregister
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
# a passkey the authenticator made but the server never saw
my (undef, $ghost) = $alice->attestation({challenge => wa_b64url('g' x 32),
                                          rp => {id => 'example.com'},
                                          user => {id => $alice->cred
                                                   && $alice->cred->{user_handle}}},
                                         keep => 1);
$alice->final($alice->assertion($opts, cred => $ghost));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_unknown","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 18: a counter that goes back: 403 counter_regression, action support
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->login(counter => 10);
$alice->final($alice->assertion($alice->login_options, counter => 7));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"counter_regression","message":"(?:[^"\\]|\\.)+","action":"support"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 19: a counter that stays the same (not 0): 403 counter_regression
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->login(counter => 10);
$alice->final($alice->assertion($alice->login_options, counter => 10));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"counter_regression","message":"(?:[^"\\]|\\.)+","action":"support"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 20: a corrupted signature: 403 signature_invalid, action reregister
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts, corrupt => 1));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"signature_invalid","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 21: a corrupted Ed25519 signature: 403 signature_invalid
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -8);
$alice->final($alice->assertion($alice->login_options, corrupt => 1));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"signature_invalid","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 22: a corrupted RS256 signature: 403 signature_invalid
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -257);
$alice->final($alice->assertion($alice->login_options, corrupt => 1));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"signature_invalid","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 23: another origin: 403 origin_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts, origin => 'https://example.com.evil.example'));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"origin_mismatch","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 24: another RP ID: 403 rp_id_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts, rp_id => 'evil.example'));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"rp_id_mismatch","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 25: a registration for another RP ID: 403 rp_id_mismatch
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
my ($json) = $alice->attestation($res, rp_id => 'evil.example');
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"rp_id_mismatch","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 26: a clientDataJSON of the other ceremony: 400 type_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts, type => 'webauthn.create'));
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"type_mismatch","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 27: a credential type that is not public-key: 400 type_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $as = wa_json($alice->assertion($opts)) // {};
$as->{type} = 'password';
$alice->final($as);
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"type_mismatch","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 28: id and rawId disagree: 400 credential_id_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $as = wa_json($alice->assertion($opts)) // {};
$as->{rawId} = wa_b64url('r' x 32);
$alice->final($as);
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"credential_id_mismatch","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 29: no user presence: 403 user_presence_missing
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts, no_up => 1));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"user_presence_missing","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 30: no user verification where it is required: 403 user_verification_required
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
$alice->final($alice->assertion($opts, uv => 0));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"user_verification_required","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 31: login with an empty object: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final({});
--- request
POST /webauthn/login
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 32: login_options with trailing garbage: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final('{} {}');
--- request
POST /webauthn/login/options
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 33: login_options with a "user" that is not a string: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client(undef)->final('{"user":["alice"]}');
--- request
POST /webauthn/login/options
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 34: a chunked body read through a small buffer (a temporary file)
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval
$::Config =~ s/(webauthn_endpoint login;)/client_body_buffer_size 128;\n        $1/r
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $opts) = main::alice_ready();
my $json = $alice->assertion($opts);
my $chunked = '';
$chunked .= sprintf("%x\r\n%s\r\n", length $1, $1) while $json =~ /(.{1,100})/gs;
$chunked .= "0\r\n\r\n";
$alice->final($chunked, headers => ['Transfer-Encoding: chunked']);
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")
--- no_error_log
[alert]
[emerg]



=== TEST 35: an error message never opens an HTML context
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('<script>alert(1)</script>')->final('{"user":"<b>&amp;</b>"}');
--- request
POST /webauthn/login/options
--- error_code_like: ^4\d\d$
--- response_body_unlike: [<>&]
--- no_error_log
[alert]
[emerg]



=== TEST 36: an identity over 256 bytes: 403 policy_denied
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('a' x 257)->final({});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_body_like: ^\{"error":"policy_denied","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 37: an identity of 256 bytes is fine
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('a' x 256)->final({});
--- request
POST /webauthn/register/options
--- error_code: 200
--- response_body_like: "challenge":"[A-Za-z0-9_-]{43}"
--- no_error_log
[alert]
[emerg]



=== TEST 38: an endpoint of a later release: 501 not_implemented
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval
$::Config . '
    location = /webauthn/transaction/options {
        webauthn_endpoint transaction_options;
    }
'
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->final({method => 'POST', uri => '/api/orders/'});
--- request
POST /webauthn/transaction/options
--- error_code: 501
--- response_body_like: ^\{"error":"not_implemented","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]
