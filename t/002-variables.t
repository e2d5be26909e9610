# The variables exist for every request, gated or not: an upstream and the
# access log can always use them.

use Test::Nginx::Socket 'no_plan';
use Cwd qw(cwd);

$ENV{TEST_NGINX_HTML_DIR} ||= html_dir();
$ENV{TEST_NGINX_WEBAUTHN_MODULE} ||=
    cwd() . '/build/ngx_http_webauthn_module.so';

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->main_config) {
        $block->set_value('main_config',
                          "load_module $ENV{TEST_NGINX_WEBAUTHN_MODULE};");
    }
});

run_tests();

__DATA__

=== TEST 1: $webauthn_level is "none" and the others are empty by default
--- config
    location = /balance.txt {
        root $TEST_NGINX_HTML_DIR;
        add_header X-WebAuthn-Level $webauthn_level;
        add_header X-WebAuthn-User "[$webauthn_user]";
        add_header X-WebAuthn-Credential "[$webauthn_credential]";
        add_header X-WebAuthn-Reason "[$webauthn_reason]";
        add_header X-WebAuthn-AAGUID "[$webauthn_aaguid]";
    }
--- user_files
>>> balance.txt
100 JPY
--- request
GET /balance.txt
--- response_headers
X-WebAuthn-Level: none
X-WebAuthn-User: []
X-WebAuthn-Credential: []
X-WebAuthn-Reason: []
X-WebAuthn-AAGUID: []
--- response_body
100 JPY



=== TEST 2: the variables are the same under webauthn_gate off
--- config
    location /public/ {
        webauthn_gate off;
        alias $TEST_NGINX_HTML_DIR/;
        add_header X-WebAuthn-Level $webauthn_level;
        add_header X-WebAuthn-User "[$webauthn_user]";
    }
--- user_files
>>> news.txt
news
--- request
GET /public/news.txt
--- response_headers
X-WebAuthn-Level: none
X-WebAuthn-User: []
--- response_body
news



=== TEST 3: an empty variable is not found: map default and "if" see it
--- http_config
    map $webauthn_user $who {
        ""       anonymous;
        default  $webauthn_user;
    }
--- config
    location = /who.txt {
        root $TEST_NGINX_HTML_DIR;
        add_header X-Who $who;
    }
--- user_files
>>> who.txt
who
--- request
GET /who.txt
--- response_headers
X-Who: anonymous



=== TEST 4: the variables can be logged
--- http_config
    log_format webauthn "webauthn level=$webauthn_level user=$webauthn_user reason=$webauthn_reason";
--- config
    location = /log.txt {
        root $TEST_NGINX_HTML_DIR;
        access_log $TEST_NGINX_SERVER_ROOT/logs/access.log webauthn;
    }
--- user_files
>>> log.txt
log
--- request
GET /log.txt
--- response_body
log
--- access_log
webauthn level=none user=- reason=-



=== TEST 5: the variables can be passed to an upstream
--- config
    location = /app {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
        proxy_set_header X-WebAuthn-Level $webauthn_level;
        proxy_set_header X-WebAuthn-User $webauthn_user;
    }
    location = /echo {
        add_header X-Got-Level "$http_x_webauthn_level";
        add_header X-Got-User "[$http_x_webauthn_user]";
        root $TEST_NGINX_HTML_DIR;
        try_files /echo.txt =404;
    }
--- user_files
>>> echo.txt
echo
--- request
GET /app
--- response_headers
X-Got-Level: none
X-Got-User: []
--- response_body
echo
--- no_error_log
[error]
