# The gate with passkey sessions (docs/directives.md, webauthn_gate): a
# passkey gate passes a passkey session at level passkey; with
# fallback=read a password alone still reads (level password) and
# everything else is 403 passkey_required.  Then the same with the
# password layers the module composes with: auth_basic ($remote_user) and
# auth_request (auth_request_set from a login service, here a server on a
# unix socket).  Needs a real Redis: scripts/with-redis.sh.

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $HttpBase = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_enroll open;
_EOC_

our $HttpConfig = $HttpBase . <<'_EOC_';
    webauthn_identity $http_x_user;
_EOC_

# the login service of the auth_request blocks: 200 with the account in
# X-Account for a known X-Token, else 401
our $HttpSso = $HttpBase . <<'_EOC_';
    map $http_x_token $sso_account {
        default  "";
        t-alice  alice;
        t-bob    bob;
    }

    server {
        listen unix:$TEST_NGINX_HTML_DIR/sso.sock;

        location = /check {
            if ($sso_account = "") {
                return 401;
            }
            add_header X-Account $sso_account;
            return 200;
        }
    }
_EOC_

# /trade/ reads with a password, writes with a passkey; /vault/ needs a
# passkey for everything; /backend/ is the application (ungated, so
# "return" is fine there), and tells what it learnt from the gate
our $Locations = <<'_EOC_';
    location /trade/ {
        webauthn_gate passkey fallback=read;
        add_header X-Level $webauthn_level always;
        add_header X-Reason $webauthn_reason always;
        proxy_set_header X-WebAuthn-User $webauthn_user;
        proxy_set_header X-WebAuthn-Level $webauthn_level;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /vault/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        add_header X-User $webauthn_user always;
        add_header X-Credential $webauthn_credential always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /backend/ {
        auth_basic off;
        auth_request off;
        return 200 "$request_method $uri user=$http_x_webauthn_user level=$http_x_webauthn_level\n";
    }
_EOC_

our $Config = $WebAuthnTest::Endpoints . $Locations;

our $BasicConfig = <<'_EOC_' . $WebAuthnTest::Endpoints . $Locations;
    auth_basic "Example Brokerage";
    auth_basic_user_file $TEST_NGINX_HTML_DIR/htpasswd;
    webauthn_identity $remote_user;
_EOC_

our $SsoConfig = <<'_EOC_' . $WebAuthnTest::Endpoints . $Locations;
    auth_request /_auth;
    auth_request_set $account $upstream_http_x_account;
    webauthn_identity $account;

    location = /_auth {
        internal;
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/sso.sock:/check;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
    }
_EOC_

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
>>> htpasswd
alice:{PLAIN}alice-secret
bob:{PLAIN}bob-secret
_EOF_

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: fallback=read: a GET with the password alone passes at level password
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->final(undef);
--- request
GET /trade/board
--- error_code: 200
--- response_headers
X-Level: password
X-Reason: passkey_required
--- response_body
GET /backend/board user=alice level=password
--- no_error_log
[alert]
[emerg]



=== TEST 2: fallback=read: a POST with the password alone is 403 passkey_required
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->final({side => 'buy', qty => 100});
--- request
POST /trade/order
--- error_code: 403
--- response_headers
Content-Type: application/json
Cache-Control: no-store
X-Level: password
X-Reason: passkey_required
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey","fallback":"read"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 3: fallback=read: a POST with a passkey session passes at level passkey
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
$alice->final({side => 'buy', qty => 100});
--- request
POST /trade/order
--- error_code: 200
--- response_headers
X-Level: passkey
--- response_body
POST /backend/order user=alice level=passkey
--- no_error_log
[alert]
[emerg]



=== TEST 4: fallback=read: a GET with a passkey session is at level passkey
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
$alice->final(undef);
--- request
GET /trade/board
--- error_code: 200
--- response_body
GET /backend/board user=alice level=passkey
--- no_error_log
[alert]
[emerg]



=== TEST 5: a passkey gate without fallback: a GET with the password alone is refused
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_headers
X-Level: password
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 6: a passkey gate: a passkey session passes, with user and credential
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $cred = $alice->register;
$alice->login;
$block->set_value(response_headers => "X-Level: passkey\nX-User: alice\n"
                  . "X-Credential: " . ($cred ? $cred->{id} : '?'));
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



=== TEST 7: no identity and no session: 401 identity_required, also for a POST
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client(undef)->final({side => 'buy'});
--- request
POST /trade/order
--- error_code: 401
--- response_body_like: ^\{"error":"identity_required","message":"(?:[^"\\]|\\.)+","action":"login"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: auth_basic: register and log in as $remote_user, then a POST passes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval: $::BasicConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice', headers => [wa_basic('alice', 'alice-secret')]);
$alice->register;
$alice->login;
$alice->final({side => 'sell'});
--- request
POST /trade/order
--- error_code: 200
--- response_headers
X-Level: passkey
--- response_body
POST /backend/order user=alice level=passkey
--- no_error_log
[alert]
[emerg]



