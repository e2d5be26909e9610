package Test::Nginx::Socket;

# Fallback runner of the Test::Nginx::Socket DSL (blocks of "=== TEST"
# with "--- section" data after __DATA__), used only when the real
# Test::Nginx is not installed: scripts/prove-nginx.sh puts t/lib on the
# include path in that case only.
#
# It implements the part of the DSL this project uses, with the semantics
# of the real module: for each block nginx is restarted with a fresh server
# root and nginx.conf, the request is sent over a raw socket, and the
# status, headers, body and error log are checked through Test::More.
#
# Sections: main_config http_config config (with "eval"), post_main_config,
# user_files, request (or "request eval", a list of requests), raw_request,
# pipelined_requests, more_headers, error_code, error_code_like,
# response_headers, response_headers_like, raw_response_headers_like,
# raw_response_headers_unlike, response_body (or "eval": a string or qr//),
# response_body_like, response_body_unlike, error_log, no_error_log,
# access_log, no_access_log, must_die, timeout, wait, init, log_level,
# server_name, skip_nginx, skip_eval, SKIP and ONLY (Test::Base).
#
# Environment: TEST_NGINX_BINARY, TEST_NGINX_SERVER_PORT, TEST_NGINX_SERVROOT,
# TEST_NGINX_USE_VALGRIND, TEST_NGINX_TIMEOUT, TEST_NGINX_LOG_LEVEL,
# TEST_NGINX_NO_SHUFFLE, TEST_NGINX_LOAD_MODULES, TEST_NGINX_VERBOSE; and
# $TEST_NGINX_* in the config sections expands to the environment value.

use lib 'lib';

use Test::Base -Base;

use IO::Select ();
use IO::Socket::INET ();
use List::Util qw(shuffle);
use POSIX qw(SIGINT SIGTERM);
use Time::HiRes qw(sleep time);

use Test::Nginx::Util;

our $VERSION = '0.01';

our @EXPORT = qw(
    run_tests run_test repeat_each workers worker_connections
    master_on master_off master_process_enabled log_level no_shuffle
    no_root_location server_name server_addr server_root html_dir
    server_port server_port_for_client timeout config_preamble
    env_to_nginx add_block_preprocessor add_cleanup_handler bail_out
    check_accum_error_log no_long_string
);

our $Verbose = $ENV{TEST_NGINX_VERBOSE};

# forward declarations for the subs with arguments; Test::Base's source
# filter turns "()" prototypes into plain subs, so those are not declared
sub run_test ($);
sub run_block_requests ($$);
sub build_request ($$$$);
sub parse_more_headers ($);
sub send_request ($$$);
sub parse_response ($$);
sub indexed ($$$$);
sub check_response ($$$$$);
sub check_log ($$$$$$);
sub check_sanitizers ($$);
sub should_skip ($);

for my $sig ('INT', 'TERM', 'HUP', 'PIPE') {
    $SIG{$sig} = sub {
        cleanup();
        exit 1;
    };
}

sub no_long_string () {
    # Test::More::is is used throughout: nothing to switch
}

sub test_failures () {
    return scalar grep { !$_ } Test::More->builder->summary;
}

sub run_tests () {
    $NginxVersion = get_nginx_version();

    $ENV{TEST_NGINX_SERVER_PORT} //= $ServerPort;

    my @blocks = Test::Base::blocks();

    @blocks = shuffle @blocks if !$NoShuffle;

    for my $block (@blocks) {
        for my $hdl (@BlockPreprocessors) {
            $hdl->($block);
        }

        $block->set_value('name', $0 . ' ' . $block->name);

        run_test($block);
    }

    cleanup();
}

