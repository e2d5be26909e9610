# Configuration mistakes stop nginx at startup with a message that says what
# is wrong and where.

use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

# every block loads the module unless it says otherwise
add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->main_config) {
        $block->set_value('main_config',
                          "load_module $ENV{TEST_NGINX_WEBAUTHN_MODULE};");
    }
});

run_tests();

__DATA__

=== TEST 1: webauthn_redis refuses a host name
--- http_config
    webauthn_redis localhost:6379;
--- config
--- must_die
--- error_log
invalid redis address "localhost:6379": use an IP address or unix: socket, name resolution would block



=== TEST 2: webauthn_redis refuses a bad port
--- http_config
    webauthn_redis 127.0.0.1:65536;
--- config
--- must_die
--- error_log
invalid redis address "127.0.0.1:65536", invalid port



=== TEST 3: webauthn_redis refuses a relative unix socket path
--- http_config
    webauthn_redis unix:redis.sock;
--- config
--- must_die
--- error_log
invalid redis address "unix:redis.sock", the unix socket path must be absolute



=== TEST 4: webauthn_redis wants IPv6 addresses in brackets
--- http_config
    webauthn_redis ::1:6379;
--- config
--- must_die
--- error_log
write IPv6 addresses in brackets, like [::1]:6379



=== TEST 5: webauthn_redis refuses a negative database
--- http_config
    webauthn_redis 127.0.0.1:6379 db=-1;
--- config
--- must_die
--- error_log
invalid "db=-1", the database must be a non-negative number



=== TEST 6: webauthn_redis refuses a zero timeout
--- http_config
    webauthn_redis [::1]:6379 timeout=0;
--- config
--- must_die
--- error_log
invalid "timeout=0", the timeout must be a positive time



=== TEST 7: webauthn_redis refuses an unknown parameter
--- http_config
    webauthn_redis unix:/run/redis/redis.sock user=nginx;
--- config
--- must_die
--- error_log
invalid parameter "user=nginx", use db=, password= or timeout=



=== TEST 8: webauthn_redis is allowed once
--- http_config
    webauthn_redis 127.0.0.1:6379;
    webauthn_redis 127.0.0.1:6380;
--- config
--- must_die
--- error_log
"webauthn_redis" directive is duplicate



=== TEST 9: webauthn_redis belongs in http
--- config
    webauthn_redis 127.0.0.1:6379;
--- must_die
--- error_log
"webauthn_redis" directive is not allowed here



=== TEST 10: webauthn_rp_id refuses an IP address
--- http_config
    webauthn_rp_id 192.0.2.10;
--- config
--- must_die
--- error_log
invalid webauthn_rp_id "192.0.2.10": it is an IP address, a domain name is required



=== TEST 11: webauthn_rp_id refuses a numeric last label
--- http_config
    webauthn_rp_id example.123;
--- config
--- must_die
--- error_log
invalid webauthn_rp_id "example.123": its last label is numeric, browsers would read it as an IPv4 address



=== TEST 12: webauthn_rp_id must be lowercase
--- http_config
    webauthn_rp_id Example.com;
--- config
--- must_die
--- error_log
invalid webauthn_rp_id "Example.com": it must be lowercase



=== TEST 13: webauthn_rp_id refuses a trailing dot
--- http_config
    webauthn_rp_id example.com.;
--- config
--- must_die
--- error_log
invalid webauthn_rp_id "example.com.": it must not end with a dot



=== TEST 14: webauthn_rp_id refuses an empty label
--- http_config
    webauthn_rp_id www..example.com;
--- config
--- must_die
--- error_log
invalid webauthn_rp_id "www..example.com": it has an empty label



=== TEST 15: webauthn_rp_id refuses more than 253 characters
--- http_config eval
"    webauthn_rp_id " . ('a' x 63 . '.') x 3 . 'a' x 63 . ";"
--- config
--- must_die
--- error_log
it is longer than 253 characters



