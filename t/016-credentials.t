# The credentials endpoint (docs/http-api.md, credentials): GET lists the
# user's passkeys with what the store keeps about them, DELETE revokes one
# with a passkey session, and a revoked passkey is refused
# credential_revoked at login and never comes back.  Needs a real Redis:
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

our $Config = $WebAuthnTest::Endpoints . <<'_EOC_';
    location /vault/ {
        webauthn_gate passkey;
        alias $TEST_NGINX_HTML_DIR/;
    }
_EOC_

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
_EOF_

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: GET with a passkey session: the passkeys, transports and signCount
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $cred = $alice->register(transports => 'usb', be => 1, bs => 1);
$alice->login(counter => 7);
my $res = $alice->credentials;
is $res->code, 200, "$name - GET: 200";
my $list = $res->json;
is $list->{user}, 'alice', "$name - the user";
my @c = @{ $list->{credentials} || [] };
is scalar(@c), 1, "$name - one passkey";
my $c = $c[0] || {};
is $c->{id}, $cred && $cred->{id}, "$name - its id";
is_deeply $c->{transports}, ['usb'], "$name - its transports";
is $c->{signCount}, 7, "$name - the counter of the last login";
ok $c->{backupEligible}, "$name - backupEligible";
ok $c->{backedUp}, "$name - backedUp";
like $c->{aaguid} // '', qr/^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/,
    "$name - the AAGUID";
like $c->{createdAt} // '', qr/^\d{10}$/, "$name - createdAt";
like $c->{lastUsedAt} // '', qr/^\d{10}$/, "$name - lastUsedAt";
ok !grep({ /^(pk|publicKey|privateKey)$/ } keys %$c),
    "$name - no key material";
