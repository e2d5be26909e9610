# Passkey sessions (docs/http-api.md, "The session cookie" and logout): a
# tampered cookie, a cookie of another user, logout of one session and of
# every session (the epoch), a session whose record is gone, key rotation,
# and a passkey-only server without webauthn_identity.  Needs a real
# Redis: scripts/with-redis.sh.

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

our $Locations = <<'_EOC_';
    location /trade/ {
        webauthn_gate passkey fallback=read;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /vault/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        add_header X-User $webauthn_user always;
        alias $TEST_NGINX_HTML_DIR/;
    }
_EOC_

our $Config = $WebAuthnTest::Endpoints . $Locations;

# Key rotation: this server signs with key A; the server on rotated.sock
# has key B first and key A second (verifies A's cookies); the server on
# other.sock has key B only.  /rotated/ and /other/ proxy to their /vault/.
our $HttpRotation = $HttpConfig . <<'_EOC_';
    server {
        listen unix:$TEST_NGINX_HTML_DIR/rotated.sock;
        webauthn_session_key $TEST_NGINX_HTML_DIR/rotated.keys;

        location /vault/ {
            webauthn_gate passkey;
            add_header X-Level $webauthn_level always;
            alias $TEST_NGINX_HTML_DIR/;
        }
    }

    server {
        listen unix:$TEST_NGINX_HTML_DIR/other.sock;
        webauthn_session_key $TEST_NGINX_HTML_DIR/other.keys;

        location /vault/ {
            webauthn_gate passkey;
            add_header X-Level $webauthn_level always;
            alias $TEST_NGINX_HTML_DIR/;
        }
    }
_EOC_

our $ConfigRotation = $Config . <<'_EOC_';
    location /rotated/ {
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/rotated.sock:/vault/;
    }
    location /other/ {
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/other.sock:/vault/;
    }
_EOC_

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> rotated.keys
fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> other.keys
fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
>>> balance.json
{"balance":100}
_EOF_

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the session cookie passes the passkey gate
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
like $alice->session // '', qr/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
    wa_name() . ' - the cookie is v1.<payload>.<mac>';
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



