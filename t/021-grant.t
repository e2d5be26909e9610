# Enrolment grants and probation (issue 4, recovery): a reset revokes
# every passkey and ends every session, the customer keeps reading with the
# password, and enrols a new passkey with the one-time grant the IVR gave
# them, under the default "webauthn_enroll passkey"; that passkey is on
# probation where webauthn_probation is set.  A grant also onboards a new
# customer.  Needs a real Redis: scripts/with-redis.sh.

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $Token = 'ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f';

# the default enrolment policy: passkey (a passkey session or a grant)
our $HttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
_EOC_

# /open/: registration open to a password user with no passkey yet, where
# the blocks enrol their customers' first passkeys (the migration);
# /account/ reads with a password; /trade/ and /vault/ need a passkey that
# is not on probation (/trade/ reads with a password); /board/ needs a
# passkey, on probation or not; /backend/ is the application behind /trade/
sub locations {
    my $probation = shift // '1h';
    return $WebAuthnTest::Endpoints . <<"_EOC_";
    location = /open/register/options {
        webauthn_enroll open;
        webauthn_endpoint register_options;
    }
    location = /open/register {
        webauthn_enroll open;
        webauthn_endpoint register;
    }
    location /account/ {
        webauthn_gate password;
        add_header X-Level \$webauthn_level always;
        alias \$TEST_NGINX_HTML_DIR/;
    }
    location /trade/ {
        webauthn_gate passkey fallback=read;
        webauthn_probation $probation;
        add_header X-Level \$webauthn_level always;
        add_header X-Reason \$webauthn_reason always;
        proxy_set_header X-WebAuthn-Level \$webauthn_level;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/backend/;
    }
    location /vault/ {
        webauthn_gate passkey;
        webauthn_probation $probation;
        add_header X-Level \$webauthn_level always;
        add_header X-Reason \$webauthn_reason always;
        alias \$TEST_NGINX_HTML_DIR/;
    }
    location /board/ {
        webauthn_gate passkey;
        add_header X-Level \$webauthn_level always;
        alias \$TEST_NGINX_HTML_DIR/;
    }
    location /backend/ {
        return 200 "\$request_method \$uri level=\$http_x_webauthn_level\\n";
    }
    location /admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token \$TEST_NGINX_HTML_DIR/admin.tokens;
    }
_EOC_
}

our $Config = locations();

our $UserFiles = <<"_EOF_";
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
>>> admin.tokens
$Token
_EOF_

our %Open = (register_options => '/open/register/options',
             register => '/open/register');

# a customer with a first passkey, enrolled where registration is open
sub enrolled {
    my ($user, %o) = @_;
    my $c = wa_client($user, paths => \%Open);
    my $cred = $c->register(%o);
    $c->set_paths();
    return ($c, $cred);
}

# an admin call that must succeed; its JSON
sub admin_ok {
    my ($what, $path, $body) = @_;
    my $res = wa_admin('POST', $path, $::Token, $body);
    my $ok = is $res->code, 200, wa_name() . " - $what: 200";
    diag 'got ' . $res->describe if !$ok;
    return $res->json;
}

# a JSON error body, with the action if given
sub err_like {
    my ($code, $action, $fallback) = @_;
    $action //= '[a-z_]+';
    my $fb = $fallback ? ',"fallback":"read"' : '';
    return qr/^\{"error":"$code","message":"(?:[^"\\]|\\.)+","action":"$action"$fb\}$/;
}

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: after a reset the password still reads: a password gate, and fallback=read
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
$alice->login;
::admin_ok('reset', 'users/alice/reset');
my $res = $alice->request('GET', '/trade/board', cookie => '');
is $res->code, 200, "$name - GET /trade/board with the password: 200";
is $res->header('X-Level'), 'password', "$name - at level password";
$alice->final(undef, cookie => '');
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



=== TEST 2: reset, then register_options with the grant and the password: options; register: 201
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice, $old) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
my $res = $alice->register_options(grant => $grant);
is $res->code, 200, "$name - register_options with the grant: 200";
my $o = $res->json;
is $o->{user}{name}, 'alice', "$name - for alice";
like $o->{challenge} // '', qr/^[A-Za-z0-9_-]{43}$/, "$name - a challenge";
my ($json) = $alice->attestation($o);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"credential":\{"id":"[A-Za-z0-9_-]{43}")
--- no_error_log
[alert]
[emerg]



