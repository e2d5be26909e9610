# The session cache (webauthn_session_cache, docs/directives.md): a gate
# remembers a session between requests, and Redis says when to forget it
# (CLIENT TRACKING, invalidations heard on a second connection).  A
# revocation must bite on the very next request whichever way it is made
# (logout, the admin API, redis-cli, expiry, FLUSHALL), losing either
# connection must empty the cache, and a Redis that stops answering must
# stop the cache.  Whether a request went to Redis is read from Redis'
# own count of MGET calls.  Needs a real Redis: scripts/with-redis.sh.

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
    webauthn_identity $http_x_user;
_EOC_

our $HttpConfig = $HttpBase;

our $HttpNoCache = $HttpBase . <<'_EOC_';
    webauthn_session_cache off;
_EOC_

our $Locations = <<'_EOC_';
    location /vault/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        add_header X-User $webauthn_user always;
        alias $TEST_NGINX_HTML_DIR/;
    }
_EOC_

our $Config = $WebAuthnTest::Endpoints . $Locations;

our $ConfigAdmin = $Config . <<'_EOC_';
    location /admin/ {
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.token;
    }
_EOC_

our $UserFiles = <<'_EOF_';
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> admin.token
9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c
>>> balance.json
{"balance":100}
_EOF_

# how many MGETs Redis has run: a gated request served from the cache
# sends none
sub mgets {
    my $stats = wa_redis('info', 'commandstats');
    return $stats =~ /^cmdstat_mget:calls=(\d+),/m ? $1 : 0;
}

# a client with a passkey session, and its first gated request made
sub with_session {
    my ($user) = @_;

    my $c = wa_client($user);
    $c->register;
    $c->login;

    my $res = $c->request('GET', '/vault/balance.json');
    is $res->code, 200, wa_name() . " - $user: the session passes";

    return $c;
}

# true once a gated request of the client is answered from the cache
sub cached {
    my ($c) = @_;

    return wa_retry {
        $c->request('GET', '/vault/balance.json');
        my $before = mgets();
        my $res = $c->request('GET', '/vault/balance.json');
        $res->code == 200 && mgets() == $before;
    };
}

# the key of the client's one session record
sub session_key {
    my ($user) = @_;
    my @keys = split /\n/, wa_redis('--scan', '--pattern',
                                    wa_ukey($user, 's:*'));
    return $keys[0] // '';
}

# the id of the module's connection of that name (CLIENT SETNAME)
sub client_id {
    my ($name) = @_;

    for my $line (split /\n/, wa_redis('client', 'list')) {
        return $1 if $line =~ /\bid=(\d+)\b.*\bname=\Q$name\E\s/;
    }

    return '';
}

master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a session is checked in Redis once, then served from the cache
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - a later request sends no MGET";
my $before = main::mgets();
for my $i (1 .. 5) {
    my $res = $alice->request('GET', '/vault/balance.json');
    is $res->code, 200, "$name - request $i: 200";
    is $res->header('X-User'), 'alice', "$name - request $i: alice";
}
is main::mgets(), $before, "$name - five requests, no MGET";
like main::client_id('webauthn-tracker'), qr/^\d+$/,
    "$name - the tracker is connected";
like wa_redis('client', 'list'), qr/name=webauthn .*flags=t/,
    "$name - the main connection is tracked";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-Level: passkey
X-User: alice
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 2: webauthn_session_cache off: every request asks Redis
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpNoCache
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
my $before = main::mgets();
for my $i (1 .. 5) {
    is $alice->request('GET', '/vault/balance.json')->code, 200,
        "$name - request $i: 200";
}
is main::mgets(), $before + 5, "$name - five requests, five MGETs";
is main::client_id('webauthn-tracker'), '', "$name - no tracker";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-User: alice
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 3: logout ends a cached session at once
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my $cookie = $alice->session;
is $alice->logout->code, 200, "$name - logout";
$alice->set_session($cookie);
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 4: a session record deleted by another client: refused on the next request
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my $key = main::session_key('alice');
like $key, qr/:s:/, "$name - the session record";
is wa_redis('del', $key), '1', "$name - DEL by redis-cli";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 5: the epoch moved by another client: every session of the user ends, not another user's
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
my $bob = main::with_session('bob');
ok main::cached($alice), "$name - alice cached";
ok main::cached($bob), "$name - bob cached";
is wa_redis('incr', wa_ukey('alice', 'epoch')), '1', "$name - INCR epoch";
my $res = $alice->request('GET', '/vault/balance.json');
is $res->code, 403, "$name - alice: 403";
is $res->error, 'session_expired', "$name - alice: session_expired";
my $before = main::mgets();
is $bob->request('GET', '/vault/balance.json')->code, 200, "$name - bob: 200";
is main::mgets(), $before, "$name - bob still from the cache";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 6: an admin reset ends a cached session at once
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::ConfigAdmin
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my $res = wa_admin('POST', 'users/alice/reset',
                   '9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c', {reason => 'test'});
is $res->code, 200, "$name - reset";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 7: FLUSHALL empties the cache
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
is wa_redis('flushall'), 'OK', "$name - FLUSHALL";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 8: a session record that expires in Redis is refused
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
is wa_redis('pexpire', main::session_key('alice'), 100), '1',
    "$name - PEXPIRE 100";
