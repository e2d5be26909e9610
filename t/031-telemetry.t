# Client telemetry (issue 5; webauthn_endpoint telemetry): what a page
# reports when a ceremony failed in the browser (client/webauthn.js).
# Counted by ceremony, error, platform and hybrid, never stored; the body
# small and strict, the Origin the site's own, a limit per client address
# (webauthn_telemetry_limit).  Every refusal has its JSON code and is
# counted too.  Needs a real Redis (the zone does not, the endpoints of
# the other blocks do): scripts/with-redis.sh.

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
    webauthn_zone webauthn:1m;
    webauthn_rp_id example.com;
    webauthn_origin https://example.com https://app.example.com:8443;
    webauthn_origin android:apk-key-hash:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA;
    webauthn_session_key $TEST_NGINX_HTML_DIR/session.keys;
_EOC_

# /telemetry with the default limit (10 a minute); /t3 with 3; /free with
# none, for the blocks that post many
our $Config = <<'_EOC_';
    location = /metrics {
        webauthn_endpoint metrics;
    }
    location = /telemetry {
        webauthn_endpoint telemetry;
    }
    location = /t3 {
        webauthn_endpoint telemetry;
        webauthn_telemetry_limit 3;
    }
    location = /free {
        webauthn_endpoint telemetry;
        webauthn_telemetry_limit off;
    }
_EOC_

our $UserFiles = <<"_EOF_";
>>> session.keys
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
_EOF_

our $Report = '{"v":1,"ceremony":"login","error":"NotAllowedError",'
            . '"elapsedMs":5321,"hybrid":null,"attempt":1,"nativeJSON":true}';

our @Pixel = ('Origin: https://example.com',
              'User-Agent: Mozilla/5.0 (Linux; Android 10; K) Chrome/130.0',
              'Sec-CH-UA-Platform: "Android"',
              'Sec-CH-UA-Platform-Version: "14.0.0"');

# posts a report: (path, body, more header lines); the response
sub post {
    my ($path, $body, @h) = @_;
    my $c = wa_client(undef, identity => 0);
    return $c->request('POST', $path, body => $body, headers => [@h]);
}

sub client_failure {
    my ($ceremony, $error, $platform, $hybrid) = @_;
    return wa_series('webauthn_client_failures_total', ceremony => $ceremony,
                     error => $error, platform => $platform,
                     hybrid => $hybrid);
}

sub reports {
    my $result = shift;
    return wa_series('webauthn_telemetry_reports_total', result => $result);
}

# a JSON error of the module with this code
sub err_like {
    my $code = shift;
    return qr/^\{"error":"$code","message":"(?:[^"\\]|\\.)+","action":"none"\}$/;
}

master_on() if !$ENV{TEST_NGINX_USE_VALGRIND};
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a report: 204, counted by ceremony, error, platform and hybrid, its time in the histogram
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $m0 = wa_metrics();
my $res = ::post('/free', $::Report, @::Pixel);
is $res->code, 204, "$name - 204";
is $res->body, '', "$name - no body";
ok !defined $res->header('Content-Type'), "$name - no Content-Type";
$res = ::post('/free', '{"v":1,"ceremony":"register","error":"InvalidStateError",'
                       . '"elapsedMs":120,"hybrid":true}',
              'Origin: https://app.example.com:8443',
              'User-Agent: Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)');
is $res->code, 204, "$name - a registration report: 204";
$res = ::post('/free', '{"v":1,"ceremony":"login","error":"SomethingNew","hybrid":false}',
              'Origin: https://example.com');
is $res->code, 204, "$name - an unknown error name, no time: 204";
my $m1 = wa_metrics();
wa_grew($m0, $m1,
        ::client_failure('login', 'NotAllowedError', 'android-14', 'unknown') => 1,
        ::client_failure('register', 'InvalidStateError', 'ios-18', 'true') => 1,
        ::client_failure('login', 'other', 'other', 'false') => 1,
        ::reports('accepted') => 3,
        'webauthn_client_failure_seconds_count{ceremony="login",error="NotAllowedError"}' => 1,
        'webauthn_client_failure_seconds_count{ceremony="register",error="InvalidStateError"}' => 1,
        'webauthn_client_failure_seconds_bucket{ceremony="login",error="NotAllowedError",le="5"}' => 0,
        'webauthn_client_failure_seconds_bucket{ceremony="login",error="NotAllowedError",le="10"}' => 1,
        'webauthn_client_failure_seconds_bucket{ceremony="register",error="InvalidStateError",le="1"}' => 1,
        'webauthn_client_failure_seconds_count{ceremony="login",error="other"}' => 0);
cmp_ok abs(WebAuthnTest::wa_delta($m0, $m1, 'webauthn_client_failure_seconds_sum{ceremony="login",error="NotAllowedError"}') - 5.321),
    '<', 0.0005, "$name - the login time sum: +5.321 s";
# a server code is no browser error; "unsupported" has no time to count
my $m2 = wa_metrics();
$res = ::post('/free', '{"v":1,"ceremony":"login","error":"signature_invalid","elapsedMs":10}',
              'Origin: https://example.com');