=== TEST 3: the passkey of a grant: active, on probation, the grant consumed, audited
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice, $old) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
my $t0 = time;
my $new = $alice->register(grant => $grant);
my $t1 = time;
my $u = wa_admin('GET', 'users/alice', $::Token)->json;
my %c = map { $_->{id} => $_ } @{ ref $u->{credentials} eq 'ARRAY' ? $u->{credentials} : [] };
my $n = $c{$new && $new->{id} // ''} // {};
my $o = $c{$old && $old->{id} // ''} // {};
is $n->{status}, 'active', "$name - the new passkey: active";
ok defined $n->{probationSince} && $n->{probationSince} >= $t0 - 2
   && $n->{probationSince} <= $t1 + 2, "$name - the new passkey: probationSince now";
is $o->{status}, 'revoked', "$name - the old passkey: revoked";
ok !exists $o->{probationSince}, "$name - the old passkey: no probation";
ok exists $u->{grant} && !defined $u->{grant}, "$name - the grant is consumed";
is $u->{events} && $u->{events}[0]{event}, 'register', "$name - the last event: register";
is $u->{events} && $u->{events}[0]{actor}, 'user', "$name - by the user";
is wa_redis('EXISTS', wa_ukey('alice', 'grant')), '0', "$name - no grant in the store";
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token"
--- error_code: 200
--- response_body_like: ^\{(?=.*"probationSince":\d+)(?=.*"grant":null).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 4: a passkey of a grant on probation: a passkey gate with webauthn_probation: 403 probation
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
$alice->register(grant => $grant);
my $res = $alice->login;
is $res->json->{level}, 'passkey', "$name - a passkey session";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_headers
Content-Type: application/json
Cache-Control: no-store
X-Reason: probation
--- response_body_like eval: ::err_like('probation')
--- no_error_log
[alert]
[emerg]



=== TEST 5: the same session on a passkey gate without webauthn_probation: 200 at level passkey
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
$alice->register(grant => $grant);
$alice->login;
is $alice->request('GET', '/vault/balance.json')->code, 403,
    "$name - /vault/ (probation 1h): 403";
$alice->final(undef);
--- request
GET /board/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
--- response_body
{"balance":100}
--- no_error_log
[alert]
[emerg]



=== TEST 6: probation with fallback=read: a GET reads at level password, a POST is 403 with "fallback":"read"
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
$alice->register(grant => $grant);
$alice->login;
my $res = $alice->request('GET', '/trade/board');
is $res->code, 200, "$name - GET /trade/board: 200";
is $res->header('X-Level'), 'password', "$name - at level password";
is $res->body, "GET /backend/board level=password\n", "$name - the application sees level password";
$alice->final({side => 'buy', qty => 100});
--- request
POST /trade/order
--- error_code: 403
--- response_headers
X-Reason: probation
--- response_body_like eval: ::err_like('probation', undef, 1)
--- no_error_log
[alert]
[emerg]



=== TEST 7: probation applies to passkeys of a grant only: a first passkey enrolled otherwise passes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice) = ::enrolled('alice');
$alice->login;
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
--- response_body
{"balance":100}
--- no_error_log
[alert]
[emerg]



=== TEST 8: probation ends: webauthn_probation 2s, a new session after it passes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: ::locations('2s')
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
my $t0 = time;
$alice->register(grant => $grant);
$alice->login;
my $res = $alice->request('GET', '/vault/balance.json');
# under valgrind the probation may be over already: only a refusal is checked
is $res->error, 'probation', "$name - at first: probation" if time < $t0 + 1;
sleep 1 while time < $t0 + 4;
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



=== TEST 9: a grant is used once: register_options with a consumed grant: 403 grant_invalid
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
ok scalar($alice->register(grant => $grant)), "$name - the first use: registered";
$alice->final({grant => $grant});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like eval: ::err_like('grant_invalid', 'support')
--- no_error_log
[alert]
[emerg]



=== TEST 10: a wrong grant: 403 grant_invalid; the right one still works after it
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant} // '';
for my $g (wa_tamper($grant), substr($grant, 0, -1), 'x') {
    my $res = $alice->register_options(grant => $g);
    is $res->code . ' ' . $res->error, '403 grant_invalid', "$name - grant \"$g\": 403 grant_invalid";
}
ok scalar($alice->register(grant => $grant)), "$name - the right grant: registered";
$alice->final({grant => wa_tamper($grant)});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_body_like eval: ::err_like('grant_invalid', 'support')
--- no_error_log
[alert]
[emerg]



=== TEST 11: alice's grant in bob's hands: 403 grant_invalid, and alice can still use it
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my ($bob) = ::enrolled('bob');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
my $res = $bob->register_options(grant => $grant);
is $res->code . ' ' . $res->error, '403 grant_invalid', "$name - bob with alice's grant";
is wa_admin('GET', 'users/bob', $::Token)->json->{credentials}[0]{status}, 'active',
    "$name - bob's passkey untouched";
$res = $alice->register_options(grant => $grant);
is $res->code, 200, "$name - alice with her grant: 200";
my ($json) = $alice->attestation($res);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 12: a new grant replaces the previous one
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $g1 = ::admin_ok('reset', 'users/alice/reset')->{grant};
my $g2 = ::admin_ok('grant', 'users/alice/grant')->{grant};
isnt $g2, $g1, "$name - a new code";
my $res = $alice->register_options(grant => $g1);
is $res->code . ' ' . $res->error, '403 grant_invalid', "$name - the first grant: 403 grant_invalid";
$res = $alice->register_options(grant => $g2);
is $res->code, 200, "$name - the second grant: 200";
my ($json) = $alice->attestation($res);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 201
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 13: an expired grant: 403 grant_invalid
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::enrolled('alice');
my $r = ::admin_ok('grant of 60 s', 'users/alice/grant', {ttl => 60});
my $grant = $r->{grant};
# the store expires the grant with its key (wa:{u:U}:grant): rather than
# wait a minute, the test makes the key expire now, as time would
my $key = wa_ukey('alice', 'grant');
my $ttl = wa_redis('TTL', $key);
ok $ttl > 0 && $ttl <= 60, "$name - the grant's key expires with it (TTL $ttl)";
wa_redis('PEXPIRE', $key, 1);
wa_retry(sub { wa_redis('EXISTS', $key) eq '0' });
$alice->final({grant => $grant});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_body_like eval: ::err_like('grant_invalid', 'support')
--- no_error_log
[alert]
[emerg]



=== TEST 14: a grant for a user with no record onboards them under webauthn_enroll passkey
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $carol = wa_client('carol');
my $res = $carol->register_options;
is $res->code . ' ' . $res->error, '403 enrollment_not_allowed', "$name - without the grant: refused";
my $grant = ::admin_ok('grant', 'users/carol/grant', {reason => 'account opened'})->{grant};
$res = $carol->register_options(grant => $grant);
is $res->code, 200, "$name - with the grant: 200";
is length(wa_b64url_decode($res->json->{user}{id} // '')), 32, "$name - a 32-byte user handle";
my ($json) = $carol->attestation($res);
$res = $carol->post('/webauthn/register', $json);
is $res->code, 201, "$name - register: 201";
$carol->final($carol->assertion($carol->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"carol")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]



=== TEST 15: a grant to a user who has a passkey: a second passkey with the password and the grant
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice, $first) = ::enrolled('alice');
my $grant = ::admin_ok('grant', 'users/alice/grant')->{grant};
my $second = $alice->register(grant => $grant);
is wa_redis('SCARD', wa_ukey('alice', 'creds')), '2', "$name - two active passkeys";
$alice->final($alice->assertion($alice->login_options, cred => $first));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 16: without a grant, a password user with a passkey: 403 enrollment_not_allowed
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice) = ::enrolled('alice');
$alice->final({});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_body_like eval: ::err_like('enrollment_not_allowed')
--- no_error_log
[alert]
[emerg]



=== TEST 17: a reset alone lets nobody enrol: without the grant, 403 enrollment_not_allowed
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice) = ::enrolled('alice');
::admin_ok('reset', 'users/alice/reset');
$alice->final({});
--- request
POST /webauthn/register/options
--- error_code: 403
--- response_body_like eval: ::err_like('enrollment_not_allowed')
--- no_error_log
[alert]
[emerg]



