package Test::Nginx::Util;

# Fallback runner of the Test::Nginx::Socket DSL, used only when the real
# Test::Nginx is not installed (scripts/prove-nginx.sh decides).  This half
# manages the nginx under test: server root, nginx.conf, start, stop, logs.
#
# The layout and the generated nginx.conf follow what the real Test::Nginx
# does, so that the same .t files pass under both.

use strict;
use warnings;

use base 'Exporter';

use Cwd ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use POSIX qw(SIGQUIT SIGKILL SIGTERM WNOHANG);
use Time::HiRes qw(sleep time);

our $VERSION = '0.01';

our @EXPORT = qw(
    $ServerAddr $ServerName $ServerPort $ServerPortForClient
    $ServRoot $HtmlDir $LogDir $ErrLogFile $AccLogFile $ConfFile $PidFile
    $NginxBinary $NginxVersion $UseValgrind $RepeatEach $NoShuffle
    @BlockPreprocessors
    server_addr server_name server_port server_port_for_client
    server_root html_dir timeout repeat_each workers worker_connections
    log_level master_on master_off master_process_enabled no_shuffle
    no_root_location config_preamble env_to_nginx add_block_preprocessor
    add_cleanup_handler check_accum_error_log bail_out
    parse_time expand_env_in_text get_nginx_version get_canon_version
    setup_server_root write_user_files write_config_file
    start_nginx stop_nginx nginx_pid error_log_data access_log_data
    describe_status
    error_log_tail valgrind_report cleanup
);

our $ServerAddr = '127.0.0.1';
our $ServerName = 'localhost';
our $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT}
                  || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;

our $NginxBinary = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
our $NginxVersion;
our $Timeout = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Workers = 1;
our $WorkerConnections = 64;
our $LogLevel = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled = 'on';
our $UseValgrind = $ENV{TEST_NGINX_USE_VALGRIND};
our $LoadModules = $ENV{TEST_NGINX_LOAD_MODULES};
our $RepeatEach = 1;
our $NoShuffle = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoRootLocation = 0;
our $ConfigPreamble = '';
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our @BlockPreprocessors;
our @CleanupHandlers;
our @EnvToNginx;

our $ServRoot = $ENV{TEST_NGINX_SERVROOT}
                || File::Spec->rel2abs('t/servroot');
$ServRoot = File::Spec->rel2abs($ServRoot);
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');

our $ErrLogFilePos = 0;
our $AccLogFilePos = 0;

# The nginx being tested: its pid, and whether it is our child (valgrind,
# foreground) or a daemon.
our $NginxPid;
our $NginxIsChild;

# Under valgrind nginx stays in the foreground so that its exit status
# (--error-exitcode) can be collected, as the real Test::Nginx does.
if ($UseValgrind) {
    $DaemonEnabled = 'off';
}

sub server_addr (@) { $ServerAddr = shift if @_; $ServerAddr }
sub server_name (@) { $ServerName = shift if @_; $ServerName }

sub server_port (@) {
    if (@_) {
        $ServerPort = shift;
        $ServerPortForClient = $ServerPort;
    }

    return $ServerPort;
}

sub server_port_for_client (@) {
    $ServerPortForClient = shift if @_;
    return $ServerPortForClient;
}

sub server_root () { $ServRoot }
sub html_dir () { $HtmlDir }
sub timeout (@) { $Timeout = shift if @_; $Timeout }
sub repeat_each (@) { $RepeatEach = shift if @_; $RepeatEach }
sub workers (@) { $Workers = shift if @_; $Workers }
sub worker_connections (@) {
    $WorkerConnections = shift if @_;
    return $WorkerConnections;
}
sub log_level (@) { $LogLevel = shift if @_; $LogLevel }
sub master_on () { $MasterProcessEnabled = 'on' }
sub master_off () { $MasterProcessEnabled = 'off' }

sub master_process_enabled (@) {
    $MasterProcessEnabled = (shift() ? 'on' : 'off') if @_;
    return $MasterProcessEnabled;
}

sub no_shuffle () { $NoShuffle = 1 }
sub no_root_location () { $NoRootLocation = 1 }
sub config_preamble ($) { $ConfigPreamble = shift }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }

