package WebAuthnTest;

# Helpers for the Test::Nginx suites that run real WebAuthn ceremonies
# against the module, with a real Redis and the software authenticator
# (build/wa-softauth).  It works with the real Test::Nginx (CPAN) and with
# the fallback runner in t/lib alike: it only relies on --- init.
#
# The technique: both runners evaluate a block's "--- init" after nginx has
# started and before the block's requests, as "eval $block->init" inside
# their run_test, where "my $block" is in scope.  The init code can thus run
# the preliminary steps of a ceremony over HTTP (options, the software
# authenticator, register, login), check them with Test::More, and then
# make the block's own request the final step: $client->final(...) sets
# the block's request (keeping its request line) and more_headers, and the
# usual sections (error_code, response_body_like, response_headers, ...)
# check the answer.
#
#   use lib 't/webauthn';
#   use WebAuthnTest;               # before Test::Nginx::Socket: it skips
#                                   # the file when there is no test Redis
#   use Test::Nginx::Socket 'no_plan';
#
#   --- init
#   wa_begin($block);               # FLUSHALL: every block starts empty
#   my $alice = wa_client('alice'); # identity "X-User: alice"
#   $alice->register(alg => -8);    # options, wa-softauth, register: 201
#   my $opts = $alice->login_options->json;
#   $alice->final($alice->assertion($opts));
#   --- request
#   POST /webauthn/login
#
# The init code runs in the runner's package (Test::Nginx::Util for the
# real one, Test::Nginx::Socket for the fallback), so the wa_* functions
# are exported there as well as to the test file.  Nothing here dies on a
# failed step (a die in init would bail out the whole run): a step that
# fails records a failed test and returns an empty value.
#
# Recovery (the admin API): wa_admin('POST', 'users/alice/reset', $token,
# {reason => '...'}) calls it like an IVR would; wa_admin_actor($token) is
# the audit actor of that token; wa_ukey('alice', 'lkg') a user's key,
# wa_lkg('alice') and wa_audit() the snapshots and the audit stream as
# Perl data; $client->register(grant => $code) enrols with a grant; a
# failed login on purpose: $client->login(corrupt => 1, expect => 403).
#
# Environment: TEST_NGINX_SERVER_PORT (1984), TEST_NGINX_REDIS_PORT and
# TEST_NGINX_REDIS_DIR (set by scripts/with-redis.sh),
# TEST_NGINX_REDIS_TIMEOUT (300ms, 2s under valgrind), WA_SOFTAUTH (the
# wa-softauth binary, default build/wa-softauth), REDIS_CLI (redis-cli),
# REDIS_SERVER (redis-server).

use strict;
use warnings;

use Cwd ();
use Digest::SHA ();
use File::Temp ();
use IO::Select ();
use IO::Socket::INET ();
use JSON::PP ();
use MIME::Base64 ();
use Time::HiRes ();
use Test::More ();

our $RpId   = 'example.com';
our $Origin = 'https://example.com';
our $CookieName = 'webauthn_session';

# The endpoints where the clients below find them: append to a block's
# --- config.
our $Endpoints = <<'_EOC_';
    location = /webauthn/register/options {
        webauthn_endpoint register_options;
    }
    location = /webauthn/register {
        webauthn_endpoint register;
    }
    location = /webauthn/login/options {
        webauthn_endpoint login_options;
    }
    location = /webauthn/login {
        webauthn_endpoint login;
    }
    location = /webauthn/credentials {
        webauthn_endpoint credentials;
    }
    location = /webauthn/logout {
        webauthn_endpoint logout;
    }
_EOC_

our %Paths = (
    register_options => '/webauthn/register/options',
    register         => '/webauthn/register',
    login_options    => '/webauthn/login/options',
    login            => '/webauthn/login',
    credentials      => '/webauthn/credentials',
    logout           => '/webauthn/logout',
);

# where wa_admin() finds the admin API (webauthn_endpoint admin) when it is
# given a path relative to it ("users/alice/reset")
our $AdminPrefix = '/admin/';

# where wa_metrics() finds the metrics (webauthn_endpoint metrics)
our $MetricsPath = '/metrics';

our $Timeout = 5;

our @EXPORT = qw(
    wa_begin wa_client wa_name wa_redis wa_redis_ping wa_redis_stop
    wa_redis_start wa_concurrent wa_retry wa_json wa_to_json wa_b64url
    wa_b64url_decode wa_softauth wa_tamper wa_basic wa_redis_timeout_ms
    wa_admin wa_admin_actor wa_ukey wa_redis_json wa_audit wa_lkg
    wa_metrics wa_series wa_delta wa_grew wa_promtool
);

# where the runners evaluate --- init: the real Test::Nginx in
# Test::Nginx::Util's run_test, the fallback in Test::Nginx::Socket's
our @RunnerPackages = ('Test::Nginx::Util', 'Test::Nginx::Socket');

our @TestMore = qw(ok is isnt like unlike is_deeply cmp_ok pass fail diag
                   note);

