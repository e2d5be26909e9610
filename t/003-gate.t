# The access-phase gate without a passkey session: password gates need the
# identity; passkey and transaction gates refuse with 403 passkey_required,
# while "fallback=read" keeps reads working for a password-identified user.
# The store is unreachable here on purpose: deciding that a request has no
# session needs no store, so none of this may wait for it.

use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $HttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:1 timeout=100ms;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    log_format webauthn '$request_uri level=$webauthn_level user=$webauthn_user reason=$webauthn_reason';
_EOC_

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
_EOF_

no_shuffle();
run_tests();

__DATA__

=== TEST 1: password gate: no identity is 401 identity_required, as JSON
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /account/ {
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
GET /account/balance.json
--- error_code: 401
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like: ^\{"error":"identity_required","message":"[^"]+","action":"login"\}$
--- no_error_log
[alert]
[crit]



=== TEST 2: password gate: an identity passes with level password
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /account/ {
        webauthn_gate password;
        add_header X-Level $webauthn_level;
        add_header X-User $webauthn_user;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
GET /account/balance.json
--- more_headers
X-User: alice
--- response_headers
X-Level: password
X-User: alice
--- response_body
{"balance":100}



=== TEST 3: passkey gate without a session: 403 passkey_required, fail closed
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
GET /trade/balance.json
--- more_headers
X-User: alice
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"[^"]+","action":"passkey"\}$



=== TEST 4: passkey gate with fallback=read: GET passes at level password
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey fallback=read;
        add_header X-Level $webauthn_level;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
GET /trade/balance.json
--- more_headers
X-User: alice
--- response_headers
X-Level: password
--- response_body
{"balance":100}



=== TEST 5: passkey gate with fallback=read: HEAD passes too
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey fallback=read;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
HEAD /trade/balance.json
--- more_headers
X-User: alice
--- error_code: 200
--- response_body



=== TEST 6: passkey gate with fallback=read: POST refused, the next read proxied
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey fallback=read;
        access_log logs/gate.log webauthn;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /backend/ {
        return 200 "order placed\n";
    }
--- user_files eval: $::UserFiles
--- pipelined_requests eval
["POST /trade/order\n{\"side\":\"buy\",\"qty\":100}", "GET /trade/balance.json"]
--- more_headers
X-User: alice
--- error_code eval
[403, 200]
--- response_body_like eval
['^\{"error":"passkey_required","message":"[^"]+","action":"passkey","fallback":"read"\}$', '^order placed$']



=== TEST 7: passkey gate with fallback=read and no identity: 401, not a read
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey fallback=read;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
GET /trade/balance.json
--- error_code: 401
--- response_body_like: "error":"identity_required"



=== TEST 8: transaction gate without a session: 403 even for GET
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /withdraw/ {
        webauthn_gate transaction;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
GET /withdraw/balance.json
--- more_headers
X-User: alice
--- error_code: 403
--- response_body_like: "error":"passkey_required"



=== TEST 9: a refusal is logged with its reason and the level reached
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey;
        add_header X-Reason $webauthn_reason always;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- request
POST /trade/order
{"side":"sell"}
--- more_headers
X-User: alice
--- error_code: 403
--- response_headers
X-Reason: passkey_required
X-Level: password



=== TEST 10: passkey gate with no webauthn_identity at all: 403, fail closed
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_redis 127.0.0.1:1 timeout=100ms;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
    location /trade/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- pipelined_requests eval
["GET /trade/balance.json", "POST /trade/order\n{}"]
--- error_code eval
[403, 403]
--- response_headers eval
["X-Level: none", "X-Level: none"]
--- response_body_like eval
['"error":"passkey_required"', '"error":"passkey_required"']
--- no_error_log
[alert]



=== TEST 11: a forged session cookie is no session: refused without asking the store
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location /trade/ {
        webauthn_gate passkey fallback=read;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files eval: $::UserFiles
--- pipelined_requests eval
["POST /trade/order\n{}", "GET /trade/balance.json"]
--- more_headers
X-User: alice
Cookie: webauthn_session=v1.MTk5OTk5OTk5OXwwfGFiY3xZV3hwWTJVfGNyZWQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- error_code eval
[403, 200]
--- response_headers eval
["X-Level: password", "X-Level: password"]
--- response_body_like eval
['"error":"passkey_required".*"fallback":"read"', '^\{"balance":100\}$']
--- error_log
session cookie is invalid
--- no_error_log
timed out