$alice->final(undef);
--- request
GET /webauthn/credentials
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body_like: ^\{(?=.*"user":"alice")(?=.*"credentials":\[\{)(?=.*"transports":\["usb"\])(?=.*"signCount":7[,}]).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 2: GET with the identity alone (a read): every passkey of the user
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register(alg => -7);
$alice->login;
$alice->register(alg => -257);
my $bc = wa_client('bob')->register;
my $reader = wa_client('alice');
my $list = $reader->credentials->json->{credentials} // [];
is scalar(@$list), 2, wa_name() . ' - both passkeys of alice';
ok !grep({ $bc && $_->{id} eq $bc->{id} } @$list), wa_name() . ' - none of bob';
$reader->final(undef);
--- request
GET /webauthn/credentials
--- error_code: 200
--- response_body_like: ^\{(?=.*"user":"alice")(?=.*"credentials":\[\{.*\},\{.*\}\]).*\}$
--- no_error_log
[alert]
[emerg]



=== TEST 3: GET without identity or session: 401 identity_required
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
wa_client('alice')->register;
wa_client(undef)->final(undef);
--- request
GET /webauthn/credentials
--- error_code: 401
--- response_body_like: ^\{"error":"identity_required","message":"(?:[^"\\]|\\.)+","action":"login"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 4: DELETE with a passkey session revokes the passkey
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $old = $alice->register(alg => -7, keep => 1);
$alice->set_cred($old);
$alice->login;
my $new = $alice->register(alg => -8);
my $id = $old ? $old->{id} : 'none';
$block->set_value(request => "DELETE /webauthn/credentials?id=$id");
$block->set_value(response_body_like =>
    qr/^\{(?=.*"status":"ok")(?=.*"revoked":"\Q$id\E").*\}$/);
$alice->final(undef);
--- request
DELETE /webauthn/credentials?id=ID
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=;[^\r\n]* Max-Age=0(?:;|\r|$)
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"revoked":")
--- no_error_log
[alert]
[emerg]



=== TEST 5: a revoked passkey at login: 403 credential_revoked, action reregister
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
$alice->login;
my $res = $alice->request('DELETE', '/webauthn/credentials?id='
                          . ($cred ? $cred->{id} : 'none'));
is $res->code, 200, "$name - DELETE: 200";
is_deeply $alice->credentials->json->{credentials} // [], [],
    "$name - the revoked passkey is not listed";
my $opts = $alice->login_options;
is_deeply $opts->json->{allowCredentials} // [], [],
    "$name - nor allowed at login";
$alice->final($alice->assertion($opts));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_revoked","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- raw_response_headers_unlike: Set-Cookie
--- no_error_log
[alert]
[emerg]



=== TEST 6: a revoked passkey, passkey-first: 403 credential_revoked
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
is $alice->request('DELETE', '/webauthn/credentials?id='
                   . ($cred ? $cred->{id} : 'none'))->code, 200,
    wa_name() . ' - DELETE: 200';
my $anon = wa_client(undef);
$anon->set_cred($cred);
$anon->final($anon->assertion($anon->login_options));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"credential_revoked","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 7: a revoked passkey never comes back: its id cannot be registered again
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
$alice->login;
is $alice->request('DELETE', '/webauthn/credentials?id='
                   . ($cred ? $cred->{id} : 'none'))->code, 200,
    "$name - DELETE: 200";
my $res = $alice->register_options;
is $res->code, 200, "$name - options with the passkey session: 200";
my ($json) = $alice->attestation($res, credential_id => $cred && $cred->{id});
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 409
--- response_body_like: ^\{"error":"credential_exists","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 8: DELETE with the password alone: 403 passkey_required
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
my $cred = $alice->register;
$block->set_value(request => 'DELETE /webauthn/credentials?id='
                             . ($cred ? $cred->{id} : 'none'));
$alice->final(undef);
--- request
DELETE /webauthn/credentials?id=ID
--- error_code: 403
--- response_body_like: ^\{"error":"passkey_required","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 9: DELETE of an id the user does not have: 404 credential_unknown
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
DELETE /webauthn/credentials?id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- error_code: 404
--- response_body_like: ^\{"error":"credential_unknown","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 10: alice cannot revoke bob's passkey: 404, and bob still logs in
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
my $bob = wa_client('bob');
$alice->register;
$alice->login;
my $bcred = $bob->register;
my $res = $alice->request('DELETE', '/webauthn/credentials?id='
                          . ($bcred ? $bcred->{id} : 'none'));
is $res->code, 404, "$name - DELETE of bob's passkey by alice: 404";
is $res->error, 'credential_unknown', "$name - credential_unknown";
$bob->final($bob->assertion($bob->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"bob")
--- no_error_log
[alert]
[emerg]



=== TEST 11: the other passkeys of the user still work after a revocation
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
is $alice->request('DELETE', '/webauthn/credentials?id='
                   . ($first ? $first->{id} : 'none'))->code, 200,
    "$name - DELETE the first: 200";
my $list = $alice->credentials->json->{credentials} // [];
is_deeply [map { $_->{id} } @$list], [$second && $second->{id}],
    "$name - the second is listed alone";
$alice->final($alice->assertion($alice->login_options, cred => $second));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 12: revoking a passkey ends every session of the user
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
my $phone = wa_client('alice');
$phone->set_cred($first);
$alice->login;
$phone->login;
my $second = $alice->register(alg => -8);
is $phone->request('GET', '/vault/balance.json')->code, 200,
    "$name - the phone's session works";
my $res = $alice->request('DELETE', '/webauthn/credentials?id='
                          . ($second ? $second->{id} : 'none'));
is $res->code, 200, "$name - DELETE of the second passkey: 200";
$phone->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: ^\{"error":"session_expired","message":"(?:[^"\\]|\\.)+","action":"passkey"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 13: DELETE without an id: 400 malformed_request
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
DELETE /webauthn/credentials
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 14: DELETE with an id that is not base64url: 400 malformed_request
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
DELETE /webauthn/credentials?id=not%2Fbase64url%3D%3D
--- error_code: 400
--- response_body_like: ^\{"error":"malformed_request","message":"(?:[^"\\]|\\.)+","action":"none"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 15: a user with 400 passkeys: a store reply of over 100 KB arrives whole
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
# hiredis reads 16 KiB at a time: the reply takes several reads, which only
# level-triggered events deliver without waiting for more data
wa_redis('EVAL', <<'_LUA_', 0);
for i = 1, 400 do
  local id = string.format('id%040d', i)
  redis.call('HSET', 'wa:{u:YWxpY2U}:cred:' .. id, 'pk', 'x', 'count', i,
    'transports', 'hybrid,internal', 'be', '1', 'bs', '1',
    'aaguid', '00000000-0000-0000-0000-000000000000',
    'created', 1700000000, 'used', 1700000000 + i)
  redis.call('SADD', 'wa:{u:YWxpY2U}:creds', id)
end
return 400
_LUA_
my $reader = wa_client('alice');
my $list = $reader->credentials->json->{credentials} // [];
is scalar(@$list), 400, wa_name() . ' - 400 passkeys listed';
$reader->final(undef);
--- request
GET /webauthn/credentials
--- error_code: 200
--- response_body_like: ^\{"user":"alice","credentials":\[(?:\{"id":"id\d{40}","transports":\["hybrid","internal"\],[^{}]*\},?){400}\]\}$
--- no_error_log
[alert]
[emerg]