our $Block;
our $Preprocessor = 0;
our $Json = JSON::PP->new->canonical(1)->allow_nonref(1);
our $TmpDir;
our $CredSeq = 0;

sub import {
    my $class = shift;

    my $port = $ENV{TEST_NGINX_REDIS_PORT};

    if (!defined $port || $port !~ /^\d+$/) {
        Test::More::plan(skip_all => 'needs the private Redis of '
                         . 'scripts/with-redis.sh (TEST_NGINX_REDIS_PORT '
                         . 'is not set)');
    }

    my $bin = softauth_bin();

    if (!-x $bin) {
        die "WebAuthnTest: no software authenticator at $bin: run "
            . "\"make softauth\" or set WA_SOFTAUTH\n";
    }

    # webauthn_redis timeout=: short, so that an outage answers quickly,
    # but not so short that nginx under valgrind misses its answers
    $ENV{TEST_NGINX_REDIS_TIMEOUT} //= $ENV{TEST_NGINX_USE_VALGRIND}
                                       ? '2s' : '300ms';

    my $caller = caller;

    # the runner, loaded now so that its packages exist: the .t file's own
    # "use Test::Nginx::Socket 'no_plan'" then only imports it
    require Test::Nginx::Socket;

    no strict 'refs';

    for my $pkg ($caller, @RunnerPackages) {
        for my $name (@EXPORT) {
            my $glob = "${pkg}::$name";

            if (defined &$glob) {
                next if \&$glob == \&{"WebAuthnTest::$name"};
                die "WebAuthnTest: $glob exists already\n";
            }

            *$glob = \&{"WebAuthnTest::$name"};
        }
    }

    # Redis must run when nginx starts, or the module's first connection
    # fails and it waits for its reconnection backoff: a block that
    # stopped Redis (wa_redis_stop) cannot start it again after its final
    # request, so the next block's nginx would start without it.  Block
    # preprocessors run before nginx is (re)started for the block.
    if (!$Preprocessor++) {
        Test::Nginx::Socket::add_block_preprocessor(sub {
            wa_redis_start() if !wa_redis_ping();
        });
    }

    # Test::More's checks, for init code, where the runner lacks them
    for my $pkg (@RunnerPackages) {
        for my $name (@TestMore) {
            my $glob = "${pkg}::$name";
            *$glob = \&{"Test::More::$name"} if !defined &$glob;
        }
    }
}

sub softauth_bin {
    return $ENV{WA_SOFTAUTH} || Cwd::cwd() . '/build/wa-softauth';
}

# the port the runner sends its own requests to
sub port {
    no warnings 'once';
    return $Test::Nginx::Util::ServerPortForClient
           || $ENV{TEST_NGINX_CLIENT_PORT} || $ENV{TEST_NGINX_SERVER_PORT}
           || 1984;
}

# the name of the current block, for the names of the checks made in init
sub wa_name {
    return $Block ? $Block->name : $0;
}

sub tmpdir {
    $TmpDir //= File::Temp::tempdir('wa-test-XXXXXX', TMPDIR => 1,
                                    CLEANUP => 1);
    return $TmpDir;
}


# ---- JSON and base64url ---------------------------------------------------

# decodes JSON text; undef (and no failure) when it is not JSON
sub wa_json {
    my $text = shift;

    return undef if !defined $text;

    my $v = eval { $Json->decode($text) };

    return $v;
}

sub wa_to_json {
    return $Json->encode(shift);
}