sub env_to_nginx (@) {
    for my $v (@_) {
        die "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

# "3", "3s", "500ms" -> seconds
sub parse_time ($) {
    my $tm = shift;

    return undef if !defined $tm;

    $tm =~ s/^\s+|\s+$//g;

    if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
        return $tm / 1000;
    }

    $tm =~ s/([^_a-zA-Z])s$/$1/;

    return $tm;
}

# $TEST_NGINX_FOO -> $ENV{TEST_NGINX_FOO}; an undefined one stops the run,
# as in the real Test::Nginx.
sub expand_env_in_text ($$) {
    my ($text, $name) = @_;

    return undef if !defined $text;

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        if (!defined $ENV{$1}) {
            bail_out("$name - No environment $1 defined.\n");
        }
        $ENV{$1};
    }eg;

    return $text;
}

sub get_canon_version (@) {
    sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;

    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the nginx "
                 . "\"$NginxBinary\": " . ($out // ''));
    }

    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s) {
        return get_canon_version($1, $2, $3);
    }

    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub setup_server_root () {
    if (-d $ServRoot) {
        # Only what this runner creates is removed, so that a mistaken
        # TEST_NGINX_SERVROOT cannot wipe real data.
        remove_tree($ConfDir, $HtmlDir, $LogDir,
                    glob("$ServRoot/*_temp"));
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $dir;
        make_path($dir) or bail_out("Failed to create $dir: $!\n");
    }

    my $index = "$HtmlDir/index.html";

    open my $out, '>', $index or bail_out("Can't open $index: $!\n");
    print $out '<html><head><title>It works!</title></head>'
               . '<body>It works!</body></html>';
    close $out;

    $ErrLogFilePos = 0;
    $AccLogFilePos = 0;
}

# --- user_files: ">>> name [date]" headers, each followed by its content
sub write_user_files ($) {
    my $block = shift;

    my $name = $block->name;
    my $files = $block->user_files;

    return if !defined $files;

    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);

        for my $line (split /^/, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if defined $fname;
                ($fname, $date, $body) = ($1, $2, undef);

            } else {
                $body .= $line;
            }
        }

        push @list, [$fname, $body, $date] if defined $fname;
        $files = \@list;

    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - --- user_files must be a string or an ARRAY");
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;

        $body = '' if !defined $body;
        $body = expand_env_in_text($body, $name);

        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";

        if ($path =~ m{(.*)/} && !-d $1) {
            make_path($1) or bail_out("$name - Cannot create $1: $!");
        }

        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;

        if ($date) {
            system('touch', '-d', $date, $path) == 0
                or bail_out("$name - Failed to set the date of $path");
        }
    }
}