is $res->code, 204, "$name - a server code as the error: 204";
$res = ::post('/free', '{"v":1,"ceremony":"login","error":"unsupported","elapsedMs":0}',
              'Origin: https://example.com');
is $res->code, 204, "$name - unsupported: 204";
my $m3 = wa_metrics();
wa_grew($m2, $m3,
        ::client_failure('login', 'other', 'other', 'unknown') => 1,
        ::client_failure('login', 'signature_invalid', 'other', 'unknown') => 0,
        ::client_failure('login', 'unsupported', 'other', 'unknown') => 1,
        'webauthn_client_failure_seconds_count{ceremony="login",error="other"}' => 1,
        'webauthn_client_failure_seconds_count{ceremony="login",error="unsupported"}' => 0);
my ($rc, $out) = wa_promtool((wa_metrics())[1]->body);
is $rc, 0, "$name - promtool check metrics" or diag $out;
--- request
POST /telemetry
{"v":1,"ceremony":"login","error":"AbortError"}
--- more_headers
Content-Type: application/json
Origin: https://example.com
--- error_code: 204
--- response_body
--- no_error_log
[alert]
[emerg]



=== TEST 2: every malformed report: 400 malformed_request, counted, nothing else counted
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my @bad = (
    [ 'not JSON', '{"v":1,' ],
    [ 'an array', '[1]' ],
    [ 'empty', '' ],
    [ 'trailing bytes', '{"v":1,"ceremony":"login","error":"AbortError"} x' ],
    [ 'no v', '{"ceremony":"login","error":"AbortError"}' ],
    [ 'v 2', '{"v":2,"ceremony":"login","error":"AbortError"}' ],
    [ 'v as a string', '{"v":"1","ceremony":"login","error":"AbortError"}' ],
    [ 'no ceremony', '{"v":1,"error":"AbortError"}' ],
    [ 'another ceremony', '{"v":1,"ceremony":"transaction","error":"AbortError"}' ],
    [ 'no error', '{"v":1,"ceremony":"login"}' ],
    [ 'an empty error', '{"v":1,"ceremony":"login","error":""}' ],
    [ 'error with a space', '{"v":1,"ceremony":"login","error":"Not Allowed"}' ],
    [ 'error with a quote', '{"v":1,"ceremony":"login","error":"a\"b"}' ],
    [ 'error too long', '{"v":1,"ceremony":"login","error":"' . ('E' x 65) . '"}' ],
    [ 'elapsedMs negative', '{"v":1,"ceremony":"login","error":"AbortError","elapsedMs":-1}' ],
    [ 'elapsedMs a day and more', '{"v":1,"ceremony":"login","error":"AbortError","elapsedMs":86400001}' ],
    [ 'elapsedMs a fraction', '{"v":1,"ceremony":"login","error":"AbortError","elapsedMs":1.5}' ],
    [ 'hybrid a string', '{"v":1,"ceremony":"login","error":"AbortError","hybrid":"yes"}' ],
    [ 'attempt 0', '{"v":1,"ceremony":"login","error":"AbortError","attempt":0}' ],
    [ 'attempt 11', '{"v":1,"ceremony":"login","error":"AbortError","attempt":11}' ],
    [ 'nativeJSON 1', '{"v":1,"ceremony":"login","error":"AbortError","nativeJSON":1}' ],
    [ 'an unknown member', '{"v":1,"ceremony":"login","error":"AbortError","user":"alice"}' ],
    [ 'a member twice', '{"v":1,"ceremony":"login","error":"AbortError","error":"X"}' ],
    [ 'a NUL in a string', '{"v":1,"ceremony":"login","error":"Abort\u0000"}' ],
);
my $m0 = wa_metrics();
for my $b (@bad) {
    my ($what, $body) = @$b;
    my $res = ::post('/free', $body, 'Origin: https://example.com');
    is $res->code, 400, "$name - $what: 400";
    like $res->body, ::err_like('malformed_request'), "$name - $what: malformed_request";
}
my $m1 = wa_metrics();
is WebAuthnTest::wa_delta($m0, $m1, ::reports('malformed_request')), scalar(@bad),
    "$name - each counted as malformed_request";
is WebAuthnTest::wa_delta($m0, $m1, ::reports('accepted')), 0, "$name - none accepted";
my @counted = grep { /^webauthn_client_failures_total/ && WebAuthnTest::wa_delta($m0, $m1, $_) }
              keys %$m1;
is_deeply \@counted, [], "$name - no client failure counted";
--- request
POST /telemetry
{"v":1,"ceremony":"login","error":"AbortError","extra":1}
--- more_headers
Content-Type: application/json
Origin: https://example.com
--- error_code: 400
--- response_body_like eval
::err_like('malformed_request')
--- no_error_log
[alert]
[emerg]



=== TEST 3: not JSON: 415
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- request eval
"POST /telemetry\n$::Report"
--- more_headers
Content-Type: text/plain
Origin: https://example.com
--- error_code: 415
--- response_body_like eval
::err_like('malformed_request')
--- no_error_log
[alert]
[emerg]