sub wa_b64url {
    my $s = MIME::Base64::encode_base64(shift, '');
    $s =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

sub wa_b64url_decode {
    my $s = shift // '';
    $s =~ tr{-_}{+/};
    $s .= '=' x ((4 - length($s) % 4) % 4);
    return MIME::Base64::decode_base64($s);
}

# the header line of HTTP basic authentication
sub wa_basic {
    my ($user, $password) = @_;
    return 'Authorization: Basic '
           . MIME::Base64::encode_base64("$user:$password", '');
}

# a copy of a base64url string (a cookie, a signature) with one character
# in the middle changed: a middle character, because the last one of an
# encoding may carry padding bits only
sub wa_tamper {
    my ($s, $pos) = @_;

    $pos //= int(length($s) / 2);

    my $c = substr($s, $pos, 1);
    substr($s, $pos, 1) = $c eq 'A' ? 'B' : 'A';

    return $s;
}


# ---- Redis ----------------------------------------------------------------

sub redis_port { $ENV{TEST_NGINX_REDIS_PORT} }

sub redis_cli_cmd {
    return ($ENV{REDIS_CLI} || 'redis-cli', '-h', '127.0.0.1',
            '-p', redis_port());
}

# runs redis-cli with the arguments; its output, without the last newline
sub wa_redis {
    my @cmd = (redis_cli_cmd(), @_);

    open my $in, '-|', @cmd or do {
        Test::More::fail(wa_name() . " - cannot run @cmd: $!");
        return '';
    };

    my $out = do { local $/; <$in> } // '';
    close $in;

    $out =~ s/\n\z//;

    return $out;
}

sub wa_redis_ping {
    # quietly: "Could not connect" is the expected answer when it is down
    open my $saved, '>&', \*STDERR or return 0;
    open STDERR, '>', '/dev/null';
    my $ok = open my $in, '-|', redis_cli_cmd(), 'ping';
    open STDERR, '>&', $saved;
    return 0 if !$ok;
    my $out = do { local $/; <$in> } // '';
    close $in;
    return $out =~ /^PONG/ ? 1 : 0;
}

sub redis_dir {
    return $ENV{TEST_NGINX_REDIS_DIR};
}

# Stops the test Redis, saving its data first (SHUTDOWN SAVE writes the
# dump file even without save points), so that wa_redis_start() brings the
# same data back, as a restarted production Redis would.
sub wa_redis_stop {
    my $name = wa_name();

    if (!wa_redis_ping()) {
        Test::More::fail("$name - Redis is not running, cannot stop it");
        return 0;
    }

    wa_redis('shutdown', 'save');

    my $deadline = Time::HiRes::time() + 10;

    while (wa_redis_ping() && Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep(0.05);
    }

    my $pidfile = redis_dir() ? redis_dir() . '/redis.pid' : undef;

    while ($pidfile && -f $pidfile && Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep(0.05);
    }

    if (wa_redis_ping()) {
        Test::More::fail("$name - Redis still answers after SHUTDOWN");
        return 0;
    }

    return 1;
}

# Starts the test Redis again from the configuration with-redis.sh wrote.
sub wa_redis_start {
    my $name = wa_name();

    return 1 if wa_redis_ping();

    my $dir = redis_dir();

    if (!$dir || !-f "$dir/redis.conf") {
        Test::More::fail("$name - no redis.conf in TEST_NGINX_REDIS_DIR "
                         . ($dir // '(unset)'));
        return 0;
    }

    if (system($ENV{REDIS_SERVER} || 'redis-server', "$dir/redis.conf")
        != 0)
    {
        Test::More::fail("$name - redis-server $dir/redis.conf failed");
        return 0;
    }

    my $deadline = Time::HiRes::time() + 10;

    until (wa_redis_ping()) {
        if (Time::HiRes::time() > $deadline) {
            Test::More::fail("$name - Redis does not answer PING after "
                             . "a restart");
            return 0;
        }

        Time::HiRes::sleep(0.05);
    }

    return 1;
}

# The first call of every init: remembers the block, makes sure Redis runs
# (a block that stopped it and failed may have left it stopped) and empties
# it, so that every block starts from an empty store.
sub wa_begin {
    my $block = shift;

    $Block = $block;

    wa_redis_start() if !wa_redis_ping();

    # The module connects from the worker when it starts, without
    # blocking: under valgrind the block's first request could come
    # before the connection is up.  Wait for it (nginx has no way to say).
    wa_retry(sub { nginx_connected() }, 10);

    my $out = wa_redis('flushall');

    Test::More::is($out, 'OK', wa_name() . " - FLUSHALL");
}

# whether a client other than redis-cli itself is connected to Redis
sub nginx_connected {
    return scalar grep { / cmd=/ && !/ cmd=client\|list / }
                  split /\n/, wa_redis('client', 'list');
}

# The key of a user's record in the store: wa:{u:<base64url of the user
# name>}:SUFFIX (docs/http-api.md, "Store layout")
sub wa_ukey {
    my ($user, $suffix) = @_;
    return 'wa:{u:' . wa_b64url($user) . '}' . (defined $suffix ? ":$suffix"
                                                                 : '');
}

# Runs one Redis command through a Lua script that returns its reply as
# JSON (cjson), so that nested replies (XRANGE) keep their structure; the
# decoded reply, an empty list for an empty one (cjson writes "{}"), undef
# for a nil reply or an error.
sub wa_redis_json {
    my @cmd = @_;

    my $out = wa_redis('EVAL', 'return cjson.encode(redis.call(unpack(ARGV)))',
                       0, @cmd);

    my $v = wa_json($out);

    return [] if ref $v eq 'HASH' && !%$v;
    return undef if JSON::PP::is_bool($v);    # a nil reply: false

    return $v;
}

# The entries of the audit stream (XRANGE wa:audit - +), oldest first:
# each a hash of its fields and "id", the stream id.
sub wa_audit {
    my $key = shift // 'wa:audit';

    my $r = wa_redis_json('XRANGE', $key, '-', '+');

    my @entries;

    for my $e (ref $r eq 'ARRAY' ? @$r : ()) {
        next if ref $e ne 'ARRAY';

        my ($id, $fields) = @$e;
        my @f = ref $fields eq 'ARRAY' ? @$fields : ();
        my %h;

        while (@f) {
            my ($k, $v) = splice @f, 0, 2;
            $h{$k} = $v;
        }

        $h{id} = $id;

        push @entries, \%h;
    }

    return @entries;
}

# The last-known-good snapshots of a user (LRANGE wa:{u:U}:lkg 0 -1),
# newest first: each {raw, taken, changed, ids => [...]}, with undef
# members when an entry is not "TAKEN CHANGED ID,ID,...".
sub wa_lkg {
    my $user = shift;

    my $r = wa_redis_json('LRANGE', wa_ukey($user, 'lkg'), 0, -1);

    my @snaps;

    for my $raw (ref $r eq 'ARRAY' ? @$r : ()) {
        my %s = (raw => $raw);

        if ($raw =~ /^(\d+) (\d+) ([A-Za-z0-9_-]+(?:,[A-Za-z0-9_-]+)*)?$/) {
            @s{qw(taken changed)} = ($1, $2);
            $s{ids} = [split /,/, $3 // ''];
        }

        push @snaps, \%s;
    }

    return @snaps;
}

# webauthn_redis timeout=: the suites write timeout=$TEST_NGINX_REDIS_TIMEOUT
sub wa_redis_timeout_ms {
    my $t = $ENV{TEST_NGINX_REDIS_TIMEOUT} // '300ms';
    return $t =~ /^(\d+)ms$/ ? $1 : $t =~ /^(\d+)s?$/ ? $1 * 1000 : 300;
}

# Calls code until it returns true or seconds (default 3) have passed,
# pausing 0.1 s between calls; returns the last value.
sub wa_retry (&;$) {
    my ($code, $seconds) = @_;

    my $deadline = Time::HiRes::time() + ($seconds // 3);
    my $v;

    while (1) {
        $v = $code->();
        last if $v || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.1);
    }

    return $v;
}


# ---- the software authenticator -------------------------------------------

# runs wa-softauth with the arguments; its output, '' when it failed
sub wa_softauth {
    my @cmd = (softauth_bin(), @_);

    open my $in, '-|', @cmd or do {
        Test::More::fail(wa_name() . " - cannot run $cmd[0]: $!");
        return '';
    };

    local $/;
    my $out = <$in> // '';
    close $in;

    if ($? != 0) {
        Test::More::fail(wa_name() . " - wa-softauth @_ failed (status "
                         . ($? >> 8) . ")");
        return '';
    }

    $out =~ s/\s+$//;

    return $out;
}


# ---- HTTP -----------------------------------------------------------------

sub connect_server {
    my $sock;

    for my $try (1 .. 20) {
        $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => port(),
                                      Proto => 'tcp',
                                      Timeout => $Timeout);
        last if $sock;
        Time::HiRes::sleep(0.05 * $try);
    }

    if ($sock) {
        binmode $sock;
        $sock->autoflush(1);
    }

    return $sock;
}

sub write_all {
    my ($sock, $data) = @_;

    my $sel = IO::Select->new($sock);
    my $off = 0;

    while ($off < length $data) {
        return 0 if !$sel->can_write($Timeout);

        my $n = syswrite($sock, $data, length($data) - $off, $off);

        if (!defined $n) {
            next if $!{EINTR} || $!{EAGAIN};

            # the server may answer and close before reading everything
            return 0;
        }

        $off += $n;
    }

    return 1;
}

# Reads from the sockets until each is closed by the server (every request
# has "Connection: close"); the raw responses, in order.
sub read_all {
    my @socks = @_;

    my @raw = ('') x @socks;
    my %idx = map { ($socks[$_] => $_) } 0 .. $#socks;
    my $sel = IO::Select->new(@socks);
    my $deadline = Time::HiRes::time() + $Timeout;

    while ($sel->count) {
        my $left = $deadline - Time::HiRes::time();

        my @ready = $left > 0 ? $sel->can_read($left) : ();

        if (!@ready) {
            Test::More::fail(wa_name() . " - timeout reading a response "
                             . "($Timeout s)");
            last;
        }

        for my $sock (@ready) {
            my $n = sysread($sock, my $buf, 65536);

            if (!$n) {
                next if !defined $n && ($!{EINTR} || $!{EAGAIN});
                $sel->remove($sock);
                close $sock;
                next;
            }

            $raw[$idx{$sock}] .= $buf;
        }
    }

    return @raw;
}

sub parse_response {
    my $raw = shift;

    my %res = (code => 0, headers => [], body => '', raw => $raw);

    return WebAuthnTest::Response->new(%res)
        if !defined $raw || $raw !~ /\r\n\r\n/;

    my ($head, $rest) = split /\r\n\r\n/, $raw, 2;
    my ($status, @lines) = split /\r\n/, $head;

    $res{code} = $1 if $status =~ m{^HTTP/\d\.\d\s+(\d{3})};

    for my $line (@lines) {
        push @{ $res{headers} }, [$1, $2]
            if $line =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/;
    }

    my $res = WebAuthnTest::Response->new(%res);

    my $te = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if (defined $te && $te =~ /chunked/i) {
        my $body = '';

        while ($rest =~ s/^([0-9A-Fa-f]+)[^\r\n]*\r\n//) {
            my $size = hex $1;
            last if $size == 0;
            $body .= substr($rest, 0, $size, '');
            $rest =~ s/^\r\n//;
        }

        $res->{body} = $body;

    } elsif (defined $len && $len =~ /^\d+$/) {
        $res->{body} = substr($rest, 0, $len);

    } else {
        $res->{body} = $rest;
    }

    return $res;
}

# Sends raw requests, each on its own connection, all of them before
# reading any answer; the responses, in order.
sub exchange {
    my @reqs = @_;

    my @socks;

    for my $req (@reqs) {
        my $sock = connect_server();

        if (!$sock) {
            Test::More::fail(wa_name() . " - cannot connect to "
                             . "127.0.0.1:" . port() . ": $!");
            return map { parse_response(undef) } @reqs;
        }

        push @socks, $sock;
    }

    for my $i (0 .. $#reqs) {
        write_all($socks[$i], $reqs[$i]);
    }

    return map { parse_response($_) } read_all(@socks);
}

# Two (or more) truly concurrent requests: every connection is opened and
# every request sent in full before any answer is read, so that nginx has
# them all at once.  Each argument is [$client, $method, $uri, %options]
# as for $client->request; the responses, in order.
sub wa_concurrent {
    my @specs = @_;

    my @raw = map {
        my ($client, $method, $uri, %o) = @$_;
        $client->build_request($method, $uri, %o);
    } @specs;

    my @res = exchange(@raw);

    for my $i (0 .. $#specs) {
        $specs[$i][0]->take_cookies($res[$i]);
    }

    return @res;
}

sub wa_client {
    return WebAuthnTest::Client->new(@_);
}

# A request to the admin API (webauthn_endpoint admin): the path absolute,
# or relative to $AdminPrefix ("users/alice/reset"); the token sent as
# "Authorization: Bearer TOKEN" (none when undef); the body text, or data
# sent as JSON (none when undef: a POST then says "Content-Length: 0", as
# most HTTP clients do).  Options: headers (more header lines),
# content_type (instead of application/json), no_length => 1 (a POST
# without a body and without Content-Length).  Returns the response
# (WebAuthnTest::Response).
sub wa_admin {
    my ($method, $path, $token, $body, %o) = @_;

    $path = $AdminPrefix . $path if $path !~ m{^/};

    my @h;
    push @h, "Authorization: Bearer $token" if defined $token;
    push @h, @{ $o{headers} // [] };
    push @h, 'Content-Length: 0'
        if !defined $body && $method eq 'POST' && !$o{no_length}
           && !grep { /^Content-Length:/i } @h;

    my $client = WebAuthnTest::Client->new(undef, identity => 0);

    return $client->request($method, $path, body => $body, headers => \@h,
                            defined $o{content_type}
                            ? (content_type => $o{content_type}) : ());
}

# The metrics text (GET $MetricsPath, or the path given) read into
# {series => value}, a series named as the text writes it:
# 'name{label="value",...}'.  In list context also the response.
sub wa_metrics {
    my ($path) = @_;

    my $client = WebAuthnTest::Client->new(undef, identity => 0);
    my $res = $client->request('GET', $path // $MetricsPath);

    Test::More::is($res->code, 200, wa_name() . " - GET metrics: 200")
        or Test::More::diag('got ' . $res->describe);

    my %m;

    for my $line (split /\n/, $res->body // '') {
        next if $line eq '' || $line =~ /^#/;
        $m{$1} = $2 if $line =~ /^(\S+(?:\{.*\})?) (\S+)$/;
    }

    return wantarray ? (\%m, $res) : \%m;
}

# The name of a series: wa_series('webauthn_lockouts_total'), or with
# labels in the order the text writes them:
# wa_series('webauthn_ceremonies_started_total', ceremony => 'login',
#           platform => 'android-14')
sub wa_series {
    my ($name, @labels) = @_;

    return $name if !@labels;

    my @p;

    while (@labels) {
        my ($k, $v) = splice @labels, 0, 2;
        $v =~ s/(["\\])/\\$1/g;
        $v =~ s/\n/\\n/g;
        push @p, qq{$k="$v"};
    }

    return $name . '{' . join(',', @p) . '}';
}

# how much a series grew between two wa_metrics() readings (absent is 0)
sub wa_delta {
    my ($before, $after, $series) = @_;
    return ($after->{$series} // 0) - ($before->{$series} // 0);
}

# Checks that each series grew by the given amount between two
# wa_metrics() readings: wa_grew($before, $after, $series => 1, ...)
sub wa_grew {
    my ($before, $after, @want) = @_;

    while (@want) {
        my ($series, $n) = splice @want, 0, 2;
        Test::More::is(wa_delta($before, $after, $series), $n,
                       wa_name() . " - $series +$n");
    }
}

# Runs "promtool check metrics" over a text: (exit status, its output).
# Prometheus' own linter: the test command installs it (package
# prometheus); without it the check fails and says so.
sub wa_promtool {
    my ($text) = @_;

    my $dir = tmpdir();
    my $in = "$dir/metrics.txt";

    open my $fh, '>', $in or die "$in: $!";
    print $fh $text;
    close $fh;

    my $out = `promtool check metrics < '$in' 2>&1`;
    my $rc = $? == -1 ? 127 : $? >> 8;

    $out = "promtool not found: apt-get install prometheus\n"
        if $rc == 127;

    return ($rc, $out);
}

# The audit "actor" of the admin calls made with a token: "admin:" and the
# first 8 hex digits of the token's SHA-256
sub wa_admin_actor {
    my $token = shift;
    return 'admin:' . substr(Digest::SHA::sha256_hex($token), 0, 8);
}


package WebAuthnTest::Response;

sub new {
    my ($class, %res) = @_;
    return bless {%res}, $class;
}

sub code { $_[0]{code} }
sub body { $_[0]{body} }

# the value of a header, several joined with ", "; undef when absent
sub header {
    my ($self, $name) = @_;

    my @v = $self->headers($name);

    return @v ? join(', ', @v) : undef;
}

sub headers {
    my ($self, $name) = @_;

    return map { $_->[1] } grep { lc $_->[0] eq lc $name }
           @{ $self->{headers} };
}

# the body decoded as JSON; {} when it is not JSON
sub json {
    my $self = shift;

    $self->{json} //= WebAuthnTest::wa_json($self->{body});

    return ref $self->{json} eq 'HASH' ? $self->{json} : {};
}

# the error code of a refusal, '' when none
sub error {
    my $self = shift;
    return $self->json->{error} // '';
}

# "201 credential_exists", for messages
sub describe {
    my $self = shift;
    my $body = $self->{body} // '';
    $body = substr($body, 0, 300) . '...' if length $body > 300;
    return "$self->{code} $body";
}

# the Set-Cookie headers: { name => [value, attributes text] }
sub set_cookies {
    my $self = shift;

    my %c;

    for my $v ($self->headers('Set-Cookie')) {
        my ($pair, $attrs) = split /;\s*/, $v, 2;
        my ($n, $val) = split /=/, $pair, 2;
        $c{$n} = [$val // '', $attrs // ''];
    }

    return \%c;
}


package WebAuthnTest::Client;

# A browser of one customer: an identity (the password layer's), a cookie
# jar, and the passkeys made with the software authenticator.
#
#   wa_client('alice')                    identity header "X-User: alice"
#   wa_client('alice', headers => [...])  other identity headers, such as
#                                         "Authorization: Basic ..."
#   wa_client('alice', identity => 0)     no identity (passkey-first)
#   wa_client('alice', paths => {...})    endpoints at other paths than
#                                         %WebAuthnTest::Paths (set_paths)

sub new {
    my ($class, $user, %o) = @_;

    my $headers = $o{headers};

    if (!$headers) {
        $headers = defined $user && ($o{identity} // 1)
                   ? ["X-User: $user"] : [];
    }

    return bless {
        user    => $user,
        headers => $headers,
        jar     => {},
        creds   => [],
        cred    => undef,
        paths   => { %{ $o{paths} // {} } },
    }, $class;
}

sub user { $_[0]{user} }

# the path of an endpoint for this client: its own, or %Paths'
sub path {
    my ($self, $name) = @_;
    return $self->{paths}{$name} // $WebAuthnTest::Paths{$name};
}

# other paths for some endpoints ({register_options => '/open/...'}); with
# no argument, back to %WebAuthnTest::Paths
sub set_paths {
    my ($self, $paths) = @_;
    $self->{paths} = { %{ $paths // {} } };
}

sub name {
    my $self = shift;
    return WebAuthnTest::wa_name() . ' - ' . ($self->{user} // 'anonymous');
}

# the passkey used by default: the last one registered, or set_cred's
sub cred { $_[0]{cred} }

sub set_cred {
    my ($self, $cred) = @_;
    $self->{cred} = $cred;
}

sub creds { @{ $_[0]{creds} } }

sub set_headers {
    my ($self, @h) = @_;
    $self->{headers} = [@h];
}

sub session {
    my $self = shift;
    return $self->{jar}{$WebAuthnTest::CookieName};
}

sub set_session {
    my ($self, $value) = @_;

    if (defined $value) {
        $self->{jar}{$WebAuthnTest::CookieName} = $value;

    } else {
        delete $self->{jar}{$WebAuthnTest::CookieName};
    }
}

sub cookie_header {
    my $self = shift;

    my $jar = $self->{jar};

    return () if !%$jar;

    return 'Cookie: ' . join('; ', map { "$_=$jar->{$_}" } sort keys %$jar);
}

sub take_cookies {
    my ($self, $res) = @_;

    my $set = $res->set_cookies;

    for my $n (keys %$set) {
        my ($val, $attrs) = @{ $set->{$n} };

        if ($val eq '' || $attrs =~ /(?:^|;\s*)Max-Age=0(?:;|$)/i) {
            delete $self->{jar}{$n};

        } else {
            $self->{jar}{$n} = $val;
        }
    }
}

# The header lines of a request: the identity, the cookies, the body's
# Content-Type.  Options: headers (more lines), cookie (a Cookie value
# instead of the jar's; '' for none), identity => 0 (no identity headers),
# content_type (instead of application/json; '' for none), has_body.
sub header_lines {
    my ($self, %o) = @_;

    my @h;

    push @h, @{ $self->{headers} } if $o{identity} // 1;

    if (defined $o{cookie}) {
        push @h, "Cookie: $o{cookie}" if $o{cookie} ne '';

    } else {
        push @h, $self->cookie_header;
    }

    if ($o{has_body}) {
        my $ct = $o{content_type} // 'application/json';
        push @h, "Content-Type: $ct" if $ct ne '';
    }

    push @h, @{ $o{headers} // [] };

    return @h;
}

sub body_text {
    my $body = shift;
    return ref $body ? WebAuthnTest::wa_to_json($body) : $body;
}

# The bytes of a request.  Options: body (text, or data sent as JSON), and
# those of header_lines.
sub build_request {
    my ($self, $method, $uri, %o) = @_;

    my $body = body_text($o{body});

    my @h = ('Host: localhost', 'Connection: close',
             $self->header_lines(%o, has_body => defined $body));

    push @h, 'Content-Length: ' . length($body)
        if defined $body && !grep { /^Content-Length:/i } @h;

    return "$method $uri HTTP/1.1\r\n" . join('', map { "$_\r\n" } @h)
           . "\r\n" . ($body // '');
}

sub request {
    my ($self, $method, $uri, %o) = @_;

    my ($res) = WebAuthnTest::exchange(
                    $self->build_request($method, $uri, %o));

    $self->take_cookies($res);

    return $res;
}

sub post {
    my ($self, $uri, $body, %o) = @_;
    return $self->request('POST', $uri, body => $body, %o);
}

# checks a response's status; true when it is the expected one
sub expect {
    my ($self, $res, $code, $what) = @_;

    my $ok = Test::More::is($res->code, $code,
                            $self->name . " - $what: $code");

    Test::More::diag("got " . $res->describe) if !$ok;

    return $ok;
}


# ---- registration ---------------------------------------------------------

# register_options: body {}, or {"grant": CODE} with grant => CODE
sub register_options {
    my ($self, %o) = @_;

    my $body = $o{body} // (defined $o{grant} ? { grant => $o{grant} } : {});

    return $self->post($self->path('register_options'), $body, %o);
}

# The RegistrationResponseJSON that the software authenticator makes for
# the options (a response's JSON); a new passkey, made the client's
# default unless keep => 1.  Options: alg (-7), rp_id (the options'),
# origin, uv (1), be, bs, transports ("usb,nfc"), credential_id,
# user_handle (the options'), args (more wa-softauth arguments).
# Returns (the JSON text, the passkey) or ('', undef).
sub attestation {
    my ($self, $opts, %o) = @_;

    $opts = $opts->json if ref $opts && ref $opts ne 'HASH';

    my $challenge = $o{challenge} // $opts->{challenge};

    if (!defined $challenge) {
        Test::More::fail($self->name . " - no challenge in the options");
        return ('', undef);
    }

    my $state = WebAuthnTest::tmpdir() . '/cred-' . ++$WebAuthnTest::CredSeq
                . '.json';

    my $alg = $o{alg} // -7;
    my $handle = $o{user_handle} // $opts->{user}{id};

    my @args = ('register',
                '--rp-id', $o{rp_id} // $opts->{rp}{id} // $WebAuthnTest::RpId,
                '--origin', $o{origin} // $WebAuthnTest::Origin,
                '--challenge', $challenge,
                '--alg', $alg,
                '--state', $state);

    push @args, '--uv' if $o{uv} // 1;
    push @args, '--be' if $o{be};
    push @args, '--bs' if $o{bs};
    push @args, '--user-handle', $handle if defined $handle;
    push @args, '--transports', $o{transports} if defined $o{transports};
    push @args, '--credential-id', $o{credential_id}
        if defined $o{credential_id};
    push @args, @{ $o{args} } if $o{args};

    my $json = WebAuthnTest::wa_softauth(@args);

    return ('', undef) if $json eq '';

    my $resp = WebAuthnTest::wa_json($json) // {};

    my $cred = {
        id          => $resp->{id},
        state       => $state,
        alg         => $alg,
        user        => $self->{user},
        user_handle => $handle,
    };

    push @{ $self->{creds} }, $cred;
    $self->{cred} = $cred if !$o{keep};

    return ($json, $cred);
}

# The whole registration: register_options (200), the authenticator,
# register (201, unless expect => CODE).  Options: grant (an enrolment
# grant for register_options), options_body, and those of attestation.
# Returns the passkey (undef when a step failed); in list context also
# the register response.
sub register {
    my ($self, %o) = @_;

    my %ro;
    $ro{grant} = $o{grant} if defined $o{grant};
    $ro{body} = $o{options_body} if defined $o{options_body};

    my $opts = $self->register_options(%ro);

    if (!$self->expect($opts, 200, 'register_options')) {
        return wantarray ? (undef, $opts) : undef;
    }

    my ($json, $cred) = $self->attestation($opts, %o);

    return wantarray ? (undef, $opts) : undef if !$cred;

    my $res = $self->post($self->path('register'), $json);

    my $want = $o{expect} // 201;

    $cred = undef if !$self->expect($res, $want, 'register') || $want != 201;

    return wantarray ? ($cred, $res) : $cred;
}


# ---- login ----------------------------------------------------------------

# login_options: body {} (passkey-first, or the identity's user), or
# {"user": NAME} with user => NAME.
sub login_options {
    my ($self, %o) = @_;

    my $body = $o{body} // (defined $o{user} ? { user => $o{user} } : {});

    return $self->post($self->path('login_options'), $body, %o);
}

# The AuthenticationResponseJSON of the software authenticator for the
# options (a response or its JSON).  Options: cred (the client's default
# passkey), challenge (the options'), origin, rp_id (the passkey's),
# uv (1), counter, corrupt (flip a bit of the signature), no_user_handle,
# no_up, type, args.  Returns the JSON text, '' when it failed.
sub assertion {
    my ($self, $opts, %o) = @_;

    $opts = $opts->json if ref $opts && ref $opts ne 'HASH';

    my $cred = $o{cred} // $self->{cred};

    if (!$cred) {
        Test::More::fail($self->name . " - no passkey to sign with");
        return '';
    }

    my $challenge = $o{challenge} // $opts->{challenge};

    if (!defined $challenge) {
        Test::More::fail($self->name . " - no challenge in the options");
        return '';
    }

    my @args = ('login',
                '--origin', $o{origin} // $WebAuthnTest::Origin,
                '--challenge', $challenge,
                '--state', $cred->{state});

    push @args, '--rp-id', $o{rp_id} if defined $o{rp_id};
    push @args, '--uv' if $o{uv} // 1;
    push @args, '--counter', $o{counter} if defined $o{counter};
    push @args, '--corrupt-signature' if $o{corrupt};
    push @args, '--no-user-handle' if $o{no_user_handle};
    push @args, '--no-up' if $o{no_up};
    push @args, '--type', $o{type} if defined $o{type};
    push @args, @{ $o{args} } if $o{args};

    return WebAuthnTest::wa_softauth(@args);
}

# The whole login: login_options (200), the authenticator, login (200,
# unless expect => CODE); the session cookie lands in the jar.  Options:
# user (the "user" member of login_options), options_body, and those of
# assertion.  Returns the login response (its json has "status", "user",
# "credential", ...).
sub login {
    my ($self, %o) = @_;

    my %lo;
    $lo{user} = $o{user} if defined $o{user};
    $lo{body} = $o{options_body} if defined $o{options_body};

    my $opts = $self->login_options(%lo);

    return $opts if !$self->expect($opts, 200, 'login_options');

    my $json = $self->assertion($opts, %o);

    my $res = $self->post($self->path('login'), $json);

    $self->expect($res, $o{expect} // 200, 'login');

    return $res;
}

sub logout {
    my ($self, %o) = @_;

    return $self->post($self->path('logout'), $o{body} // {}, %o);
}

sub credentials {
    my ($self, %o) = @_;

    return $self->request('GET', $self->path('credentials'), %o);
}


# ---- the block's own request ----------------------------------------------

# Makes the current block's request (wa_begin's block) the final step of
# the ceremony: its request line is kept, the body (text, or data sent as
# JSON) appended, and more_headers becomes this client's identity, cookies
# and Content-Type (see header_lines for the options), followed by the
# block's own --- more_headers, if any.
sub final {
    my ($self, $body, %o) = @_;

    my $block = $WebAuthnTest::Block;

    if (!$block) {
        Test::More::fail("final() without wa_begin(\$block)");
        return;
    }

    $block->{wa_request} //= $block->request // '';
    $block->{wa_more_headers} //= $block->more_headers // '';

    my $line = $block->{wa_request};
    1 while $line =~ s/^\s*\#[^\n]*\n|^\s+//s;
    ($line) = split /\n/, $line, 2;
    $line //= 'GET /';

    my $own = $block->{wa_more_headers};

    $body = body_text($body);

    my $has_body = defined $body && $body ne '';

    $o{content_type} //= '' if $own =~ /^\s*Content-Type\s*:/mi;

    my @h = ($self->header_lines(%o, has_body => $has_body),
             grep { /\S/ && !/^\s*#/ } split /\n/, $own);

    $block->set_value(request => $has_body ? "$line\n$body" : $line);
    $block->set_value(more_headers => join("\n", @h));
}

1;
