# Metrics (issue 5; webauthn_endpoint metrics, webauthn_zone,
# webauthn_aaguid_names): the counters after known sequences of
# ceremonies, failures, gate decisions, admin calls and a Redis outage;
# the label bounding (platforms, authenticators); the text passes
# "promtool check metrics".  Each check compares two readings, so that it
# holds whatever else the zone counted before.  Needs a real Redis:
# scripts/with-redis.sh.

use lib 't/webauthn';
use WebAuthnTest;
use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

umask 077;

our $Token = 'ivr-7d3f0c1e5b9a4d2c8e6f1a3b5c7d9e0f';

# an AAGUID the names file knows (a name that needs escaping in the text),
# one it gives an ordinary name, one it does not know
our $KeyAaguid = '01020304-0506-0708-090a-0b0c0d0e0f10';
our $KeyName = 'Test "Key" \ one';
our $GpmAaguid = 'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4';
our $UnknownAaguid = 'ffeeddcc-bbaa-9988-7766-554433221100';

our $HttpConfig = <<'_EOC_';
    webauthn_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT timeout=$TEST_NGINX_REDIS_TIMEOUT;
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/aaguids.json;
    webauthn_rp_id example.com;
    webauthn_rp_name "Example Brokerage";
    webauthn_origin https://example.com;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
    webauthn_identity $http_x_user;
    webauthn_enroll open;
    webauthn_lockout 2 window=10m backoff=60s max=10m;
_EOC_

