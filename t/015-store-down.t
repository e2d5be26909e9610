# When Redis is down (docs/errors.md, store_unavailable; the design's
# invariants): passkey routes and the endpoints fail closed with 503
# store_unavailable, password routes and reads under fallback=read keep
# working, and once Redis is back the module reconnects by itself and
# nothing stored was lost.  The test Redis is stopped with SHUTDOWN SAVE
# and started again from its dump, as a restarted production Redis would
# come back (wa_redis_stop, wa_redis_start).  Needs scripts/with-redis.sh.

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

our $Config = $WebAuthnTest::Endpoints . <<'_EOC_';
    location /account/ {
        webauthn_gate password;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /trade/ {
        webauthn_gate passkey fallback=read;
        add_header X-Level $webauthn_level always;
        add_header X-Reason $webauthn_reason always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /vault/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        add_header X-User $webauthn_user always;
        add_header X-Reason $webauthn_reason always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /backend/ {
        return 200 "$request_method $uri\n";
    }
_EOC_

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
_EOF_

# alice with a passkey and a passkey session, made while Redis runs
sub alice_with_session {
    my $alice = WebAuthnTest::wa_client('alice');
    $alice->register;
    $alice->login;
    Test::More::ok($alice->session,
                   WebAuthnTest::wa_name() . ' - a passkey session');
    return $alice;
}

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: Redis down: a passkey route with a valid session is 503 store_unavailable
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = main::alice_with_session();
wa_redis_stop();
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 503
--- response_headers
Content-Type: application/json
Cache-Control: no-store
X-Level: password
X-Reason: store_unavailable
--- response_body_like: ^\{"error":"store_unavailable","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 2: Redis down: login_options is 503 store_unavailable
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
wa_redis_stop();
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 503
--- response_body_like: ^\{"error":"store_unavailable","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 3: Redis down: login with an assertion made before is 503, no session
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
wa_redis_stop();
$alice->final($json);
--- request
POST /webauthn/login
--- error_code: 503
--- response_body_like: ^\{"error":"store_unavailable","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 4: Redis down: register_options and the credentials list are 503
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::alice_with_session();
wa_redis_stop();
my $res = $alice->register_options;
is $res->code, 503, "$name - register_options: 503";
is $res->error, 'store_unavailable', "$name - register_options: store_unavailable";
$alice->final(undef);
--- request
GET /webauthn/credentials
--- error_code: 503
--- response_body_like: ^\{"error":"store_unavailable","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 5: Redis down: a password route still answers
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = main::alice_with_session();
wa_redis_stop();
$alice->final(undef);
--- request
GET /account/balance.json
--- error_code: 200
--- response_headers
X-Level: password
--- response_body
{"balance":100}
--- no_error_log
[alert]
[emerg]



=== TEST 6: Redis down: fallback=read still reads with the password, session or not
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::alice_with_session();
wa_redis_stop();
my $res = wa_client('alice')->request('GET', '/trade/board');
is $res->code, 200, "$name - a read without a session: 200";
is $res->header('X-Level'), 'password', "$name - at level password";
$alice->final(undef);
--- request
GET /trade/board
--- error_code: 200
--- response_headers
X-Level: password
X-Reason: store_unavailable
--- response_body
GET /backend/board
--- no_error_log
[alert]
[emerg]



=== TEST 7: Redis down: fallback=read, a POST with a session fails closed: 503
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = main::alice_with_session();
wa_redis_stop();
$alice->final({side => 'buy'});
--- request
POST /trade/order
--- error_code: 503
--- response_headers
X-Level: password
X-Reason: store_unavailable
--- response_body_like: ^\{"error":"store_unavailable","message":"(?:[^"\\]|\\.)+","action":"retry","fallback":"read"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: Redis back: the module reconnects, the session from before works
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::alice_with_session();
wa_redis_stop();
is $alice->request('GET', '/vault/balance.json')->code, 503,
    "$name - while Redis is down: 503";
wa_redis_start();
my $res = wa_retry { $alice->request('GET', '/vault/balance.json')->code == 200 };
ok $res, "$name - within 3 s of Redis coming back, the session passes";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
X-User: alice
--- response_body
{"balance":100}
--- no_error_log
[alert]
[emerg]



=== TEST 9: Redis back: a whole login works again
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
wa_redis_stop();
is $alice->login_options->code, 503, "$name - while Redis is down: 503";
wa_redis_start();
my $opts;
wa_retry { $opts = $alice->login_options; $opts->code == 200 };
is $opts->code, 200, "$name - login_options once Redis is back: 200";
$alice->final($alice->assertion($opts));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 10: a challenge issued before an outage is still good after it
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
my $json = $alice->assertion($alice->login_options);
wa_redis_stop();
wa_redis_start();
my $back = wa_retry { $alice->request('GET', '/account/balance.json')->code == 200
                      && wa_client('carol')->register_options->code == 200 };
ok $back, "$name - the store answers again";
$alice->final($json);
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 11: Redis too slow (paused): 503 within the timeout, then served again
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::alice_with_session();
my $bob = wa_client('bob');
$bob->register;
$bob->login;
# longer than the module's timeout, so that its commands time out
my $pause = wa_redis_timeout_ms() + 1200;
is wa_redis('client', 'pause', $pause, 'all'), 'OK', "$name - CLIENT PAUSE";
my $res = $alice->request('GET', '/vault/balance.json');
is $res->code, 503, "$name - while Redis does not answer: 503";
is $res->error, 'store_unavailable', "$name - store_unavailable";
# the late answers of the paused commands must not be taken for the
# answers of later ones: bob's session is never alice's
my $ok = wa_retry { $bob->request('GET', '/vault/balance.json')->code == 200 }
                  $pause / 1000 + 3;
ok $ok, "$name - served again once Redis answers";
is $bob->request('GET', '/vault/balance.json')->header('X-User'), 'bob',
    "$name - bob is bob";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
X-User: alice
--- no_error_log
[alert]
[emerg]



=== TEST 12: Redis down for good: nothing but 503s, no crash
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::alice_with_session();
wa_redis_stop();
for my $i (1 .. 20) {
    my $res = $alice->request('GET', '/vault/balance.json');
    if ($res->code != 503) {
        fail("$name - request $i: " . $res->describe);
        last;
    }
}
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 503
--- response_body_like: "error":"store_unavailable"
--- no_error_log
[alert]
[emerg]