=== TEST 9: auth_basic: the password alone reads but does not trade
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval: $::BasicConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice', headers => [wa_basic('alice', 'alice-secret')]);
$alice->register;
my $res = $alice->request('GET', '/trade/board');
is $res->code, 200, "$name - GET with the password: 200";
is $res->body, "GET /backend/board user=alice level=password\n",
    "$name - GET at level password";
$alice->final({side => 'sell'});
--- request
POST /trade/order
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey","fallback":"read"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 10: auth_basic: no password is auth_basic's 401, not the module's
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval: $::BasicConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client(undef)->final(undef);
--- request
GET /trade/board
--- error_code: 401
--- raw_response_headers_like: WWW-Authenticate: Basic realm="Example Brokerage"
--- raw_response_headers_unlike: X-Reason|application/json
--- no_error_log
[alert]
[emerg]



=== TEST 11: auth_basic: bob's password with alice's passkey session: 403 user_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval: $::BasicConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice', headers => [wa_basic('alice', 'alice-secret')]);
$alice->register;
$alice->login;
my $bob = wa_client('bob', headers => [wa_basic('bob', 'bob-secret')]);
$bob->set_session($alice->session);
$bob->final({side => 'sell'});
--- request
POST /trade/order
--- error_code: 403
--- response_headers
X-Reason: user_mismatch
--- response_body_like: ^\{"error":"user_mismatch","message":"(?:[^"\\]|\\.)+","action":"retry","fallback":"read"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 12: auth_request: the login service names the user, a passkey session trades
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpSso
--- config eval: $::SsoConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice', headers => ['X-Token: t-alice']);
$alice->register;
$alice->login;
$alice->final({side => 'buy'});
--- request
POST /trade/order
--- error_code: 200
--- response_headers
X-Level: passkey
--- response_body
POST /backend/order user=alice level=passkey
--- no_error_log
[alert]
[emerg]



=== TEST 13: auth_request: the password alone reads (level password), does not trade
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpSso
--- config eval: $::SsoConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice', headers => ['X-Token: t-alice']);
$alice->register;
my $res = $alice->request('GET', '/trade/board');
is $res->code, 200, "$name - GET with the password: 200";
is $res->body, "GET /backend/board user=alice level=password\n",
    "$name - GET at level password";
$alice->final({side => 'buy'});
--- request
POST /trade/order
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey","fallback":"read"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 14: auth_request: refused by the login service: its 401, not the module's
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpSso
--- config eval: $::SsoConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice', headers => ['X-Token: t-alice']);
$alice->register;
$alice->login;
my $thief = wa_client(undef, headers => ['X-Token: stolen']);
$thief->set_session($alice->session);
$thief->final({side => 'buy'});
--- request
POST /trade/order
--- error_code: 401
--- raw_response_headers_unlike: X-Reason|application/json
--- no_error_log
[alert]
[emerg]



=== TEST 15: auth_request: bob's login with alice's passkey session: 403 user_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpSso
--- config eval: $::SsoConfig
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice', headers => ['X-Token: t-alice']);
$alice->register;
$alice->login;
my $bob = wa_client('bob', headers => ['X-Token: t-bob']);
$bob->set_session($alice->session);
$bob->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"user_mismatch","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]