sub run_test ($) {
    my $block = shift;

    my $name = $block->name;

    my ($ntests, $reason) = should_skip($block);

    if ($ntests) {
        SKIP: {
            Test::More::skip("$name - $reason", $ntests);
        }
        return;
    }

    my $failures = test_failures();

    my $config = expand_env_in_text($block->config, $name);

    stop_nginx($name);
    setup_server_root();
    write_user_files($block);
    write_config_file($block, $config);

    if (defined $block->must_die) {
        my $must_die = $block->must_die;

        for my $i (1 .. $RepeatEach) {
            my $status = start_nginx($name, 1);

            if ($status == 0) {
                Test::More::fail("$name - nginx must die but it started");
                stop_nginx($name);

            } elsif ($must_die =~ /^\s*(\d+)\s*$/) {
                Test::More::is($status >> 8, $1,
                               "$name - die with the expected exit code");

            } else {
                Test::More::isnt($status, 0, "$name - die as expected");
            }

            check_log($block, 'error_log', error_log_data(), $i - 1, 0,
                      undef);
            check_sanitizers($block, error_log_data());
        }

        Test::More::diag("$name - error.log:\n" . error_log_tail(20))
            if test_failures() > $failures;

        return;
    }

    my $status = start_nginx($name, 0);

    if ($status != 0) {
        Test::More::fail("$name - nginx failed to start ("
                         . describe_status($status) . ")");
        Test::More::diag("$name - error.log:\n" . error_log_tail(20));
        return;
    }

    if (defined $block->init) {
        eval $block->init;
        bail_out("$name - init failed: $@") if $@;
    }

    for my $i (0 .. $RepeatEach - 1) {
        run_block_requests($block, $i);
    }

    # valgrind reports leaks when the process exits: stop it now
    if ($UseValgrind) {
        my $exit = stop_nginx($name);
        my $report = valgrind_report();

        if ($report ne '' || !defined $exit || $exit != 0) {
            Test::More::fail("$name - valgrind found errors ("
                             . (defined $exit ? describe_status($exit)
                                              : "exit status unknown")
                             . ")");
            Test::More::diag($report);

        } else {
            Test::More::pass("$name - valgrind found no errors");
        }
    }

    Test::More::diag("$name - error.log:\n" . error_log_tail(20))
        if test_failures() > $failures;
}

# (number of tests to skip, reason) from --- skip_nginx / --- skip_eval
sub should_skip ($) {
    my $block = shift;

    my $name = $block->name;

    if (defined $block->skip_nginx) {
        my $spec = $block->skip_nginx;

        if ($spec !~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                       (?:\s*:\s*(.*))?\s*$}x)
        {
            bail_out("$name - Invalid --- skip_nginx spec: $spec");
        }

        my ($n, $op, $reason) = ($1, $2, $6);
        my $ver = get_canon_version($3, $4, $5);

        $reason ||= "nginx version $op $3.$4.$5";

        return ($n, $reason) if eval "$NginxVersion $op $ver";
    }

    if (defined $block->skip_eval) {
        my $spec = $block->skip_eval;

        if ($spec !~ /^\s*(\d+)\s*:\s*(.*)/s) {
            bail_out("$name - Invalid --- skip_eval spec: $spec");
        }

        my ($n, $code) = ($1, $2);

        my $skip = eval $code;
        bail_out("$name - skip_eval failed: $@") if $@;

        return ($n, 'skip_eval') if $skip;
    }

    return (0, undef);
}

sub run_block_requests ($$) {
    my ($block, $repeat) = @_;

    my $name = $block->name;

    my $timeout = parse_time($block->timeout) // timeout();
    my $more_headers = $block->more_headers // '';

    # each element: the bytes to send on one connection, and how many
    # responses (and which HEAD ones) to expect from them
    my @conns;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        push @conns, [ref $raw ? join('', @$raw) : $raw, [0]];

    } elsif (defined $block->pipelined_requests) {
        my $reqs = $block->pipelined_requests;

        if (ref $reqs ne 'ARRAY') {
            bail_out("$name - --- pipelined_requests must be an eval'd "
                     . "array");
        }

        my ($data, @heads) = ('');

        for my $i (0 .. $#$reqs) {
            my $hdrs = ref $more_headers ? $more_headers->[$i]
                                         : $more_headers;
            my ($req, $head) = build_request($name, $reqs->[$i], $hdrs // '',
                               $i == $#$reqs ? 'close' : 'keep-alive');
            $data .= $req;
            push @heads, $head;
        }

        push @conns, [$data, \@heads];

    } else {
        my $request = $block->request;

        bail_out("$name - no --- request") if !defined $request;

        my @reqs = ref $request eq 'ARRAY' ? @$request : ($request);

        for my $i (0 .. $#reqs) {
            my $hdrs = ref $more_headers ? $more_headers->[$i]
                                         : $more_headers;
            my ($req, $head) = build_request($name, $reqs[$i], $hdrs // '',
                                             'close');
            push @conns, [$req, [$head]];
        }
    }

    my $nresp = 0;
    $nresp += @{ $_->[1] } for @conns;

    my $need_array = $nresp > 1;
    my $idx = 0;

    for my $conn (@conns) {
        my ($data, $heads) = @$conn;

        my $raw = send_request($name, $data, $timeout);

        for my $head (@$heads) {
            my $res;
            ($res, $raw) = parse_response($raw, $head);

            check_response($block, $res, $idx, $repeat, $need_array);
            $idx++;
        }
    }

    sleep parse_time($block->wait) if $block->wait;

    my $lines = error_log_data();

    check_log($block, 'error_log', $lines, $repeat, 0, undef);
    check_log($block, 'no_error_log', $lines, $repeat, 1, undef);
    check_sanitizers($block, $lines);

    if (defined $block->access_log || defined $block->no_access_log) {
        my $alines = access_log_data();
        check_log($block, 'access_log', $alines, $repeat, 0, 'access.log');
        check_log($block, 'no_access_log', $alines, $repeat, 1,
                  'access.log');
    }
}