=== TEST 18: register_options with a grant that is not a string: 400 malformed_request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice) = ::enrolled('alice');
::admin_ok('reset', 'users/alice/reset');
$alice->final({grant => 12345});
--- request
POST /webauthn/register/options
--- error_code: 400
--- response_body_like eval: ::err_like('malformed_request', 'none')
--- no_error_log
[alert]
[emerg]



=== TEST 19: a reset revokes every passkey: the old one at login: 403 credential_revoked
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice, $first) = ::enrolled('alice', alg => -7);
$alice->login;
my $second = $alice->register(alg => -8);
ok $second, "$name - a second passkey with the passkey session";
my $r = ::admin_ok('reset', 'users/alice/reset');
is $r->{revoked}, 2, "$name - revoked: 2";
my $opts = $alice->login_options;
is $opts->code, 200, "$name - login_options: 200";
is_deeply $opts->json->{allowCredentials} // [], [], "$name - no passkey allowed";
my $res = $alice->post('/webauthn/login', $alice->assertion($opts, cred => $second));
is $res->code . ' ' . $res->error, '403 credential_revoked', "$name - the second: credential_revoked";
$alice->final($alice->assertion($alice->login_options, cred => $first));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like eval: ::err_like('credential_revoked', 'reregister')
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 20: a reset revokes every passkey: passkey-first with the old one: 403 credential_revoked
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice, $cred) = ::enrolled('alice');
::admin_ok('reset', 'users/alice/reset');
my $anon = wa_client(undef);
$anon->set_cred($cred);
$anon->final($anon->assertion($anon->login_options));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like eval: ::err_like('credential_revoked', 'reregister')
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 21: a reset ends every session: the old cookie on a passkey route: 403 session_expired
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice, $cred) = ::enrolled('alice');
my $phone = wa_client('alice');
$phone->set_cred($cred);
$alice->login;
$phone->login;
is $alice->request('GET', '/board/balance.json')->code, 200, "$name - the session works";
is $phone->request('GET', '/board/balance.json')->code, 200, "$name - the phone's too";
::admin_ok('reset', 'users/alice/reset');
my $res = $alice->request('GET', '/board/balance.json');
is $res->code . ' ' . $res->error, '403 session_expired', "$name - the session: session_expired";
$phone->final(undef);
--- request
GET /board/balance.json
--- error_code: 403
--- response_body_like eval: ::err_like('session_expired', 'passkey')
--- no_error_log
[alert]
[emerg]



=== TEST 22: a reset ends sessions: with fallback=read the old cookie still reads at level password
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my ($alice) = ::enrolled('alice');
$alice->login;
::admin_ok('reset', 'users/alice/reset');
$alice->final(undef);
--- request
GET /trade/board
--- error_code: 200
--- response_headers
X-Level: password
--- response_body
GET /backend/board level=password
--- no_error_log
[alert]
[emerg]



=== TEST 23: after the reset and the grant, the new passkey logs in and the old stays revoked
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice, $old) = ::enrolled('alice');
my $grant = ::admin_ok('reset', 'users/alice/reset')->{grant};
my $new = $alice->register(grant => $grant);
my $opts = $alice->login_options;
is_deeply [map { $_->{id} } @{ $opts->json->{allowCredentials} || [] }],
    [$new && $new->{id}], "$name - only the new passkey is allowed";
my $res = $alice->post('/webauthn/login', $alice->assertion($opts, cred => $old));
is $res->code . ' ' . $res->error, '403 credential_revoked', "$name - the old: credential_revoked";
$alice->final($alice->assertion($alice->login_options, cred => $new));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")(?=.*"level":"passkey")
--- no_error_log
[alert]
[emerg]