=== TEST 16: webauthn_rp_id is a bare domain name
--- http_config
    webauthn_rp_id https://example.com;
--- config
--- must_die
--- error_log
only the domain name is expected, without scheme, port or path



=== TEST 17: webauthn_origin refuses a trailing slash
--- http_config
    webauthn_origin https://example.com/;
--- config
--- must_die
--- error_log
invalid webauthn_origin "https://example.com/", an origin has no path, query or trailing slash



=== TEST 18: webauthn_origin refuses plain http beyond localhost
--- http_config
    webauthn_origin http://example.com;
--- config
--- must_die
--- error_log
invalid webauthn_origin "http://example.com", use https: http is accepted for localhost and 127.0.0.1 only



=== TEST 19: webauthn_origin refuses the default port, which clients never send
--- http_config
    webauthn_origin https://example.com:443;
--- config
--- must_die
--- error_log
invalid webauthn_origin "https://example.com:443", omit the default port



=== TEST 20: webauthn_origin refuses other schemes
--- http_config
    webauthn_origin ftp://example.com;
--- config
--- must_die
--- error_log
invalid webauthn_origin "ftp://example.com", use https://host[:port], http://localhost[:port], http://127.0.0.1[:port] or android:apk-key-hash:<hash>



=== TEST 21: webauthn_origin checks an Android key hash
--- http_config
    webauthn_origin android:apk-key-hash:WHF4cbb0VFV1ekvdf3NeVNA7gIBCrjslxjI1HkzrPH;
--- config
--- must_die
--- error_log
the key hash must be the unpadded base64url SHA-256 of the APK signing certificate



=== TEST 22: webauthn_origin refuses a non-canonical Android key hash
--- http_config
    webauthn_origin android:apk-key-hash:WHF4cbb0VFV1ekvdf3NeVNA7gIBCrjslxjI1HkzrPHl;
--- config
--- must_die
--- error_log
the key hash must be the unpadded base64url SHA-256 of the APK signing certificate



=== TEST 23: webauthn_origin host must be lowercase
--- http_config
    webauthn_origin https://Trade.Example.com;
--- config
--- must_die
--- error_log
invalid webauthn_origin "https://Trade.Example.com", the host is invalid: it must be lowercase



=== TEST 24: webauthn_origin refuses a duplicate
--- http_config
    webauthn_origin https://example.com;
    webauthn_origin https://example.com;
--- config
--- must_die
--- error_log
duplicate webauthn_origin "https://example.com"



=== TEST 25: an origin outside the RP ID could never succeed
--- http_config
    webauthn_rp_id example.com;
    webauthn_origin https://example.com https://example.net;
--- config
--- must_die
--- error_log
webauthn_origin "https://example.net" is not within webauthn_rp_id "example.com": its host must be the RP ID or a subdomain of it



=== TEST 26: a suffix that is not a parent domain is outside the RP ID
--- http_config
    webauthn_rp_id example.com;
--- config
    webauthn_origin https://badexample.com;
--- must_die
--- error_log
webauthn_origin "https://badexample.com" is not within webauthn_rp_id "example.com"



=== TEST 27: a localhost origin needs the localhost RP ID
--- http_config
    webauthn_rp_id example.com;
    webauthn_origin http://localhost:8080;
--- config
--- must_die
--- error_log
webauthn_origin "http://localhost:8080" needs "webauthn_rp_id localhost", not "example.com"



=== TEST 28: webauthn_session_key needs a readable file
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/missing.keys;
--- config
--- must_die
--- error_log eval
qr{open\(\) ".*/missing\.keys" failed \(2: No such file or directory\)}



=== TEST 29: webauthn_session_key refuses a file without keys
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
--- user_files
>>> session.keys
# keys are added by the deployment

--- must_die
--- error_log
session.keys", write one per line



=== TEST 30: webauthn_session_key names the line of a bad key
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg
--- must_die
--- error_log
session.keys", line 2: a key is hex digits only, without spaces or comments