our $Config = $WebAuthnTest::Endpoints . <<'_EOC_';
    location = /metrics {
        allow 127.0.0.1;
        deny all;
        webauthn_endpoint metrics;
    }
    location /account/ {
        webauthn_gate password;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /orders/ {
        webauthn_gate passkey fallback=read;
        alias $TEST_NGINX_HTML_DIR/;
    }
    location /vault/ {
        webauthn_gate passkey;
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
>>> aaguids.json
{"$KeyAaguid": "Test \\"Key\\" \\\\ one",
 "$GpmAaguid": {"name": "Google Password Manager", "icon_light": "data:,"}}
_EOF_

# the headers of a browser: Chrome on Android 14 with Client Hints
our @Android14 = ('User-Agent: Mozilla/5.0 (Linux; Android 10; K) '
                  . 'AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 '
                  . 'Mobile Safari/537.36',
                  'Sec-CH-UA-Platform: "Android"',
                  'Sec-CH-UA-Platform-Version: "14.0.0"');

sub ceremony {
    my (%l) = @_;
    return wa_series('webauthn_ceremonies_total',
                     map { $_ => $l{$_} }
                     qw(ceremony result reason platform authenticator));
}

sub started {
    my ($ceremony, $platform) = @_;
    return wa_series('webauthn_ceremonies_started_total',
                     ceremony => $ceremony, platform => $platform);
}

sub gate {
    my ($gate, $level, $outcome, $reason) = @_;
    return wa_series('webauthn_gate_decisions_total', gate => $gate,
                     level => $level, outcome => $outcome, reason => $reason);
}

sub admin {
    my ($action, $result) = @_;
    return wa_series('webauthn_admin_requests_total', action => $action,
                     result => $result);
}

# a user with a passkey of the given AAGUID, signed in from Android 14
sub android_user {
    my ($user, $aaguid) = @_;
    my $c = wa_client($user, headers => ["X-User: $user", @::Android14]);
    my $cred = $c->register(args => ['--aaguid', $aaguid]);
    return ($c, $cred);
}

master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: the text: every metric described, escaped names, promtool check metrics passes
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
$alice->login;
my ($m, $res) = wa_metrics();
my $text = $res->body // '';
for my $metric (qw(webauthn_ceremonies_total webauthn_ceremonies_started_total
                   webauthn_gate_decisions_total webauthn_store_errors_total
                   webauthn_store_connects_total webauthn_lockouts_total
                   webauthn_admin_requests_total webauthn_client_failures_total
                   webauthn_telemetry_reports_total
                   webauthn_metrics_dropped_total
                   webauthn_metrics_start_time_seconds webauthn_store_up
                   webauthn_store_latency_seconds
                   webauthn_client_failure_seconds))
{
    like $text, qr/^# HELP $metric \S.*\n# TYPE $metric (counter|gauge|histogram)$/m,
        "$name - $metric: HELP and TYPE";
}
like $text, qr/authenticator="Test \\"Key\\" \\\\ one"/,
    "$name - the operator's name, escaped as the format says";
is $m->{'webauthn_lockouts_total'}, 0, "$name - a counter without labels shows 0";
is $m->{'webauthn_store_up{worker="0"}'}, 1, "$name - store_up: the worker is connected";
cmp_ok $m->{'webauthn_store_latency_seconds_count'} // 0, '>=', 4,
    "$name - store round trips measured";
is $m->{'webauthn_store_latency_seconds_bucket{le="+Inf"}'},
    $m->{'webauthn_store_latency_seconds_count'}, "$name - +Inf bucket == count";
cmp_ok abs(($m->{webauthn_metrics_start_time_seconds} // 0) - time), '<', 600,
    "$name - start time: now";
my ($rc, $out) = wa_promtool($text);
is $rc, 0, "$name - promtool check metrics: exit 0" or diag $out;
is $out, '', "$name - promtool: no complaint";
--- request
GET /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
Cache-Control: no-store
--- response_body_like: \A# HELP webauthn_ceremonies_total .*\nwebauthn_metrics_dropped_total 0\n
--- no_error_log
[alert]
[emerg]



=== TEST 2: the endpoint takes GET and HEAD only
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $c = wa_client(undef, identity => 0);
my $res = $c->request('HEAD', '/metrics');
is $res->code, 200, "$name - HEAD: 200";
is $res->body, '', "$name - HEAD: no body";
$res = $c->request('DELETE', '/metrics');
is $res->code, 405, "$name - DELETE: 405";
--- request
POST /metrics
{}
--- more_headers
Content-Type: application/json
--- error_code: 405
--- response_headers
Allow: GET, HEAD
--- response_body_like: ^\{"error":"method_not_allowed",
--- no_error_log
[alert]
[emerg]



=== TEST 3: a registration and a login counted once each, by platform and authenticator
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $m0 = wa_metrics();
my ($alice) = ::android_user('alice', $::KeyAaguid);
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::started('register', 'android-14') => 1,
       ::ceremony(ceremony => 'register', result => 'success', reason => 'none',
                  platform => 'android-14', authenticator => $::KeyName) => 1,
       ::started('login', 'android-14') => 0);
$alice->login;
$alice->login;
my $m2 = wa_metrics();
wa_grew($m1, $m2,
       ::started('login', 'android-14') => 2,
       ::ceremony(ceremony => 'login', result => 'success', reason => 'none',
                  platform => 'android-14', authenticator => $::KeyName) => 2,
       ::started('register', 'android-14') => 0);
my @fail = grep { /^webauthn_ceremonies_total\{.*result="failure"/
                  && WebAuthnTest::wa_delta($m0, $m2, $_) } keys %$m2;
is_deeply \@fail, [], "$name - no failure counted";
# the Google Password Manager, named in the community list's format
my ($bob) = ::android_user('bob', $::GpmAaguid);
$bob->login;
my $m3 = wa_metrics();
wa_grew($m2, $m3,
       ::ceremony(ceremony => 'login', result => 'success', reason => 'none',
                  platform => 'android-14',
                  authenticator => 'Google Password Manager') => 1);
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 4: failures by reason, the lockout they lead to, then rate_limited
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
my $m0 = wa_metrics();
$alice->login(corrupt => 1, expect => 403);
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::ceremony(ceremony => 'login', result => 'failure',
                  reason => 'signature_invalid', platform => 'android-14',
                  authenticator => $::KeyName) => 1,
       'webauthn_lockouts_total' => 0);
# the second failure locks alice (webauthn_lockout 2): counted once the
# store has answered the failure script, which nobody waits for
$alice->login(corrupt => 1, expect => 403);
my $locked = wa_retry(sub {
    WebAuthnTest::wa_delta($m1, scalar wa_metrics(), 'webauthn_lockouts_total') == 1
});
ok $locked, "$name - webauthn_lockouts_total +1";
my $m2 = wa_metrics();
my $res = $alice->login_options;
is $res->code, 429, "$name - locked: login_options 429";
my $m3 = wa_metrics();
wa_grew($m2, $m3,
       ::ceremony(ceremony => 'login', result => 'failure',
                  reason => 'rate_limited', platform => 'android-14',
                  authenticator => 'other') => 1,
       ::started('login', 'android-14') => 1,
       'webauthn_lockouts_total' => 0);
# a login without identity or body: malformed, from an unknown platform
my $anon = wa_client(undef, identity => 0);
$res = $anon->post('/webauthn/login', '{');
is $res->code, 400, "$name - a broken login: 400";
my $m4 = wa_metrics();
wa_grew($m3, $m4,
       ::ceremony(ceremony => 'login', result => 'failure',
                  reason => 'malformed_request', platform => 'other',
                  authenticator => 'other') => 1);
# a wrong method is no ceremony at all: nothing counted
is $anon->request('GET', '/webauthn/login/options')->code, 405, "$name - GET options: 405";
my $m5 = wa_metrics();
my @moved = grep { /^webauthn_ceremonies/ && WebAuthnTest::wa_delta($m4, $m5, $_) } keys %$m5;
is_deeply \@moved, [], "$name - a 405 is not counted as a ceremony";
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 5: a revoked passkey's failed login names its authenticator
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
$alice->login;
is wa_admin('POST', 'users/alice/reset', $::Token)->code, 200, "$name - reset: 200";
$alice->set_session(undef);
my $m0 = wa_metrics();
$alice->login(expect => 403);
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::ceremony(ceremony => 'login', result => 'failure',
                  reason => 'credential_revoked', platform => 'android-14',
                  authenticator => $::KeyName) => 1);
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 6: label bounding: unknown AAGUID and made-up platforms are "other", versions bounded
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $m0 = wa_metrics();
my ($carol) = ::android_user('carol', $::UnknownAaguid);
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::ceremony(ceremony => 'register', result => 'success', reason => 'none',
                  platform => 'android-14', authenticator => 'other') => 1);
# each login_options (passkey-first, 200) counts a start on its platform
my @cases = (
    [ 'Plan 9 in Client Hints', 'other',
      'Sec-CH-UA-Platform: "Plan9"', 'User-Agent: Mozilla/5.0 (Linux; Android 14)' ],
    [ 'Client Hints not quoted', 'other', 'Sec-CH-UA-Platform: Android' ],
    [ 'Windows 11 by Client Hints', 'windows-11',
      'Sec-CH-UA-Platform: "Windows"', 'Sec-CH-UA-Platform-Version: "15.0.0"' ],
    [ 'Windows 10 by Client Hints', 'windows-10',
      'Sec-CH-UA-Platform: "Windows"', 'Sec-CH-UA-Platform-Version: "10.0.0"' ],
    [ 'Windows without a version', 'windows',
      'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0' ],
    [ 'reduced Android UA: no version', 'android',
      'User-Agent: Mozilla/5.0 (Linux; Android 10; K) Chrome/130.0 Mobile' ],
    [ 'Android 13 in the UA (Firefox)', 'android-13',
      'User-Agent: Mozilla/5.0 (Android 13; Mobile; rv:130.0) Gecko/130.0 Firefox/130.0' ],
    [ 'a made-up Android version', 'android',
      'User-Agent: Mozilla/5.0 (Linux; Android 999999; X)' ],
    [ 'Android in hints, version in UA', 'android-12',
      'Sec-CH-UA-Platform: "Android"', 'User-Agent: Mozilla/5.0 (Linux; Android 12; Pixel)' ],
    [ 'an iPhone', 'ios-18',
      'User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1' ],
    [ 'an iPad', 'ios-17',
      'User-Agent: Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1' ],
    [ 'a Mac', 'macos',
      'User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15' ],
    [ 'Linux', 'linux', 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' ],
    [ 'ChromeOS', 'chromeos', 'User-Agent: Mozilla/5.0 (X11; CrOS x86_64 14541.0.0)' ],
    [ 'no User-Agent', 'other' ],
    [ 'curl', 'other', 'User-Agent: curl/7.88.1' ],
);
for my $case (@cases) {
    my ($what, $platform, @h) = @$case;
    my $before = wa_metrics();
    my $c = wa_client(undef, identity => 0, headers => [@h]);
    my $res = $c->login_options;
    is $res->code, 200, "$name - $what: login_options 200";
    my $after = wa_metrics();
    is WebAuthnTest::wa_delta($before, $after, ::started('login', $platform)), 1,
        "$name - $what: platform=\"$platform\"";
}
my $m2 = wa_metrics();
my @labels = map { /platform="([^"]*)"/ ? $1 : () } keys %$m2;
my @odd = grep { !/^(?:other|linux|macos|chromeos|windows(?:-1[01])?|android(?:-\d{1,2})?|ios(?:-\d{1,2})?)$/ } @labels;
is_deeply \@odd, [], "$name - every platform label is of the bounded set";
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 7: gate decisions by gate, level and outcome; the read fallback
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
my $bob = wa_client('bob');
my $anon = wa_client(undef, identity => 0);
my $m0 = wa_metrics();
is $bob->request('GET', '/account/balance.json')->code, 200, "$name - password gate: 200";
is $bob->request('GET', '/orders/balance.json')->code, 200, "$name - fallback read: 200";
is $bob->request('POST', '/orders/balance.json', body => {})->code, 403,
    "$name - fallback, a write: 403";
is $anon->request('GET', '/account/balance.json')->code, 401, "$name - no identity: 401";
$alice->login;
is $alice->request('GET', '/vault/balance.json')->code, 200, "$name - passkey session: 200";
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::gate('password', 'password', 'allow', 'none') => 1,
       ::gate('passkey', 'password', 'read', 'passkey_required') => 1,
       ::gate('passkey', 'password', 'refuse', 'passkey_required') => 1,
       ::gate('password', 'none', 'refuse', 'identity_required') => 1,
       ::gate('passkey', 'passkey', 'allow', 'none') => 1);
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 8: admin requests by action and result
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
my $m0 = wa_metrics();
is wa_admin('GET', 'users/alice', $::Token)->code, 200, "$name - GET user: 200";
is wa_admin('POST', 'users/alice/reset', $::Token)->code, 200, "$name - reset: 200";
is wa_admin('POST', 'users/nobody/unlock', $::Token)->code, 404, "$name - unknown: 404";
is wa_admin('POST', 'users/alice/reset', 'wrong-token')->code, 401, "$name - bad token: 401";
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::admin('user', 'ok') => 1,
       ::admin('reset', 'ok') => 1,
       ::admin('unlock', 'user_unknown') => 1,
       ::admin('other', 'unauthorized') => 1);
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 9: Redis stopped: store_up 0, errors by kind, reads on the fallback; back when it returns
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
$alice->login;
my $m0 = wa_metrics();
wa_redis_stop();
my $down = wa_retry(sub { (wa_metrics()->{'webauthn_store_up{worker="0"}'} // 1) == 0 }, 5);
ok $down, "$name - store_up 0 once Redis is gone";
my $m1 = wa_metrics();
is $alice->request('GET', '/orders/balance.json')->code, 200, "$name - the read: 200";
is $alice->request('POST', '/orders/balance.json', body => {})->code, 503,
    "$name - a write: 503";
my $m2 = wa_metrics();
cmp_ok WebAuthnTest::wa_delta($m1, $m2,
    wa_series('webauthn_store_errors_total', kind => 'unavailable')), '>=', 2,
    "$name - store errors: unavailable";
wa_grew($m1, $m2,
       ::gate('passkey', 'password', 'read', 'store_unavailable') => 1,
       ::gate('passkey', 'password', 'refuse', 'store_unavailable') => 1);
wa_redis_start();
my $up = wa_retry(sub { (wa_metrics()->{'webauthn_store_up{worker="0"}'} // 0) == 1 }, 10);
ok $up, "$name - store_up 1 again";
my $m3 = wa_metrics();
cmp_ok WebAuthnTest::wa_delta($m0, $m3,
    wa_series('webauthn_store_connects_total', result => 'ok')), '>=', 1,
    "$name - reconnected: connects ok +1";
is $alice->request('GET', '/vault/balance.json')->code, 200,
    "$name - the passkey route works again";
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 10: counters survive nginx -s reload
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- skip_eval: 1: $ENV{TEST_NGINX_USE_VALGRIND}
--- init
wa_begin($block);
my $name = wa_name();
my ($alice) = ::android_user('alice', $::KeyAaguid);
my $s = ::ceremony(ceremony => 'register', result => 'success', reason => 'none',
                   platform => 'android-14', authenticator => $::KeyName);
my $m0 = wa_metrics();
cmp_ok $m0->{$s} // 0, '>=', 1, "$name - counted before the reload";
my $pidfile = Test::Nginx::Util::server_root() . '/logs/nginx.pid';
open my $fh, '<', $pidfile or die "$pidfile: $!";
chomp(my $pid = <$fh>);
close $fh;
my $old = wa_metrics()->{'webauthn_store_up{worker="0"}'};
kill 'HUP', $pid;
# the new worker takes worker slot 0 and connects
my $started = $m0->{webauthn_metrics_start_time_seconds};
my $m1;
wa_retry(sub {
    $m1 = wa_metrics();
    ($m1->{$s} // 0) >= ($m0->{$s} // 0)
        && ($m1->{'webauthn_store_up{worker="0"}'} // 0) == 1
}, 10);
is $m1->{$s}, $m0->{$s}, "$name - the same count after the reload";
is $m1->{webauthn_metrics_start_time_seconds}, $started, "$name - the same start time";
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 11: webauthn_aaguid_names: not JSON
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files
>>> bad.json
{"01020304-0506-0708-090a-0b0c0d0e0f10": "A",}
--- must_die
--- error_log eval
qr/bad\.json" is not a JSON object of AAGUIDs and names: .* \(line 1\)/



=== TEST 12: webauthn_aaguid_names: a key that is not an AAGUID
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files
>>> bad.json
{"0102030405060708090a0b0c0d0e0f10": "A"}
--- must_die
--- error_log
"0102030405060708090a0b0c0d0e0f10" is not an AAGUID (8-4-4-4-12 hexadecimal digits)



=== TEST 13: webauthn_aaguid_names: a name too long for a label
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files eval
">>> bad.json\n{\"01020304-0506-0708-090a-0b0c0d0e0f10\": \"" . ('x' x 65) . "\"}\n"
--- must_die
--- error_log
the name of "01020304-0506-0708-090a-0b0c0d0e0f10" must be 1 to 64 bytes of printable UTF-8



=== TEST 14: webauthn_aaguid_names: a control character in a name
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files
>>> bad.json
{"01020304-0506-0708-090a-0b0c0d0e0f10": "two\nlines"}
--- must_die
--- error_log
must be 1 to 64 bytes of printable UTF-8



=== TEST 15: webauthn_aaguid_names: an AAGUID twice
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files
>>> bad.json
{"01020304-0506-0708-090a-0b0c0d0e0f10": "A",
 "01020304-0506-0708-090a-0b0c0d0e0f10": "B"}
--- must_die
--- error_log eval
qr/bad\.json" is not a JSON object of AAGUIDs and names: duplicate object key/



=== TEST 16: webauthn_aaguid_names: an AAGUID in upper and in lower case
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files
>>> bad.json
{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "A",
 "EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4": "B"}
--- must_die
--- error_log
bad.json": an AAGUID is written twice



=== TEST 17: webauthn_aaguid_names: a name that is not a string
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/bad.json;
--- config
--- user_files
>>> bad.json
{"01020304-0506-0708-090a-0b0c0d0e0f10": {"icon_dark": "x"}}
--- must_die
--- error_log
the name of "01020304-0506-0708-090a-0b0c0d0e0f10" is not a string



=== TEST 18: webauthn_aaguid_names: a missing file
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/none.json;
--- config
--- must_die
--- error_log eval
qr/open\(\) ".*none\.json" failed/



=== TEST 19: webauthn_aaguid_names twice
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/a.json;
    webauthn_aaguid_names $TEST_NGINX_HTML_DIR/a.json;
--- config
--- user_files
>>> a.json
{}
--- must_die
--- error_log
"webauthn_aaguid_names" directive is duplicate



=== TEST 20: the metrics endpoint needs webauthn_zone
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
--- config
    location = /metrics {
        webauthn_endpoint metrics;
    }
--- must_die
--- error_log
needs webauthn_zone, which is not configured



=== TEST 21: without webauthn_redis no worker reports a store, so no store_up series
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
    webauthn_zone webauthn:1m;
--- config
    location = /metrics {
        webauthn_endpoint metrics;
    }
--- request
GET /metrics
--- error_code: 200
--- response_body_like: \n# TYPE webauthn_store_up gauge\n# HELP webauthn_store_latency_seconds
--- no_error_log
[alert]
[emerg]



=== TEST 22: random User-Agents and Client Hints: every answer 200, every platform label bounded
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
# fixed seed: the same cases every run
srand(20261121);
my @pieces = ('Android ', 'iPhone OS ', 'CPU OS ', 'CrOS', 'Windows', 'Macintosh',
              'Linux', 'X11', '10; K)', '_', '.', ';', ')', ' ', '"', '999', '1', '14',
              "\x{e9}", 'Sec', '0000', 'like Mac OS X');
my $bad = 0;
for my $i (1 .. 150) {
    my $ua = join '', map { $pieces[int rand @pieces] } 1 .. int(rand 12);
    $ua .= join '', map { chr(0x21 + int rand 94) } 1 .. int(rand 20);
    my @h = ("User-Agent: $ua");
    if ($i % 3 == 0) {
        my $p = join '', map { $pieces[int rand @pieces] } 1 .. int(rand 4);
        push @h, qq{Sec-CH-UA-Platform: "$p"};
        push @h, 'Sec-CH-UA-Platform-Version: "' . join('', map { $pieces[int rand @pieces] } 1 .. int(rand 4)) . '"'
            if $i % 2;
    }
    my $c = wa_client(undef, identity => 0, headers => [@h]);
    my $res = $c->login_options;
    if ($res->code != 200) {
        $bad++;
        diag "$ua: " . $res->describe;
    }
}
is $bad, 0, "$name - 150 login_options with odd headers: all 200";
my $m = wa_metrics();
my @odd = grep { !/^(?:other|linux|macos|chromeos|windows(?:-1[01])?|android(?:-(?:[5-9]|[12]\d|30))?|ios(?:-(?:[1-3]\d|40))?)$/ }
          map { /platform="([^"]*)"/ ? $1 : () } keys %$m;
is_deeply \@odd, [], "$name - every platform label is of the bounded set";
my ($rc, $out) = wa_promtool((wa_metrics())[1]->body);
is $rc, 0, "$name - promtool check metrics" or diag $out;
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 23: a refused registration is counted with the authenticator it claimed
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $m0 = wa_metrics();
my $c = wa_client('dave', headers => ['X-User: dave', @::Android14]);
$c->register(rp_id => 'other.example', args => ['--aaguid', $::GpmAaguid],
             expect => 403);
# refused before the authenticator data: no AAGUID to name
$c->register(origin => 'https://evil.example', args => ['--aaguid', $::GpmAaguid],
             expect => 403);
my $m1 = wa_metrics();
wa_grew($m0, $m1,
       ::ceremony(ceremony => 'register', result => 'failure',
                  reason => 'rp_id_mismatch', platform => 'android-14',
                  authenticator => 'Google Password Manager') => 1,
       ::ceremony(ceremony => 'register', result => 'failure',
                  reason => 'origin_mismatch', platform => 'android-14',
                  authenticator => 'other') => 1);
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]