sub write_config_file ($$) {
    my ($block, $config) = @_;

    my $name = $block->name;

    my $main_config = $block->main_config // '';
    my $post_main_config = $block->post_main_config // '';
    my $http_config = $block->http_config // '';
    my $server_name = $block->server_name // $ServerName;
    my $log_level = $block->log_level // $LogLevel;

    if ($LoadModules) {
        $main_config .= join ' ', map { "load_module $_;" }
                                  grep { $_ } split /\s+/, $LoadModules;
    }

    $main_config = expand_env_in_text($main_config, $name);
    $post_main_config = expand_env_in_text($post_main_config, $name);
    $http_config = expand_env_in_text($http_config, $name);
    $config //= '';

    my $env = '';
    for my $v (@EnvToNginx) {
        $env .= "env " . ($v =~ /\s/ ? "'$v'" : $v) . ";\n";
    }

    my $root_location = $NoRootLocation ? '' : <<_EOC_;
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $user = $> == 0 ? "user root;\n" : '';

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");

    print $out <<_EOC_;
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $ErrLogFile $log_level;
pid       $PidFile;
env MOCKEAGAIN_VERBOSE;
env MOCKEAGAIN;
env MOCKEAGAIN_WRITE_TIMEOUT_PATTERN;
env LD_PRELOAD;
env LD_LIBRARY_PATH;
$env
$main_config

http {
    access_log $AccLogFile;

    default_type text/plain;
    keepalive_timeout  68;

$http_config

    server {
        listen          $ServerPort;
        server_name     '$server_name';

        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
env ASAN_OPTIONS;
env UBSAN_OPTIONS;
$user
_EOC_

    close $out;
}

sub is_running ($) {
    my $pid = shift;

    return 0 if !$pid || !kill(0, $pid);

    # a daemon is reparented; if nobody reaps it, it lingers as a zombie
    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in> // '';
        close $in;
        return 0 if $stat =~ /^\d+ \(.*\) Z/s;
    }

    return 1;
}

# The pid of the nginx under test: our child, or the daemon named in the
# pid file (a leftover of an interrupted run included, provided that the
# process really is an nginx).
sub nginx_pid () {
    return $NginxPid if $NginxPid;

    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;

    return undef if !defined $pid || $pid !~ /^\s*(\d+)\s*$/;

    $pid = $1;

    if (open my $cmd, '<', "/proc/$pid/cmdline") {
        my $cmdline = <$cmd> // '';
        close $cmd;
        return undef if $cmdline !~ /nginx|valgrind|memcheck/;
    }

    return $pid;
}

sub port_listening ($) {
    my $port = shift;

    my $found_proc;

    for my $file ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $in, '<', $file or next;
        $found_proc = 1;

        while (<$in>) {
            # local_address:port ... st == 0A (LISTEN)
            if (/^\s*\d+:\s+[0-9A-F]+:([0-9A-F]{4})\s+[0-9A-F:]+\s+0A\s/
                && hex($1) == $port)
            {
                close $in;
                return 1;
            }
        }

        close $in;
    }

    return 0 if $found_proc;

    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                     PeerPort => $port,
                                     Proto => 'tcp',
                                     Timeout => 0.2);
    return $sock ? 1 : 0;
}

sub valgrind_command () {
    # nginx unloads the module before exiting, when leaks are reported:
    # --keep-debuginfo keeps the module's frames readable
    my @cmd = ('valgrind', '-q', "--log-file=$LogDir/valgrind.%p.log",
               '--error-exitcode=99', '--num-callers=50',
               '--keep-debuginfo=yes');

    if ($UseValgrind =~ /^\d+$/) {
        # what is reported is what fails: definite leaks, not the
        # "possibly lost" blocks nginx keeps until exit
        push @cmd, '--tool=memcheck', '--leak-check=full',
                   '--show-possibly-lost=no',
                   '--errors-for-leak-kinds=definite',
                   '--gen-suppressions=all';

        for my $supp ('valgrind.suppress', 't/valgrind.suppress') {
            push @cmd, "--suppressions=$supp" if -f $supp;
        }

    } else {
        push @cmd, split /\s+/, $UseValgrind;
    }

    return @cmd;
}

# Starts nginx.  Returns (0, undef) when it runs, or (status, undef) when
# it exited (a configuration it refused, for --- must_die).  Anything
# nginx writes to stderr is appended to error.log: nginx built with
# --error-log-path=stderr (Debian's) reports configuration errors there,
# where an upstream build would write logs/error.log.
sub start_nginx ($$) {
    my ($name, $must_die) = @_;

    stop_nginx($name);

    # a server left by someone else on the port would answer our requests
    if (port_listening($ServerPort)) {
        bail_out("$name - port $ServerPort is in use by another process; "
                 . "stop it or set TEST_NGINX_SERVER_PORT");
    }

    my @cmd = ($NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile);

    my $valgrind = $UseValgrind && !$must_die;

    unshift @cmd, valgrind_command() if $valgrind;

    my $pid = fork();

    if (!defined $pid) {
        bail_out("$name - fork() failed: $!");
    }

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>>', $ErrLogFile;
        setpgrp(0, 0) if $valgrind;
        { exec { $cmd[0] } @cmd };
        print STDERR "exec $cmd[0] failed: $!\n";
        POSIX::_exit(127);
    }

    if (!$valgrind && $DaemonEnabled eq 'on') {
        # nginx opens its listening sockets before it daemonizes: once the
        # foreground process has exited, connections are accepted
        waitpid($pid, 0);
        my $status = $?;

        if ($status != 0) {
            return $status;
        }

        $NginxPid = undef;
        $NginxIsChild = 0;

        my $deadline = time + $Timeout;
        while (!(nginx_pid() && port_listening($ServerPort))
               && time < $deadline)
        {
            sleep 0.01;
        }

        if (!nginx_pid()) {
            warn "$name - nginx started but wrote no pid file in "
                 . "$Timeout s\n";
        }

        return 0;
    }

    # foreground (valgrind or "daemon off"): wait for the listening socket
    $NginxPid = $pid;
    $NginxIsChild = 1;

    my $deadline = time + ($valgrind ? 60 : $Timeout + 5);

    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $status = $?;
            $NginxPid = undef;
            return $status || 1 << 8;
        }

        return 0 if port_listening($ServerPort);

        sleep 0.05;
    }

    stop_nginx($name);

    return 1 << 8;
}