=== TEST 31: webauthn_session_key refuses a key shorter than 32 bytes
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
--- user_files
>>> session.keys
# too short

0123456789abcdef0123456789abcdef
--- must_die
--- error_log
session.keys", line 3: the key is 16 bytes, at least 32 are required (generate one with "openssl rand -hex 32")



=== TEST 32: webauthn_session_key refuses an odd number of hex digits
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0
--- must_die
--- error_log
session.keys", line 1: odd number of hex digits



=== TEST 33: webauthn_session_key refuses the same key twice
--- http_config
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
--- must_die
--- error_log
session.keys", line 2: the same secret appears twice



=== TEST 34: webauthn_admin_token refuses a short token
--- config
    location /admin/ {
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
--- user_files
>>> admin.tokens
letmein
--- must_die
--- error_log
admin.tokens", line 1: the token is 7 characters, at least 32 are required



=== TEST 35: webauthn_admin_token refuses characters a bearer token cannot have
--- config
    location /admin/ {
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
--- user_files
>>> admin.tokens
ivr 7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f
--- must_die
--- error_log
admin.tokens", line 1: a token is A-Z a-z 0-9 - . _ ~ + / and trailing "=" only



=== TEST 36: webauthn_user_verification lists what it accepts
--- http_config
    webauthn_user_verification sometimes;
--- config
--- must_die
--- error_log
invalid value "sometimes" in "webauthn_user_verification", use "required", "preferred" or "discouraged"



=== TEST 37: webauthn_enroll lists what it accepts
--- config
    webauthn_enroll anyone;
--- must_die
--- error_log
invalid value "anyone" in "webauthn_enroll", use "passkey" or "open"



=== TEST 38: webauthn_gate lists what it accepts
--- config
    location /trade/ {
        webauthn_gate strict;
    }
--- must_die
--- error_log
invalid webauthn_gate "strict", use "off", "password", "passkey" or "transaction"



=== TEST 39: fallback=read only makes sense for passkey gates
--- config
    location /account/ {
        webauthn_gate password fallback=read;
    }
--- must_die
--- error_log
"fallback=read" applies to the passkey and transaction gates only



=== TEST 40: webauthn_gate knows only fallback=read
--- config
    location /trade/ {
        webauthn_gate passkey fallback=write;
    }
--- must_die
--- error_log
invalid parameter "fallback=write", only "fallback=read" is known



=== TEST 41: webauthn_gate belongs in a location
--- config
    webauthn_gate passkey;
--- must_die
--- error_log
"webauthn_gate" directive is not allowed here



=== TEST 42: webauthn_zone needs name:size
--- http_config
    webauthn_zone webauthn;
--- config
--- must_die
--- error_log
invalid zone "webauthn", use name:size, like webauthn:10m



=== TEST 43: webauthn_zone refuses a tiny zone
--- http_config
    webauthn_zone webauthn:4k;
--- config
--- must_die
--- error_log eval
qr/zone "webauthn:4k" is too small, it must be at least \d+ bytes/



=== TEST 44: webauthn_endpoint names one of the known endpoints
--- config
    location /webauthn/ {
        webauthn_endpoint x;
    }
--- must_die
--- error_log
unknown webauthn_endpoint "x"



=== TEST 45: webauthn_identity is a variable
--- config
    webauthn_identity remote_user;
--- must_die
--- error_log
invalid webauthn_identity "remote_user", it must be a variable, like $remote_user



=== TEST 46: webauthn_identity needs a variable that exists
--- config
    webauthn_identity $no_such_identity;
--- must_die
--- error_log
unknown "no_such_identity" variable



=== TEST 47: webauthn_session_ttl has bounds
--- http_config
    webauthn_session_ttl 10s;
--- config
--- must_die
--- error_log
invalid value "10s" in "webauthn_session_ttl", it must be between 1m and 30d



=== TEST 48: webauthn_challenge_ttl has bounds
--- http_config
    webauthn_challenge_ttl 2h;
--- config
--- must_die
--- error_log
invalid value "2h" in "webauthn_challenge_ttl", it must be between 10s and 1h



=== TEST 49: webauthn_challenge_ttl is a time
--- http_config
    webauthn_challenge_ttl soon;
--- config
--- must_die
--- error_log
"webauthn_challenge_ttl" directive invalid value



=== TEST 50: webauthn_rp_name refuses control characters
--- http_config
    webauthn_rp_name "Example\tSecurities";
--- config
--- must_die
--- error_log
invalid webauthn_rp_name "Example



=== TEST 51: a passkey gate names everything it lacks
--- config
    location /trade/ {
        webauthn_gate passkey;
    }
--- must_die
--- error_log
"webauthn_gate passkey" in location "/trade/" needs webauthn_rp_id, webauthn_origin, webauthn_redis, webauthn_session_key, which are not configured



=== TEST 52: a passkey gate without a store
--- http_config
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
    location /trade/ {
        webauthn_gate passkey;
    }
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
--- must_die
--- error_log eval
qr{"webauthn_gate passkey" in location "/trade/" needs webauthn_redis, which is not configured, in \S+/nginx\.conf:\d+}



=== TEST 53: fallback=read needs the password-level identity
--- http_config
    webauthn_redis 127.0.0.1:6379;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
    location /trade/ {
        webauthn_gate transaction fallback=read;
    }
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
--- must_die
--- error_log
"webauthn_gate transaction" in location "/trade/" needs webauthn_identity, which is not configured



=== TEST 54: a password gate needs webauthn_identity
--- config
    location /account/ {
        webauthn_gate password;
    }
--- must_die
--- error_log
"webauthn_gate password" in location "/account/" needs webauthn_identity, which is not configured



=== TEST 55: a nested location inherits the gate and its needs
--- http_config
    webauthn_identity $remote_user;
--- config
    location /account/ {
        webauthn_gate password;

        location /account/orders/ {
            webauthn_gate passkey;
        }
    }
--- must_die
--- error_log
"webauthn_gate passkey" in location "/account/orders/" needs webauthn_rp_id



=== TEST 56: the metrics endpoint needs webauthn_zone
--- config
    location = /metrics {
        webauthn_endpoint metrics;
    }
--- must_die
--- error_log
"webauthn_endpoint metrics" in location "/metrics" needs webauthn_zone, which is not configured



=== TEST 57: what a server lacks is checked per server
--- http_config
    webauthn_redis 127.0.0.1:6379;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;

    server {
        listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
        server_name other.example.com;
        webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;

        location = /login {
            webauthn_endpoint login;
        }
    }
--- config
    location = /webauthn/login {
        webauthn_endpoint login;
    }
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
--- must_die
--- error_log
"webauthn_endpoint login" in location "/webauthn/login" needs webauthn_session_key, which is not configured



=== TEST 58: "satisfy any" would let auth_basic skip the gate
--- http_config
    webauthn_identity $remote_user;
--- config
    location /account/ {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        webauthn_gate password;
    }
--- must_die
--- error_log
"webauthn_gate password" cannot be used with "satisfy any" in location "/account/"



=== TEST 59: webauthn_endpoint is allowed once per location
--- http_config
    webauthn_zone webauthn:1m;
--- config
    location = /metrics {
        webauthn_endpoint metrics;
        webauthn_endpoint telemetry;
    }
--- must_die
--- error_log
"webauthn_endpoint" directive is duplicate



=== TEST 60: webauthn_probation is a location directive
--- http_config
    webauthn_probation 1d;
--- config
--- must_die
--- error_log
"webauthn_probation" directive is not allowed here



=== TEST 61: the module directives are unknown without load_module
--- main_config
--- http_config
    webauthn_rp_id example.com;
--- config
--- must_die
--- error_log
unknown directive "webauthn_rp_id"



=== TEST 62: control: with everything an endpoint needs, nginx starts
--- http_config
    webauthn_redis 127.0.0.1:6379;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
--- config
    location = /hello.txt {
        root $TEST_NGINX_HTML_DIR;
    }
    location = /webauthn/login {
        webauthn_endpoint login;
    }
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> hello.txt
hello
--- request
GET /hello.txt
--- response_body
hello
--- no_error_log
[emerg]
[alert]



=== TEST 63: the admin endpoint needs webauthn_admin_token
--- http_config
    webauthn_redis 127.0.0.1:6379;
--- config
    location /admin/ {
        webauthn_endpoint admin;
    }
--- must_die
--- error_log eval
qr{"webauthn_endpoint admin" in location "/admin/" needs webauthn_admin_token, which is not configured}



=== TEST 64: webauthn_admin_token is a location directive
--- http_config
    webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
--- config
--- user_files
>>> admin.tokens
ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f
--- must_die
--- error_log
"webauthn_admin_token" directive is not allowed here



=== TEST 65: webauthn_lockout belongs in http or server, not in a location
--- config
    location /webauthn/ {
        webauthn_lockout 3;
    }
--- must_die
--- error_log
"webauthn_lockout" directive is not allowed here



=== TEST 66: control: the recovery directives where they belong, nginx starts
--- http_config
    webauthn_redis 127.0.0.1:6379;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    webauthn_lockout 3 window=10m backoff=60s max=10m;
    webauthn_grant_ttl 1h;
--- config
    webauthn_grant_ttl 30m;
    location = /hello.txt {
        root $TEST_NGINX_HTML_DIR;
    }
    location /admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
        webauthn_grant_ttl 15m;
    }
    location /vault/ {
        webauthn_gate passkey;
        webauthn_probation 1h;
    }
--- user_files
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> admin.tokens
# the IVR

ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f
>>> hello.txt
hello
--- request
GET /hello.txt
--- response_body
hello
--- no_error_log
[emerg]
[alert]



=== TEST 67: control: webauthn_lockout off in a server, nginx starts
--- http_config
    webauthn_redis 127.0.0.1:6379;
--- config
    webauthn_lockout off;
    location = /hello.txt {
        root $TEST_NGINX_HTML_DIR;
    }
--- user_files
>>> hello.txt
hello
--- request
GET /hello.txt
--- response_body
hello
--- no_error_log
[emerg]
[alert]



=== TEST 68: webauthn_session_cache refuses zero
--- http_config
    webauthn_session_cache 0;
--- config
--- must_die
--- error_log
invalid session cache size "0": use "off" or a number of sessions, 1 to 1000000



=== TEST 69: webauthn_session_cache refuses more than a million
--- http_config
    webauthn_session_cache 1000001;
--- config
--- must_die
--- error_log
invalid session cache size "1000001": use "off" or a number of sessions, 1 to 1000000



=== TEST 70: webauthn_session_cache refuses a word other than off
--- http_config
    webauthn_session_cache on;
--- config
--- must_die
--- error_log
invalid session cache size "on": use "off" or a number of sessions, 1 to 1000000



=== TEST 71: webauthn_session_cache twice
--- http_config
    webauthn_session_cache 100;
    webauthn_session_cache off;
--- config
--- must_die
--- error_log
"webauthn_session_cache" directive is duplicate



=== TEST 72: webauthn_session_cache belongs in http
--- config
    webauthn_session_cache 100;
--- must_die
--- error_log
"webauthn_session_cache" directive is not allowed here



=== TEST 73: control: webauthn_session_cache off, nginx starts
--- http_config
    webauthn_redis 127.0.0.1:6379;
    webauthn_session_cache off;
--- config
    location = /hello.txt {
        root $TEST_NGINX_HTML_DIR;
    }
--- user_files
>>> hello.txt
hello
--- request
GET /hello.txt
--- response_body
hello
--- no_error_log
[emerg]
[alert]
