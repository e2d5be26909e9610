# Lockout (issue 4, recovery; webauthn_lockout): failed ceremonies of a
# known user count; at N failures within the window the user is locked
# for the backoff (doubling at each further lock, up to max): the
# ceremonies answer 429 rate_limited with Retry-After, while reads with the
# password and existing passkey sessions keep working.  The admin API
# shows and lifts the lock; the audit stream records both.  Needs a real
# Redis: scripts/with-redis.sh.

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $Token = 'ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f';

our $HttpBase = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    webauthn_enroll open;
_EOC_

our $HttpConfig = $HttpBase . <<'_EOC_';
    webauthn_lockout 3 window=10m backoff=60s max=10m;
_EOC_

our $Config = $WebAuthnTest::Endpoints . <<'_EOC_';
    location /account/ {
        webauthn_gate password;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /vault/ {
        webauthn_gate passkey;
        add_header X-Level $webauthn_level always;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /admin/ {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint admin;
        webauthn_admin_token $TEST_NGINX_HTML_DIR/admin.tokens;
    }
_EOC_

our $UserFiles = <<"_EOF_";
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
>>> balance.json
{"balance":100}
>>> admin.tokens
$Token
_EOF_

our $RateLimited = qr/^\{"error":"rate_limited","message":"(?:[^"\\]|\\.)+","action":"wait"\}$/;

# Retry-After of the 60s backoff: whole seconds, 1 to 60
our $RetryAfter60 = '(?:[1-9]|[1-5][0-9]|60)';

# a login that fails verification on purpose: a corrupted signature
sub fail_login {
    my ($c, %o) = @_;
    my $res = $c->login(corrupt => 1, expect => 403, %o);
    is $res->error, 'signature_invalid', wa_name() . ' - a failed login: signature_invalid';
    return $res;
}

# the lock as GET users/U shows it
sub lock_of {
    my $user = shift // 'alice';
    my $res = wa_admin('GET', "users/$user", $::Token);
    is $res->code, 200, wa_name() . " - GET users/$user: 200";
    my $l = $res->json->{lock};
    return ref $l eq 'HASH' ? $l : {};
}

sub refused {
    my ($res, $code, $error, $what) = @_;
    my $ok = is $res->code . ' ' . $res->error, "$code $error",
        wa_name() . " - $what: $code $error";
    diag 'got ' . $res->describe if !$ok;
    return $ok;
}

# a Retry-After header: whole seconds within [lo, hi]
sub retry_after_in {
    my ($res, $lo, $hi, $what) = @_;
    my $ra = $res->header('Retry-After');
    ok defined $ra && $ra =~ /^\d+$/ && $ra >= $lo && $ra <= $hi,
        wa_name() . " - $what: Retry-After in [$lo, $hi] (got " . ($ra // 'none') . ")";
    return $ra;
}

# a worker that crashes is then reported: "[alert] ... exited on signal";
# under valgrind nginx runs as one process, which valgrind checks
master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: two failed logins of three: not locked yet, and GET users/alice counts them
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
::fail_login($alice) for 1 .. 2;
my $l = ::lock_of('alice');
ok JSON::PP::is_bool($l->{locked}) && !$l->{locked}, "$name - not locked";
is $l->{failures}, 2, "$name - failures: 2";
is $l->{retryAfter}, 0, "$name - retryAfter: 0";
is scalar(grep { ($_->{event} // '') eq 'lockout' } wa_audit()), 0, "$name - no lockout entry";
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- response_body_like: "challenge":"[A-Za-z0-9_-]{43}"
--- no_error_log
[alert]
[emerg]



=== TEST 2: the third failed login still answers its own error
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 2;
$alice->final($alice->assertion($alice->login_options, corrupt => 1));
--- request
POST /webauthn/login
--- error_code: 403
--- response_body_like: ^\{"error":"signature_invalid","message":"(?:[^"\\]|\\.)+","action":"reregister"\}$
--- no_error_log
[alert]
[emerg]



=== TEST 3: three failed logins: login_options is 429 rate_limited with Retry-After
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 3;
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 429
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_headers_like eval: "Retry-After: $::RetryAfter60"
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 4: locked: login_options naming the user in the body: 429
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 3;
wa_client(undef)->final({user => 'alice'});
--- request
POST /webauthn/login/options
--- error_code: 429
--- response_headers_like eval: "Retry-After: $::RetryAfter60"
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 5: locked: a valid assertion over a challenge issued before the lock: 429, no session
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
::fail_login($alice) for 1 .. 2;
my $opts = $alice->login_options;
is $opts->code, 200, "$name - login_options before the lock: 200";
::fail_login($alice);
$alice->final($alice->assertion($opts));
--- request
POST /webauthn/login
--- error_code: 429
--- response_headers_like eval: "Retry-After: $::RetryAfter60"
--- raw_response_headers_unlike: Set-Cookie
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 6: locked: passkey-first login with the user's passkey: 429
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
::fail_login($alice) for 1 .. 3;
my $anon = wa_client(undef);
$anon->set_cred($cred);
my $opts = $anon->login_options;
is $opts->code, 200, "$name - passkey-first login_options: 200 (no user yet)";
$anon->final($anon->assertion($opts));
--- request
POST /webauthn/login
--- error_code: 429
--- raw_response_headers_unlike: Set-Cookie
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 7: locked: register_options and register with a passkey session: 429
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
my $ro = $alice->register_options;
is $ro->code, 200, "$name - register_options before the lock: 200";
::fail_login($alice) for 1 .. 3;
my $res = $alice->register_options;
::refused($res, 429, 'rate_limited', 'register_options with the passkey session');
::retry_after_in($res, 1, 60, 'register_options');
my ($json) = $alice->attestation($ro);
$alice->final($json);
--- request
POST /webauthn/register
--- error_code: 429
--- response_headers_like eval: "Retry-After: $::RetryAfter60"
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 8: locked: reads keep working: the password gate, and an existing passkey session
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
::fail_login($alice) for 1 .. 3;
::refused($alice->login_options, 429, 'rate_limited', 'login_options');
my $res = $alice->request('GET', '/account/balance.json', cookie => '');
is $res->code, 200, "$name - the password gate: 200";
is $res->header('X-Level'), 'password', "$name - at level password";
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



=== TEST 9: another user is not affected by alice's lock
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
::fail_login($alice) for 1 .. 3;
::refused($alice->login_options, 429, 'rate_limited', "alice's login_options");
$bob->final($bob->assertion($bob->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"bob")
--- no_error_log
[alert]
[emerg]



=== TEST 10: GET users/alice shows the lock
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
::fail_login($alice) for 1 .. 3;
my $l = ::lock_of('alice');
ok JSON::PP::is_bool($l->{locked}) && $l->{locked}, "$name - locked: true";
ok defined $l->{retryAfter} && $l->{retryAfter} =~ /^\d+$/
   && $l->{retryAfter} >= 1 && $l->{retryAfter} <= 60,
   "$name - retryAfter in [1, 60] (got " . ($l->{retryAfter} // 'none') . ")";
like $l->{failures} // '', qr/^\d+$/, "$name - failures: a count";
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token"
--- error_code: 200
--- response_body_like: "lock":\{(?=[^}]*"locked":true)(?=[^}]*"retryAfter":\d+)(?=[^}]*"failures":\d+)
--- no_error_log
[alert]
[emerg]



=== TEST 11: admin unlock: unlocked true, then the login works again
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
::fail_login($alice) for 1 .. 3;
::refused($alice->login_options, 429, 'rate_limited', 'locked');
my $res = wa_admin('POST', 'users/alice/unlock', $::Token, {reason => 'verified by phone'});
is $res->code, 200, "$name - unlock: 200";
is $res->json->{status}, 'ok', "$name - status ok";
ok JSON::PP::is_bool($res->json->{unlocked}) && $res->json->{unlocked}, "$name - unlocked: true";
my $l = ::lock_of('alice');
ok JSON::PP::is_bool($l->{locked}) && !$l->{locked}, "$name - GET: not locked";
is $l->{failures}, 0, "$name - GET: failures 0";
is $l->{retryAfter}, 0, "$name - GET: retryAfter 0";
$res = wa_admin('POST', 'users/alice/unlock', $::Token);
ok JSON::PP::is_bool($res->json->{unlocked}) && !$res->json->{unlocked},
    "$name - a second unlock: unlocked false";
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- raw_response_headers_like: \r\nSet-Cookie: webauthn_session=v1\.
--- response_body_like: ^\{(?=.*"status":"ok")(?=.*"user":"alice")
--- no_error_log
[alert]
[emerg]



=== TEST 12: unlock clears the failures: two more failures after it do not lock
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 3;
is wa_admin('POST', 'users/alice/unlock', $::Token)->code, 200, wa_name() . ' - unlock: 200';
::fail_login($alice) for 1 .. 2;
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 13: the audit stream: one lockout entry by "system", one unlock entry by the token
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
my $t0 = time;
::fail_login($alice) for 1 .. 3;
# refusals while locked are not new lockouts
::refused($alice->login_options, 429, 'rate_limited', 'locked') for 1 .. 2;
is wa_admin('POST', 'users/alice/unlock', $::Token, {reason => 'verified by phone'})->code, 200,
    "$name - unlock: 200";
my $t1 = time;
my @a = wa_audit();
my @lock = grep { ($_->{event} // '') eq 'lockout' } @a;
my @unlock = grep { ($_->{event} // '') eq 'unlock' } @a;
is scalar(@lock), 1, "$name - one lockout entry";
is scalar(@unlock), 1, "$name - one unlock entry";
is_deeply [map { $_->{event} } @a], ['register', 'lockout', 'unlock'], "$name - in order";
my $l = $lock[0] || {};
is $l->{user}, 'alice', "$name - lockout: user";
is $l->{actor}, 'system', "$name - lockout: actor system";
ok defined $l->{time} && $l->{time} >= $t0 - 2 && $l->{time} <= $t1 + 2, "$name - lockout: time";
my $u = $unlock[0] || {};
is $u->{user}, 'alice', "$name - unlock: user";
is $u->{actor}, wa_admin_actor($::Token), "$name - unlock: actor admin:<token>";
ok grep({ defined && $_ eq 'verified by phone' } values %$u), "$name - unlock: the reason";
my $ev = wa_admin('GET', 'users/alice', $::Token)->json->{events} // [];
is_deeply [map { $_->{event} } @$ev], ['unlock', 'lockout', 'register'], "$name - the user's events";
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token"
--- error_code: 200
--- response_body_like: "events":\[\{[^{}]*"event":"unlock"
--- no_error_log
[alert]
[emerg]



=== TEST 14: a successful login clears the failure count
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
::fail_login($alice) for 1 .. 2;
$alice->login;
is ::lock_of('alice')->{failures}, 0, "$name - failures 0 after the login";
::fail_login($alice) for 1 .. 2;
is ::lock_of('alice')->{failures}, 2, "$name - failures 2";
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 15: every kind of failed login counts: counter_regression, credential_unknown, signature_invalid
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
my $bcred = $bob->register;
$alice->login(counter => 10);
my $res = $alice->login(counter => 5, expect => 403);
is $res->error, 'counter_regression', "$name - counter_regression";
$res = $alice->login(cred => $bcred, expect => 403);
is $res->error, 'credential_unknown', "$name - bob's passkey for alice: credential_unknown";
$res = $alice->login(corrupt => 1, counter => 20, expect => 403);
is $res->error, 'signature_invalid', "$name - signature_invalid";
is ::lock_of('bob')->{failures}, 0, "$name - bob has no failure";
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 429
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 16: failed registrations count
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
for my $i (1 .. 3) {
    my $ro = $alice->register_options;
    is $ro->code, 200, "$name - register_options $i: 200";
    my ($json) = $alice->attestation($ro, origin => 'https://evil.example', keep => 1);
    my $res = $alice->post('/webauthn/register', $json);
    is $res->code . ' ' . $res->error, '403 origin_mismatch', "$name - register $i: origin_mismatch";
}
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 429
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 17: a wrong grant counts
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
my $grant = wa_admin('POST', 'users/alice/grant', $::Token)->json->{grant} // 'x';
for my $g (wa_tamper($grant), substr($grant, 0, -1), $grant . 'A') {
    my $res = $alice->register_options(grant => $g);
    is $res->code . ' ' . $res->error, '403 grant_invalid', "$name - wrong grant \"$g\": grant_invalid";
}
my $res = $alice->register_options(grant => $grant);
::refused($res, 429, 'rate_limited', 'the right grant while locked');
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 429
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 18: webauthn_lockout off never locks
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase . "    webauthn_lockout off;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 7;
my $l = ::lock_of('alice');
ok !$l->{locked}, "$name - not locked";
is scalar(grep { ($_->{event} // '') eq 'lockout' } wa_audit()), 0, "$name - no lockout entry";
$alice->final($alice->assertion($alice->login_options));
--- request
POST /webauthn/login
--- error_code: 200
--- response_body_like: "status":"ok"
--- no_error_log
[alert]
[emerg]



=== TEST 19: the default is 5 failures: four do not lock, the fifth does
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 4;
is $alice->login_options->code, 200, "$name - four failures: login_options 200";
::fail_login($alice);
my $res = $alice->login_options;
::refused($res, 429, 'rate_limited', 'five failures');
# backoff=1m by default
::retry_after_in($res, 1, 60, 'the default backoff');
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 429
--- response_headers_like eval: "Retry-After: $::RetryAfter60"
--- response_body_like eval: $::RateLimited
--- no_error_log
[alert]
[emerg]



=== TEST 20: the backoff doubles at the next lock, up to max; unlock forgets the doubling
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpBase . "    webauthn_lockout 3 window=10m backoff=4s max=6s;\n"
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $alice = wa_client('alice');
$alice->register;
::fail_login($alice) for 1 .. 3;
my $res = $alice->login_options;
::refused($res, 429, 'rate_limited', 'the first lock');
::retry_after_in($res, 1, 4, 'the first lock: backoff 4s');
# wait for the first lock to end, however long that takes (valgrind)
my $unlocked = wa_retry(sub {
    my $l = wa_admin('GET', 'users/alice', $::Token)->json->{lock};
    return ref $l eq 'HASH' && defined $l->{locked} && !$l->{locked};
}, 30);
ok $unlocked, "$name - the first lock ends by itself";
# fail until the second lock, and time the last failure
my ($t0, $t1, $locked);
for my $i (1 .. 3) {
    $t0 = Time::HiRes::time();
    ::fail_login($alice);
    $res = $alice->login_options;
    $t1 = Time::HiRes::time();
    $locked = $res->code == 429 and last;
}
ok $locked, "$name - locked again";
# 8s doubled, 6s at most: between 6 - (t1 - t0) and 6 seconds left
my $ra = ::retry_after_in($res, 1, 6, 'the second lock: doubled to 8s, capped at 6s');
ok !defined $ra || $ra > 4, "$name - the second lock is longer than the first (got "
   . ($ra // 'none') . ")" if $t1 - $t0 < 0.8;
is wa_admin('POST', 'users/alice/unlock', $::Token)->code, 200, "$name - unlock: 200";
::fail_login($alice) for 1 .. 3;
$res = $alice->login_options;
::refused($res, 429, 'rate_limited', 'the lock after the unlock');
::retry_after_in($res, 1, 4, 'after the unlock the backoff is 4s again');
--- request
GET /admin/users/alice
--- more_headers eval: "Authorization: Bearer $::Token"
--- error_code: 200
--- response_body_like: "lock":\{(?=[^}]*"locked":true)
--- no_error_log
[alert]
[emerg]



=== TEST 21: failures of one user do not count for another: each has a window of its own
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
$bob->register;
::fail_login($alice) for 1 .. 2;
::fail_login($bob) for 1 .. 2;
is $alice->login_options->code, 200, "$name - alice: 200";
$bob->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 22: a reset clears the failures and the lock
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
::fail_login($alice) for 1 .. 3;
::refused($alice->login_options, 429, 'rate_limited', 'locked');
my $res = wa_admin('POST', 'users/alice/reset', $::Token);
is $res->code, 200, "$name - reset: 200";
my $l = ::lock_of('alice');
ok JSON::PP::is_bool($l->{locked}) && !$l->{locked}, "$name - GET: not locked";
is $l->{failures}, 0, "$name - GET: failures 0";
my $grant = $res->json->{grant};
my $ro = $alice->register_options(grant => $grant);
is $ro->code, 200, "$name - register_options with the grant: 200";
my ($json) = $alice->attestation($ro);
is $alice->post('/webauthn/register', $json)->code, 201, "$name - register: 201";
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- response_body_like: "allowCredentials":\[\{
--- no_error_log
[alert]
[emerg]



=== TEST 23: login_options stores its challenge in the same script, but not for a locked user
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
my $pattern = wa_ukey('alice', 'ch:*');
my $keys = sub { [ grep { length } split /\n/, wa_redis('--scan', '--pattern', $pattern) ] };
::fail_login($alice) for 1 .. 3;
is scalar @{ $keys->() }, 0, "$name - the failed logins left no challenge";
::refused($alice->login_options, 429, 'rate_limited', 'locked');
is scalar @{ $keys->() }, 0, "$name - locked: login_options stored no challenge";
is wa_admin('POST', 'users/alice/unlock', $::Token)->code, 200, "$name - unlock: 200";
my $ro = $alice->login_options;
is $ro->code, 200, "$name - unlocked: login_options 200";
my $k = $keys->();
is_deeply $k, [ wa_ukey('alice', 'ch:' . $ro->json->{challenge}) ],
    "$name - one challenge stored, under the one sent";
my ($rec) = wa_redis('GET', $k->[0] // 'none');
like $rec, qr/^login \d+$/, "$name - a login challenge with its expiry";
my $ttl = wa_redis('TTL', $k->[0] // 'none');
ok $ttl > 300 && $ttl <= 360, "$name - kept for the challenge ttl and the grace (got $ttl)";
$alice->final({});
--- request
POST /webauthn/login/options
--- error_code: 200
--- response_body_like: "allowCredentials":\[\{
--- no_error_log
[alert]
[emerg]