# Stops the running nginx, gracefully first.  Returns its exit status when
# it was our child, undef otherwise.
sub stop_nginx ($) {
    my $name = shift;

    my $pid = nginx_pid();

    return undef if !$pid;

    my $status;
    my $child = $NginxIsChild && $NginxPid && $pid == $NginxPid;

    my $gone = sub {
        if ($child) {
            my $r = waitpid($pid, WNOHANG);
            if ($r == $pid) {
                $status = $?;
                return 1;
            }
            return $r == -1;
        }

        return !is_running($pid);
    };

    if (!$gone->()) {
        kill SIGQUIT, $pid;

        my $deadline = time + ($child && $UseValgrind ? 30 : $Timeout);

        while (!$gone->() && time < $deadline) {
            sleep 0.01;
        }

        if (!$gone->()) {
            warn "$name - nginx $pid did not quit, killing it\n";
            kill SIGKILL, $pid;

            $deadline = time + $Timeout;
            while (!$gone->() && time < $deadline) {
                sleep 0.01;
            }
        }
    }

    unlink $PidFile if -f $PidFile;

    $NginxPid = undef;
    $NginxIsChild = 0;

    return $status;
}

sub read_log_from ($$) {
    my ($file, $posref) = @_;

    # what nginx logs in the log phase lands after the response
    sleep 0.02;

    open my $in, '<', $file or return [];

    seek $in, $$posref, 0 if !$CheckAccumErrLog && $$posref > 0;

    my @lines = <$in>;

    $$posref = tell($in) if !$CheckAccumErrLog;

    close $in;

    return \@lines;
}

# The error.log lines written since the previous call for this block.
sub error_log_data () { read_log_from($ErrLogFile, \$ErrLogFilePos) }
sub access_log_data () { read_log_from($AccLogFile, \$AccLogFilePos) }

# For diagnostics: a sanitizer report from its first line, or else the
# last lines of error.log without the debug ones.
sub error_log_tail ($) {
    my $n = shift;

    open my $in, '<', $ErrLogFile or return "(no $ErrLogFile)\n";
    my @lines = grep { !/\[debug\]/ } <$in>;
    close $in;

    for my $i (0 .. $#lines) {
        if ($lines[$i] =~ /ERROR: \w+Sanitizer|runtime error:/) {
            my $last = $i + 2 * $n < @lines ? $i + 2 * $n : $#lines;
            return join '', @lines[$i .. $last];
        }
    }

    splice @lines, 0, @lines - $n if @lines > $n;

    return join '', @lines;
}

sub describe_status ($) {
    my $status = shift;

    return "killed by signal " . ($status & 127) if $status & 127;

    return "exit code " . ($status >> 8);
}

# valgrind's reports, one log file per process; removed once read.
sub valgrind_report () {
    my $report = '';

    for my $file (glob "$LogDir/valgrind.*.log") {
        open my $in, '<', $file or next;
        local $/;
        my $text = <$in>;
        close $in;
        unlink $file;

        $report .= $text if defined $text && $text =~ /\S/;
    }

    return $report;
}

sub cleanup () {
    for my $hdl (@CleanupHandlers) {
        $hdl->();
    }

    stop_nginx('cleanup');
}

1;