=== TEST 4: over 1024 bytes: 413, by Content-Length and chunked
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $big = '{"v":1,"ceremony":"login","error":"AbortError","pad":"' . ('x' x 1000) . '"}';
my $m0 = wa_metrics();
my ($res) = WebAuthnTest::exchange(
    "POST /free HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Origin: https://example.com\r\nContent-Type: application/json\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n"
    . sprintf("%x\r\n%s\r\n0\r\n\r\n", length $big, $big));
is $res->code, 413, "$name - chunked: 413";
like $res->body, ::err_like('payload_too_large'), "$name - chunked: payload_too_large";
my $m1 = wa_metrics();
is WebAuthnTest::wa_delta($m0, $m1, ::reports('payload_too_large')), 1, "$name - counted";
--- request eval
"POST /telemetry\n" . ('x' x 1025)
--- more_headers
Content-Type: application/json
Origin: https://example.com
--- error_code: 413
--- response_body_like eval
::err_like('payload_too_large')
--- no_error_log
[alert]
[emerg]



=== TEST 5: the Origin: none, another site's, an Android app's, two: 403 origin_mismatch
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $m0 = wa_metrics();
my @cases = (
    [ 'none' ],
    [ 'another site', 'Origin: https://evil.example' ],
    [ 'a prefix', 'Origin: https://example.co' ],
    [ 'a longer one', 'Origin: https://example.com.evil' ],
    [ 'with a path', 'Origin: https://example.com/' ],
    [ 'the app', 'Origin: android:apk-key-hash:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' ],
    [ 'two', 'Origin: https://example.com', 'Origin: https://evil.example' ],
);
for my $c (@cases) {
    my ($what, @h) = @$c;
    my $res = ::post('/free', $::Report, @h);
    is $res->code, 403, "$name - $what: 403";
    like $res->body, ::err_like('origin_mismatch'), "$name - $what: origin_mismatch";
}
my $m1 = wa_metrics();
is WebAuthnTest::wa_delta($m0, $m1, ::reports('origin_mismatch')), scalar(@cases),
    "$name - each counted";
is WebAuthnTest::wa_delta($m0, $m1, ::reports('accepted')), 0, "$name - none accepted";
--- request eval
"POST /telemetry\n$::Report"
--- more_headers
Content-Type: application/json
Origin: null
--- error_code: 403
--- response_body_like eval
::err_like('origin_mismatch')
--- no_error_log
[alert]
[emerg]



=== TEST 6: POST only: 405 with Allow
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- request
GET /telemetry
--- error_code: 405
--- response_headers
Allow: POST
--- response_body_like eval
::err_like('method_not_allowed')
--- no_error_log
[alert]
[emerg]



=== TEST 7: the limit: 3 a minute per address, then 429 rate_limited with Retry-After
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config eval: $::Config
--- user_files eval: $::UserFiles
--- init
wa_begin($block);
my $name = wa_name();
my $m0 = wa_metrics();
# a bad report counts towards the limit too
my $res = ::post('/t3', '{', 'Origin: https://example.com');
is $res->code, 400, "$name - 1st (malformed): 400";
for my $i (2, 3) {
    $res = ::post('/t3', $::Report, @::Pixel);
    is $res->code, 204, "$name - report $i: 204";
}
for my $i (4, 5) {
    $res = ::post('/t3', $::Report, @::Pixel);
    is $res->code, 429, "$name - report $i: 429";
    like $res->body, ::err_like('rate_limited'), "$name - report $i: rate_limited";
    my $ra = $res->header('Retry-After') // '';
    ok $ra =~ /^\d+$/ && $ra >= 1 && $ra <= 60, "$name - Retry-After within a minute ($ra)";
}
# another location shares the address's window, not its limit: /telemetry
# allows 10 and this address has used 3
$res = ::post('/telemetry', $::Report, @::Pixel);
is $res->code, 204, "$name - under the default limit: 204";
my $m1 = wa_metrics();
is WebAuthnTest::wa_delta($m0, $m1, ::reports('rate_limited')), 2, "$name - rate_limited +2";
is WebAuthnTest::wa_delta($m0, $m1, ::reports('accepted')), 3, "$name - accepted +3";
is WebAuthnTest::wa_delta($m0, $m1,
    ::client_failure('login', 'NotAllowedError', 'android-14', 'unknown')), 3,
    "$name - only the accepted reports are counted";
--- request
GET /metrics
--- error_code: 200
--- no_error_log
[alert]
[emerg]



=== TEST 8: webauthn_telemetry_limit: not a number
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        webauthn_endpoint telemetry;
        webauthn_telemetry_limit 0;
    }
--- user_files eval: $::UserFiles
--- must_die
--- error_log
invalid telemetry limit "0": use "off" or reports a minute, 1 to 10000



=== TEST 9: the telemetry endpoint needs webauthn_zone and webauthn_origin
--- main_config
    load_module $TEST_NGINX_WEBAUTHN_MODULE;
--- http_config
--- config
    location = /t {
        webauthn_endpoint telemetry;
    }
--- must_die
--- error_log
needs webauthn_origin, webauthn_zone, which are not configured