# The request line "METHOD [URI [VERSION]]", then an optional body, as the
# real Test::Nginx reads it: leading comment lines skipped, the body
# trimmed and given a Content-Length.  Returns (bytes, is HEAD).
sub build_request ($$$$) {
    my ($name, $request, $more_headers, $connection) = @_;

    1 while $request =~ s/^\s*\#[^\n]+\s+|^\s+//s;

    my ($first, $body) = split /\n/, $request, 2;

    if (!defined $first
        || $first !~ /^\s*(\S+)(?:\s+(\S+))?(?:\s+(\S+))?\s*$/)
    {
        bail_out("$name - invalid request line: " . ($first // ''));
    }

    my ($method, $uri, $version) = ($1, $2 // '/', $3 // 'HTTP/1.1');

    my ($headers, $chunked) = parse_more_headers($more_headers);

    $body //= '';

    if (!$chunked && $body ne '' && $headers !~ /^Content-Length:/mi) {
        $body =~ s/^\s+|\s+$//gs;
        $headers .= 'Content-Length: ' . length($body) . "\r\n";
    }

    $headers = "Host: $ServerName\r\n" . $headers
        if $headers !~ /^Host:/mi;

    $headers = "Connection: $connection\r\n" . $headers
        if $headers !~ /^Connection:/mi;

    return ("$method $uri $version\r\n$headers\r\n$body",
            $method eq 'HEAD' ? 1 : 0);
}

# "Key: value" lines, "#" comments skipped; (headers, is chunked)
sub parse_more_headers ($) {
    my $in = shift;

    my ($out, $chunked) = ('', 0);

    for my $line (split /\n+/, $in) {
        next if $line =~ /^\s*#/ || $line !~ /\S/;

        my ($key, $val) = split /:\s*/, $line, 2;
        $val //= '';
        $val =~ s/\s+$//;

        $chunked = 1 if lc $key eq 'transfer-encoding' && $val eq 'chunked';

        $out .= "$key: $val\r\n";
    }

    return ($out, $chunked);
}

# Sends data on a new connection and reads until the server closes it or
# timeout seconds pass without any data.
sub send_request ($$$) {
    my ($name, $data, $timeout) = @_;

    my $sock;

    for my $try (1 .. 20) {
        $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp',
                                      Timeout => $timeout);
        last if $sock;
        sleep 0.05 * $try;
    }

    if (!$sock) {
        Test::More::fail("$name - cannot connect to "
                         . "$ServerAddr:$ServerPortForClient: $!");
        return '';
    }

    binmode $sock;

    warn "$name - request:\n$data\n" if $Verbose;

    my $sel = IO::Select->new($sock);
    my $off = 0;

    while ($off < length $data) {
        if (!$sel->can_write($timeout)) {
            Test::More::fail("$name - timeout sending the request");
            return '';
        }

        my $n = syswrite($sock, $data, length($data) - $off, $off);

        if (!defined $n) {
            # the server may answer and close before reading everything
            last;
        }

        $off += $n;
    }

    my $resp = '';

    while (1) {
        if (!$sel->can_read($timeout)) {
            Test::More::fail("$name - timeout reading the response "
                             . "($timeout s)");
            last;
        }

        my $n = sysread($sock, my $buf, 65536);

        last if !$n;

        $resp .= $buf;
    }

    close $sock;

    warn "$name - response:\n$resp\n" if $Verbose;

    return $resp;
}

# Parses one response off the front of raw; returns (response, the rest).
# The response: { code, status_line, headers => [[k, v]], raw_headers,
# body }, or undef when nothing parsable arrived.
sub parse_response ($$) {
    my ($raw, $head) = @_;

    return (undef, '') if !defined $raw || $raw !~ /\r\n\r\n/;

    my ($hdr, $rest) = split /\r\n\r\n/, $raw, 2;

    my ($status_line, @lines) = split /\r\n/, $hdr;

    my %res = (status_line => $status_line, raw_headers => "$hdr\r\n",
               headers => []);

    if ($status_line =~ m{^HTTP/\d\.\d\s+(\d{3})}) {
        $res{code} = $1;
    }

    for my $line (@lines) {
        if ($line =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/) {
            push @{ $res{headers} }, [$1, $2];
        }
    }

    my $header = sub {
        my $key = lc shift;
        my @v = map { $_->[1] } grep { lc $_->[0] eq $key } @{ $res{headers} };
        return @v ? join(', ', @v) : undef;
    };

    $res{header} = $header;

    my $code = $res{code} // 0;
    my $te = $header->('Transfer-Encoding');
    my $len = $header->('Content-Length');

    if ($head || $code == 204 || $code == 304 || ($code >= 100 && $code < 200))
    {
        $res{body} = '';

    } elsif (defined $te && $te =~ /chunked/i) {
        my $body = '';

        while ($rest =~ s/^([0-9A-Fa-f]+)[^\r\n]*\r\n//) {
            my $size = hex $1;

            if ($size == 0) {
                $rest =~ s/^(?:[^\r\n]+\r\n)*\r\n//;
                last;
            }

            $body .= substr($rest, 0, $size, '');
            $rest =~ s/^\r\n//;
        }

        $res{body} = $body;

    } elsif (defined $len && $len =~ /^\d+$/) {
        $res{body} = substr($rest, 0, $len, '');

    } else {
        ($res{body}, $rest) = ($rest, '');
    }

    return (\%res, $rest);
}

# A check section's value for response idx: arrays hold one per response.
sub indexed ($$$$) {
    my ($name, $value, $idx, $need_array) = @_;

    if (ref $value && ref $value eq 'ARRAY') {
        return $value->[$idx];
    }

    if ($need_array) {
        bail_out("$name - several responses are expected: the check "
                 . "sections must be eval'd arrays");
    }

    return $value;
}

sub check_response ($$$$$) {
    my ($block, $res, $idx, $repeat, $need_array) = @_;

    my $name = $block->name;
    my $tag = "(repeated req $repeat, req $idx)";

    my $code = $res ? $res->{code} // '' : '';

    if (defined $block->error_code_like) {
        my $pat = indexed($name, $block->error_code_like, $idx, $need_array);
        Test::More::like($code, qr/$pat/sm, "$name - status code ok $tag");

    } else {
        my $want = defined $block->error_code
                   ? indexed($name, $block->error_code, $idx, $need_array)
                   : 200;
        $want =~ s/^\s+|\s+$//g;
        Test::More::is($code, $want, "$name - status code ok $tag");
    }

    my $raw_headers = $res ? $res->{raw_headers} : '';

    if (defined $block->raw_response_headers_like) {
        my $pat = indexed($name, $block->raw_response_headers_like, $idx,
                          $need_array);
        Test::More::like($raw_headers, qr/$pat/s,
                         "$name - raw resp headers like $tag");
    }

    if (defined $block->raw_response_headers_unlike) {
        my $pat = indexed($name, $block->raw_response_headers_unlike, $idx,
                          $need_array);
        Test::More::unlike($raw_headers, qr/$pat/s,
                           "$name - raw resp headers unlike $tag");
    }

    for my $sect ('response_headers', 'response_headers_like') {
        my $spec = $block->$sect;

        next if !defined $spec;

        $spec = indexed($name, $spec, $idx, $need_array);

        for my $line (split /\n/, $spec) {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';

            if ($line =~ s/^!\s*//) {
                Test::More::unlike($raw_headers, qr/^\s*\Q$line\E\s*:/mi,
                                   "$name - header $line not present $tag");
                next;
            }

            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $val //= '';
            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

            my $got = $res ? $res->{header}->($key) : undef;
            $got //= '';

            if ($sect eq 'response_headers') {
                Test::More::is($got, $val, "$name - header $key ok $tag");

            } else {
                Test::More::like($got, qr/^$val$/,
                                 "$name - header $key like ok $tag");
            }
        }
    }

    my $body = $res ? $res->{body} : undef;

    if (defined $block->response_body) {
        my $want = indexed($name, $block->response_body, $idx, $need_array);

        if (ref $want) {
            Test::More::like($body, $want,
                             "$name - response_body - like $tag");

        } else {
            $want =~ s/\$ServerPort\b/$ServerPort/g;
            $want =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            Test::More::is($body, $want,
                           "$name - response_body - response is expected "
                           . $tag);
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $like = defined $block->response_body_like;
        my $pat = indexed($name, $like ? $block->response_body_like
                                       : $block->response_body_unlike,
                          $idx, $need_array);

        $pat =~ s/\$ServerPort\b/$ServerPort/g if !ref $pat;

        if ($like) {
            Test::More::like($body // '', qr/$pat/s,
                             "$name - response_body_like - response is "
                             . "expected $tag");

        } else {
            Test::More::unlike($body // '', qr/$pat/s,
                               "$name - response_body_unlike - response is "
                               . "expected $tag");
        }
    }
}

# --- error_log / no_error_log / access_log / no_access_log: one pattern a
# line (or an eval'd list or qr//), each matched against every line logged
# during the block: a string as a substring, a qr// as a regex.
sub check_log ($$$$$$) {
    my ($block, $sect, $lines, $repeat, $negate, $file) = @_;

    my $pats = $block->$sect;

    return if !defined $pats;

    my $name = $block->name;
    $file //= 'error.log';

    if (!ref $pats) {
        chomp $pats;
        $pats = [grep { $_ ne '' } split /\n+/, $pats];

    } elsif (ref $pats eq 'Regexp') {
        $pats = [$pats];
    }

    for my $pat (@$pats) {
        next if !defined $pat;

        my ($line) = grep {
            ref $pat ? $_ =~ $pat : index($_, $pat) >= 0
        } @$lines;

        if ($negate) {
            if (defined $line) {
                chomp $line;
                Test::More::fail("$name - pattern \"$pat\" should not match "
                                 . "any line in $file but matches line "
                                 . "\"$line\" (req $repeat)");

            } else {
                Test::More::pass("$name - pattern \"$pat\" does not match a "
                                 . "line in $file (req $repeat)");
            }

        } elsif (defined $line) {
            Test::More::pass("$name - pattern \"$pat\" matches a line in "
                             . "$file (req $repeat)");

        } else {
            Test::More::fail("$name - pattern \"$pat\" should match a line "
                             . "in $file (req $repeat)");
        }
    }
}

# Reports of sanitizers or assertions in error.log fail the block; alerts
# are shown, as the real Test::Nginx does.
sub check_sanitizers ($$) {
    my ($block, $lines) = @_;

    my $name = $block->name;

    my @bad = grep {
        /ERROR: (?:Address|Leak|Memory|Thread)Sanitizer|runtime error:
         |\bAssertion .*failed/x
    } @$lines;

    if (@bad) {
        Test::More::fail("$name - sanitizer report in error.log:\n"
                         . join('', @bad));
    }

    my $expected = join "\n", grep { defined && !ref }
                              map { ref $_ eq 'ARRAY' ? @$_ : $_ }
                              $block->error_log // (), $block->no_error_log
                              // ();

    return if defined $block->must_die;

    for my $level ('alert', 'crit', 'emerg') {
        next if index($expected, "[$level") >= 0;

        for my $line (grep { /\[$level\]/ } @$lines) {
            chomp $line;
            warn "WARNING: $name - $line\n";
        }
    }
}

END {
    cleanup();
}

1;
