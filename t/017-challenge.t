# Challenges (the design's first invariant): used at most once, within
# their TTL, for the ceremony they were issued for; two concurrent
# submissions of one assertion can never both succeed.  Needs a real
# Redis: scripts/with-redis.sh.  Two blocks wait out a 10 s TTL.

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

=== TEST 1: an assertion used once is refused the second time: challenge_unknown
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
my $json = $alice->assertion($alice->login_options);
my $res = $alice->post('/webauthn/login', $json);
is $res->code, 200, wa_name() . ' - first use: 200';
$alice->set_session(undef);
$alice->final($json);
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 2: a login challenge past webauthn_challenge_ttl: challenge_expired
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_challenge_ttl 10s;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
my $opts = $alice->login_options;
is $opts->json->{timeout}, 10000, wa_name() . ' - timeout 10000 ms';
my $json = $alice->assertion($opts);
sleep 11;
$alice->final($json);
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_expired","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 3: a registration challenge past webauthn_challenge_ttl: challenge_expired
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig . "    webauthn_challenge_ttl 10s;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $res = $alice->register_options;
is $res->code, 200, wa_name() . ' - options: 200';
my ($json) = $alice->attestation($res);
sleep 11;
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_expired","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 4: two concurrent submissions of one assertion: exactly one succeeds
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $twin = wa_client('alice');
$alice->register;
my $json = $alice->assertion($alice->login_options);
my @res = wa_concurrent([$alice, 'POST', '/webauthn/login', body => $json],
                        [$twin, 'POST', '/webauthn/login', body => $json]);
my @codes = sort map { $_->code } @res;
is_deeply \@codes, [200, 403], "$name - one 200 and one 403";
my ($refused) = grep { $_->code == 403 } @res;
is $refused && $refused->error, 'challenge_unknown',
    "$name - the other is challenge_unknown";
is scalar(grep { $_->header('Set-Cookie') } @res), 1, "$name - one session";
$alice->set_session(undef);
$alice->final($json);
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 5: five concurrent submissions of one assertion: exactly one succeeds
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
my $json = $alice->assertion($alice->login_options);
my @res = wa_concurrent(map { [wa_client('alice'), 'POST', '/webauthn/login',
                               body => $json] } 1 .. 5);
my @codes = sort map { $_->code } @res;
is_deeply \@codes, [200, 403, 403, 403, 403], "$name - one 200, four 403";
is_deeply [sort map { $_->error } grep { $_->code == 403 } @res],
    [('challenge_unknown') x 4], "$name - the others challenge_unknown";
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 6: two concurrent registrations of one attestation: exactly one passkey
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
my ($json) = $alice->attestation($res);
my @res = wa_concurrent([$alice, 'POST', '/webauthn/register', body => $json],
                        [wa_client('alice'), 'POST', '/webauthn/register',
                         body => $json]);
is_deeply [sort map { $_->code } @res], [201, 403],
    "$name - one 201 and one 403";
is scalar(@{ $alice->credentials->json->{credentials} || [] }), 1,
    "$name - one passkey listed";
$alice->final(undef);
--- request
GET /webauthn/credentials
--- error_code: 200
--- response_body_like: ^\{(?=.*"credentials":\[\{)(?!.*\},\{).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 7: a challenge of register_options cannot log in
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->login;
my $ro = $alice->register_options;
is $ro->code, 200, wa_name() . ' - register_options with a session: 200';
$alice->set_session(undef);
$alice->final($alice->assertion($ro));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: a login challenge issued to bob cannot log alice in
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
$bob->register;
my $bopts = $bob->login_options;
is $bopts->code, 200, wa_name() . ' - bob login_options: 200';
$alice->final($alice->assertion($bopts));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 9: a challenge that is not 32 bytes: challenge_unknown
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
is $alice->login_options->code, 200, wa_name() . ' - login_options: 200';
$alice->final($alice->assertion({challenge => wa_b64url('s' x 16)}));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 10: a login that fails verification uses up its challenge
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
my $opts = $alice->login_options;
my $res = $alice->post('/webauthn/login',
                       $alice->assertion($opts, corrupt => 1));
is $res->code, 403, wa_name() . ' - a bad signature: 403';
like $res->body, qr/"error":"signature_invalid"/,
     wa_name() . ' - a bad signature: signature_invalid';
$alice->final($alice->assertion($opts));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"challenge_unknown","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]