=== TEST 2: a cookie with a tampered mac is no session
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
my ($v, $payload, $mac) = split /\./, $alice->session // '';
$alice->set_session(join '.', 'v1', $payload // '', wa_tamper($mac // ''));
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



=== TEST 3: a cookie with a tampered payload is no session
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
my ($v, $payload, $mac) = split /\./, $alice->session // '';
$alice->set_session(join '.', 'v1', wa_tamper($payload // ''), $mac // '');
$alice->final({side => 'buy'});
--- request
POST /trade/order.json
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey","fallback":"read"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 4: a tampered cookie does not stop reads with the password
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
$alice->set_session(wa_tamper($alice->session // ''));
$alice->final(undef);
--- request
GET /trade/balance.json
--- error_code: 200
--- response_headers
X-Level: password
--- response_body
{"balance":100}
--- no_error_log
[alert]
[emerg]



=== TEST 5: garbage in the cookie is no session, and no error
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->set_session('v1..' . ('%' x 5000));
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]
[crit]



=== TEST 6: alice's cookie with bob's identity: 403 user_mismatch
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
my $bob = wa_client('bob');
$bob->register;
$bob->set_session($alice->session);
$bob->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_headers
X-Level: password
--- response_body_like: ^\{"error":"user_mismatch","message":"(?:[^"\\]|\\.)+","action":"retry"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 7: logout ends the session and clears the cookie
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
$alice->final({});
--- request
POST /webauthn/logout
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=[^;\r\n]*;[^\r\n]*Max-Age=0
--- response_body_like: ^\{"status":"ok"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: after logout, the old cookie is refused: 403 session_expired
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
my $cookie = $alice->session;
is $alice->request('GET', '/vault/balance.json')->code, 200,
    "$name - the session works";
is $alice->logout->code, 200, "$name - logout: 200";
ok !defined $alice->session, "$name - the cookie was cleared";
$alice->set_session($cookie);
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"session_expired","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 9: logout of one session leaves the user's other sessions
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $cred = $alice->register;
my $phone = wa_client('alice');
$phone->set_cred($cred);
$alice->login;
$phone->login;
is $alice->logout->code, 200, wa_name() . ' - logout: 200';
$phone->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
--- no_error_log
[alert]
[emerg]



=== TEST 10: logout everywhere: every session of the user is refused session_expired
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
my $phone = wa_client('alice');
$phone->set_cred($cred);
$alice->login;
$phone->login;
is $phone->request('GET', '/vault/balance.json')->code, 200,
    "$name - the other session works";
my $res = $alice->logout(body => {everywhere => JSON::PP::true()});
is $res->code, 200, "$name - logout everywhere: 200";
is $res->body, '{"status":"ok"}', "$name - logout everywhere: ok";
$phone->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"session_expired","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 11: after logout everywhere, a new login works again
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
is $alice->logout(body => {everywhere => JSON::PP::true()})->code, 200,
    wa_name() . ' - logout everywhere: 200';
$alice->login;
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
--- no_error_log
[alert]
[emerg]



=== TEST 12: a session whose record is gone from the store is refused
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
my @keys = grep { /:s:/ } split /\n/, wa_redis('--scan', '--pattern', 'wa:*');
is scalar(@keys), 1, wa_name() . ' - one session record in the store';
wa_redis('del', @keys) if @keys;
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"session_expired","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 13: key rotation: a cookie signed with the old key passes where it is second
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpRotation
--- config eval: $::ConfigRotation
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->login;
$alice->final(undef);
--- request
GET /rotated/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
--- response_body
{"balance":100}
--- no_error_log
[alert]
[emerg]



=== TEST 14: key rotation: a cookie signed with a key that is not listed is refused
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpRotation
--- config eval: $::ConfigRotation
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
$alice->login;
$alice->final(undef);
--- request
GET /other/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 15: a passkey-only server without webauthn_identity: the cookie alone admits
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval
'
    location = /webauthn/register/options {
        webauthn_identity $http_x_user;
        webauthn_endpoint register_options;
    }
    location = /webauthn/register {
        webauthn_identity $http_x_user;
        webauthn_endpoint register;
    }
    location = /webauthn/login/options {
        webauthn_endpoint login_options;
    }
    location = /webauthn/login {
        webauthn_endpoint login;
    }
' . $::Locations =~ s/^.*?(?=    location \/vault\/)//sr
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $cred = $alice->register;
my $anon = wa_client(undef);
$anon->set_cred($cred);
$anon->login;
$anon->final(undef);
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



=== TEST 16: a passkey-only server without webauthn_identity: no cookie, 403
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval: $::Locations =~ s/^.*?(?=    location \/vault\/)//sr
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client(undef)->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 17: webauthn_session_cookie: another name and attributes, read by the gate
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval
$::HttpConfig . "    webauthn_session_cookie trade_session domain=example.com samesite=lax;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register;
my $res = $alice->login;
my ($cookie) = $res->headers('Set-Cookie');
like $cookie // '', qr/^trade_session=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/,
    "$name - the cookie's name";
like $cookie // '', qr/; Domain=example\.com(;|$)/, "$name - Domain";
like $cookie // '', qr/; SameSite=Lax(;|$)/, "$name - SameSite=Lax";
like $cookie // '', qr/; HttpOnly(;|$)/, "$name - always HttpOnly";
like $cookie // '', qr/; Secure(;|$)/, "$name - always Secure";
ok !defined $alice->session, "$name - no webauthn_session cookie";
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



=== TEST 18: a passkey gate with webauthn_identity: a valid cookie without the identity
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
my $anon = wa_client(undef);
$anon->set_session($alice->session);
$anon->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
X-User: alice
--- no_error_log
[alert]
[emerg]
