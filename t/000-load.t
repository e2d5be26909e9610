# The module loads, accepts a configuration that uses every directive, lets
# ungated requests through and answers on its endpoints.

use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

# --- user_files are then written readable by every user (0644)
umask 022;

# The debug log shows whether the gate ran; only a --with-debug nginx has it.
our $NoDebug = `$Test::Nginx::Util::NginxBinary -V 2>&1` !~ /--with-debug/
    ? 1 : 0;

run_tests();

__DATA__

=== TEST 1: every directive in one valid configuration
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_redis 127.0.0.1:6379 db=3 password=s3cret timeout=250ms;
    webauthn_session_cache 50000;
    webauthn_zone webauthn:1m;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Securities";
    webauthn_origin https://example.com https://trade.example.com:8443;
    webauthn_origin android:apk-key-hash:WHF4cbb0VFV1ekvdf3NeVNA7gIBCrjslxjI1HkzrPHk;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_session_ttl 15m;
    webauthn_challenge_ttl 2m;
    webauthn_identity $remote_user;
    webauthn_user_verification required;
    webauthn_enroll passkey;
--- config
    webauthn_user_verification preferred;
    webauthn_enroll open;

    location /trade/ {
        webauthn_gate passkey fallback=read;
        webauthn_probation 7d;
        webauthn_user_verification required;
        alias $TEST_NGINX_HTML_DIR/;
    }

    location /order/ {
        webauthn_gate transaction;
        alias $TEST_NGINX_HTML_DIR/;
    }

    location /account/ {
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;
    }

    location /public/ {
        webauthn_gate off;
        alias $TEST_NGINX_HTML_DIR/;
    }

    location /webauthn/ {
        location = /webauthn/register/options { webauthn_endpoint register_options; }
        location = /webauthn/register { webauthn_endpoint register; }
        location = /webauthn/login/options { webauthn_endpoint login_options; }
        location = /webauthn/login { webauthn_endpoint login; }
        location = /webauthn/transaction/options { webauthn_endpoint transaction_options; }
        location = /webauthn/credentials { webauthn_endpoint credentials; }
        location = /webauthn/logout { webauthn_endpoint logout; }
        location = /webauthn/metrics { webauthn_endpoint metrics; }
        location = /webauthn/telemetry { webauthn_endpoint telemetry; }
    }

    location /admin/ {
        webauthn_identity $http_x_operator;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
        webauthn_endpoint admin;
    }
--- user_files
>>> session.keys
# signing key first, then the keys being rotated out
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

  FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210  
>>> admin.tokens
# the IVR
ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f
>>> hello.html
hello
--- request
GET /public/hello.html
--- response_body
hello
--- no_error_log
[emerg]
[alert]
[crit]
[emerg]



=== TEST 2: a secrets file readable by every user is reported
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
--- request
GET /index.html
--- response_body_like: It works!
--- error_log eval
qr{\[warn\] .*session\.keys" is readable by every user, secrets should not be \(chmod o-r\)}



=== TEST 3: a location without webauthn_gate serves files unchanged
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- config
    location = /hello.html {
        root $TEST_NGINX_HTML_DIR;
    }
--- user_files
>>> hello.html
hello, world
--- request
GET /hello.html
--- response_headers
Content-Type: text/html
Content-Length: 13
--- response_body
hello, world
--- no_error_log
[error]



=== TEST 4: webauthn_gate off serves a static file
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- config
    location /static/ {
        webauthn_gate off;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files
>>> balance.txt
balance: 100 JPY
--- request
GET /static/balance.txt
--- response_body
balance: 100 JPY
--- no_error_log
[error]
webauthn gate



=== TEST 5: webauthn_gate off inside a gated location turns the gate off
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- config
    location /account/ {
        webauthn_identity $remote_user;
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;

        location /account/help/ {
            webauthn_gate off;
            alias $TEST_NGINX_HTML_DIR/;
        }
    }
--- user_files
>>> faq.txt
faq
--- request
GET /account/help/faq.txt
--- response_body
faq
--- no_error_log
[error]
webauthn gate



=== TEST 6: an endpoint answers JSON, 503 store_unavailable while the store is unreachable
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_redis 127.0.0.1:1;
    webauthn_rp_id localhost;
    webauthn_origin http://localhost:8080;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
    location = /webauthn/login/options {
        webauthn_endpoint login_options;
    }
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
--- request
POST /webauthn/login/options
{}
--- more_headers
Content-Type: application/json
--- error_code: 503
--- response_headers
Content-Type: application/json
Cache-Control: no-store
!Set-Cookie
--- response_body chomp
{"error":"store_unavailable","message":"the passkey store is not available, please try again shortly","action":"retry"}
--- error_log
webauthn: redis "127.0.0.1:1": connect failed
--- no_error_log
[alert]



=== TEST 7: a refused body is discarded and the connection stays usable
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
--- config
    location = /webauthn/telemetry {
        webauthn_endpoint telemetry;
    }
    location = /ok.txt {
        root $TEST_NGINX_HTML_DIR;
    }
--- user_files
>>> ok.txt
ok
--- pipelined_requests eval
["POST /webauthn/telemetry\n" . ('{"failure":"NotAllowedError"}' x 1000),
 "GET /ok.txt"]
--- error_code eval
[413, 200]
--- response_body_like eval
['^\{"error":"payload_too_large",', '^ok$']
--- no_error_log
[error]



=== TEST 8: HEAD on an endpoint has the headers and no body
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
--- config
    location = /webauthn/metrics {
        webauthn_endpoint metrics;
    }
--- request
HEAD /webauthn/metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body eval
""



=== TEST 9: the error code is in $webauthn_reason for headers and logs
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
--- config
    location = /webauthn/telemetry {
        webauthn_endpoint telemetry;
        add_header X-WebAuthn-Reason $webauthn_reason always;
        add_header X-WebAuthn-Level $webauthn_level always;
    }
--- request
GET /webauthn/telemetry
--- error_code: 405
--- response_headers
X-WebAuthn-Reason: method_not_allowed
X-WebAuthn-Level: none



=== TEST 10: the gate runs after auth_basic: no credentials, 401 before the gate
--- skip_eval: 2: $main::NoDebug
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- config
    location /account/ {
        auth_basic "account";
        auth_basic_user_file $TEST_NGINX_HTML_DIR/htpasswd;
        webauthn_identity $remote_user;
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files
>>> htpasswd
alice:{PLAIN}wonderland
>>> statement.txt
statement
--- request
GET /account/statement.txt
--- error_code: 401
--- no_error_log
webauthn gate



=== TEST 11: the gate runs after auth_basic: valid credentials reach the gate
--- skip_eval: 4: $main::NoDebug
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- config
    location /account/ {
        auth_basic "account";
        auth_basic_user_file $TEST_NGINX_HTML_DIR/htpasswd;
        webauthn_identity $remote_user;
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- user_files
>>> htpasswd
alice:{PLAIN}wonderland
>>> statement.txt
statement
--- request
GET /account/statement.txt
--- more_headers
Authorization: Basic YWxpY2U6d29uZGVybGFuZA==
--- response_body
statement
--- error_log
webauthn gate "password"
--- no_error_log
[error]



=== TEST 12: the gate runs after allow/deny: a denied client never reaches it
--- skip_eval: 2: $main::NoDebug
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- config
    location /account/ {
        deny all;
        webauthn_identity $remote_user;
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;
    }
--- request
GET /account/index.html
--- error_code: 403
--- no_error_log
webauthn gate