# Redis expires keys by itself, ten times a second: it then tells
my $gone = wa_retry {
    $alice->request('GET', '/vault/balance.json')->code == 403
};
ok $gone, "$name - refused once the record has expired";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 9: the tracker lost: no cache until it is back, nothing missed meanwhile
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
my $bob = main::with_session('bob');
ok main::cached($alice), "$name - cached";
ok main::cached($bob), "$name - bob cached";
my $id = main::client_id('webauthn-tracker');
is wa_redis('client', 'kill', 'id', $id), '1', "$name - CLIENT KILL tracker";
# the tracker gone, a change reaches no one: the cache must not be used
is wa_redis('incr', wa_ukey('alice', 'epoch')), '1', "$name - INCR epoch";
my $res = $alice->request('GET', '/vault/balance.json');
is $res->code, 403, "$name - alice refused at once";
my $before = main::mgets();
is $bob->request('GET', '/vault/balance.json')->code, 200, "$name - bob: 200";
ok main::mgets() > $before, "$name - bob asked Redis: the cache is off";
ok main::cached($bob), "$name - a new tracker, the cache again";
isnt main::client_id('webauthn-tracker'), $id, "$name - a new tracker";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- error_log
invalidation connection lost
--- no_error_log
[alert]
[emerg]



=== TEST 10: the main connection lost: its tracking is gone, so is the cache
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my $id = main::client_id('webauthn');
is wa_redis('client', 'kill', 'id', $id), '1', "$name - CLIENT KILL main";
# Redis forgets what the killed connection read: no invalidation comes
is wa_redis('incr', wa_ukey('alice', 'epoch')), '1', "$name - INCR epoch";
my $res;
my $answered = wa_retry {
    $res = $alice->request('GET', '/vault/balance.json');
    $res->code != 503;
};
ok $answered, "$name - the worker connects again";
is $res->code, 403, "$name - alice refused";
is $res->error, 'session_expired', "$name - session_expired";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"session_expired"
--- no_error_log
[alert]
[emerg]



=== TEST 11: Redis paused: the cache stops within the timeout, then 503; back after
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my $pause = wa_redis_timeout_ms() * 4 + 1000;
is wa_redis('client', 'pause', $pause, 'all'), 'OK', "$name - CLIENT PAUSE";
my $res;
my $refused = wa_retry {
    $res = $alice->request('GET', '/vault/balance.json');
    $res->code == 503;
} $pause / 1000 - 0.5;
ok $refused, "$name - 503 while Redis does not answer";
is $res->error, 'store_unavailable', "$name - store_unavailable";
my $ok = wa_retry { main::cached($alice) } $pause / 1000 + 5;
ok $ok, "$name - served from the cache again once Redis answers";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-User: alice
--- no_error_log
[alert]
[emerg]



=== TEST 12: the cache holds what it is sized for, and still answers beyond
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase . "    webauthn_session_cache 1;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
my $bob = main::with_session('bob');
ok main::cached($alice), "$name - alice cached";
my $before = main::mgets();
is $bob->request('GET', '/vault/balance.json')->code, 200, "$name - bob: 200";
is $alice->request('GET', '/vault/balance.json')->code, 200,
    "$name - alice: 200";
is main::mgets(), $before + 2, "$name - one session kept: each asked Redis";
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 200
--- response_headers
X-User: alice
--- no_error_log
[error]
[alert]
[emerg]



=== TEST 13: the metrics count hits, misses and checks that bypassed the cache
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase . "    webauthn_zone webauthn:1m;\n"
--- config eval: $::Config . "    location = /metrics { webauthn_endpoint metrics; }\n"
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my $hit = wa_series('webauthn_session_cache_total', result => 'hit');
my $miss = wa_series('webauthn_session_cache_total', result => 'miss');
my $bypass = wa_series('webauthn_session_cache_total', result => 'bypass');
my $before = wa_metrics();
$alice->request('GET', '/vault/balance.json') for 1 .. 3;
is wa_redis('incr', wa_ukey('alice', 'epoch')), '1', "$name - INCR epoch";
is $alice->request('GET', '/vault/balance.json')->code, 403,
    "$name - refused";
my $after = wa_metrics();
wa_grew($before, $after, $hit => 3, $miss => 1, $bypass => 0);
is wa_redis('client', 'kill', 'id', main::client_id('webauthn-tracker')), '1',
    "$name - CLIENT KILL tracker";
$before = $after;
$alice->request('GET', '/vault/balance.json');
$after = wa_metrics();
is wa_delta($before, $after, $bypass), 1, "$name - the tracker gone: bypass";
my ($text) = (wa_metrics())[1]->body;
like $text, qr/^# TYPE webauthn_session_cache_total counter$/m,
    "$name - TYPE line";
my ($status, $out) = wa_promtool($text);
is $status, 0, "$name - promtool check metrics" or diag $out;
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- no_error_log
[alert]
[emerg]



=== TEST 14: a cookie remembered by one server is no session where other keys rule
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval
$::HttpConfig . <<'_EOC_';
    server {
        listen unix:$TEST_NGINX_HTML_DIR/other.sock;
        webauthn_session_key $TEST_NGINX_HTML_DIR/other.keys;

        location /vault/ {
            webauthn_gate passkey;
            alias $TEST_NGINX_HTML_DIR/;
        }
    }
_EOC_
--- config eval
$::Config . <<'_EOC_';
    location /other/ {
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/other.sock:/vault/;
    }
_EOC_
--- user_files eval
$::UserFiles . <<'_EOF_';
>>> other.keys
fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
_EOF_
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached here";
$alice->final(undef);
--- request
GET /other/balance.json
--- error_code: 403
--- response_body_like: "error":"passkey_required"
--- no_error_log
[alert]
[emerg]



=== TEST 15: a tampered cookie is refused after its original was remembered
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = main::with_session('alice');
ok main::cached($alice), "$name - cached";
my ($v, $payload, $mac) = split /\./, $alice->session // '';
$alice->set_session(join '.', 'v1', $payload // '', wa_tamper($mac // ''));
$alice->final(undef);
--- request
GET /vault/balance.json
--- error_code: 403
--- response_body_like: "error":"passkey_required"
--- no_error_log
[alert]
[emerg]
