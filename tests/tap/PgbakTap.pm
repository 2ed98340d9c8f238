# Loaded into each of PostgreSQL's TAP test scripts (PERL5OPT=-MPgbakTap, see
# scripts/tap-recovery): replaces the archive and restore commands that
# PostgreSQL::Test::Cluster writes (cp into and out of the node's archive
# directory) by pgbak's, with one pgbak directory per archiving node. Before
# the framework stops the nodes at the end of the script, it lets each
# directory's background sync finish, stops what still runs, runs
# `pgbak verify` and appends the outcome to $PGBAK_TAP_RESULTS.
package PgbakTap;

use strict;
use warnings;

# Only the test scripts (t/*.pl) use the framework; helper scripts they run
# (e.g. cp_history_files) must not load it.
BEGIN { return unless $0 =~ /\.pl\z/; require PostgreSQL::Test::Cluster; }

my $bin = $ENV{PGBAK_BIN} or die "PgbakTap: PGBAK_BIN is not set\n";
my %dirs;    # pgbak directory -> node that archives into it
my %source;  # pgbak directory -> node its snapshots are taken of (conninfo)
my @nodes;   # every node the test created

sub pgbak_dir { return $_[0]->archive_dir . '/pgbak'; }

# Runs pgbak -D DIR ARGS (at most 90 seconds); returns its exit status and output.
sub run_pgbak
{
	my ($dir, @args) = @_;
	my $out = `timeout 240 "$bin" -D "$dir" @args 2>&1`;
	return ($? >> 8, $out);
}

if ($0 =~ /\.pl\z/)
{
	no warnings 'redefine';

	my $new = \&PostgreSQL::Test::Cluster::new;
	*PostgreSQL::Test::Cluster::new = sub {
		my $node = $new->(@_);
		push @nodes, $node;
		return $node;
	};

	*PostgreSQL::Test::Cluster::enable_archiving = sub {
		my ($self) = @_;
		my $dir = pgbak_dir($self);
		unless (-d $dir)
		{
			my ($rc, $out) = run_pgbak($dir, 'init');
			die "pgbak init $dir failed: $out" if $rc;
			# Snapshots go to this node, over its socket.
			my $host = $self->host;
			my $port = $self->port;
			open my $conf, '>>', "$dir/pgbak.conf" or die "$dir/pgbak.conf: $!";
			print $conf "conninfo = host=$host port=$port dbname=postgres\n";
			print $conf "backoff-start = 1\nbackoff-max = 5\n";
			close $conf;
			$source{$dir} = $self;
		}
		$dirs{$dir} = $self;
		print "### Enabling WAL archiving through pgbak for node \"" . $self->name . "\"\n";
		$self->append_conf('postgresql.conf', qq(
archive_mode = on
archive_command = '"$bin" -D "$dir" archive-wal %p'
));
		return;
	};

	*PostgreSQL::Test::Cluster::enable_restoring = sub {
		my ($self, $root_node, $standby) = @_;
		my $dir = pgbak_dir($root_node);
		print "### Enabling WAL restore through pgbak for node \"" . $self->name . "\"\n";
		$self->append_conf('postgresql.conf', qq(
restore_command = '"$bin" -D "$dir" restore-wal %f %p'
));
		if ($standby) { $self->set_standby_mode(); }
		else          { $self->set_recovery_mode(); }
		return;
	};
}

# Runs before PostgreSQL::Test::Cluster's END (END blocks run last-loaded
# first), while the nodes that are still up can take a snapshot.
END
{
	my $exit    = $?;
	my $results = $ENV{PGBAK_TAP_RESULTS};
	my $test    = $0;
	$test =~ s{.*/}{};

	# The segment a running server is writing cannot be in any archive yet: switch it, so
	# that the archive is judged on what the server wrote, and give the archiver a moment.
	foreach my $node (@nodes)
	{
		next unless defined $node->{_pid};
		$node->psql('postgres',
			'SELECT pg_switch_wal() WHERE NOT pg_is_in_recovery() AND '
			  . "current_setting('archive_mode') <> 'off'");
	}
	sleep 3 if %dirs;

	foreach my $dir (sort keys %dirs)
	{
		my $node = $dirs{$dir};
		my $line = "$test node " . $node->name . ": ";
		my $text;
		if (!-l "$dir/current")
		{
			# The test replaced the archive_command (e.g. 025's cp_history_files).
			$line .= "verify skipped: nothing was archived through pgbak\n";
		}
		else
		{
			# Pending work (the first snapshot, SHA256SUMS) done in the foreground while the
			# node may still be up; bounded, as a sync retries for ever when its node is gone.
			# Not tried when the node snapshots are taken of is down: it could only time out.
			my $up = defined(($source{$dir} // $node)->{_pid});
			my ($src, $sout) = $up ? run_pgbak($dir, '-q', 'sync') : (0, '');
			# A background sync still retrying (its node is down) is stopped: its pid is in
			# sync.status.
			if (open my $st, '<', "$dir/sync.status")
			{
				while (<$st>) { kill 'TERM', $1 if /^pid=(\d+)$/ && $1 > 0; }
				close $st;
			}
			my ($vrc, $vout) = run_pgbak($dir, 'verify');
			# A node stopped before pgbak's first snapshot of it finished (028 stops its
			# primary a second after starting it) leaves WAL only: every file is still
			# checked, the missing base is the test's timing, not pgbak's fault.
			my $wal_only = !$up && $vrc == 1
			  && $vout =~ /no generation has a base backup/
			  && $vout =~ /: 1 problem$/m;
			$line .= "verify "
			  . ($vrc == 0 ? "ok"
				: $wal_only ? "ok (WAL only: its node stopped before pgbak's first snapshot finished)"
				:             "FAILED (exit $vrc)")
			  . "\n";
			$text = ($src ? "sync: exit $src: $sout" : "") . $vout;
			$text =~ s/^/    /mg;
		}
		if ($results && open my $fh, '>>', $results)
		{
			print $fh $line . ($text // '');
			close $fh;
		}
	}
	$? = $exit;
}

1;
