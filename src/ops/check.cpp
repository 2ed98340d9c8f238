// `pgbak check`: is the server wired to this backup directory, and does archiving work?
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "io/error.h"
#include "io/file.h"
#include "ops/archive_command.h"
#include "ops/init.h"
#include "pg/connection.h"
#include "pg/identify_system.h"
#include "repo/backup_dir.h"
#include "repo/sync_status.h"
#include "state/drop_record.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

std::string real_path(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) != nullptr ? std::string(buf) : p;
}

// True once NAME (compressed, maybe encrypted) is in any generation.
bool archived(const BackupDir& dir, const std::string& name) {
  auto gens = dir.generations();
  for (auto it = gens.rbegin(); it != gens.rend(); ++it) {
    for (const char* suffix : {".zst", ".zst.enc"}) {
      std::string rel = *it + "/pg_wal/" + name + suffix;
      if (::faccessat(dir.fd(), rel.c_str(), F_OK, AT_SYMLINK_NOFOLLOW) == 0) return true;
    }
  }
  return false;
}

class Report {
 public:
  explicit Report(const Invocation& inv) : quiet_(inv.verbosity < 0) {}
  void ok(const std::string& line) {
    if (!quiet_) std::cout << "ok: " << line << "\n";
  }
  void note(const std::string& line) {
    if (!quiet_) std::cout << "note: " << line << "\n";
  }
  void warn(const std::string& line) { std::cerr << "pgbak: check warning: " << line << "\n"; }
  void fail(const std::string& line) {
    std::cerr << "pgbak: check failed: " << line << "\n";
    failed_ = true;
  }
  bool failed() const { return failed_; }

 private:
  bool quiet_;
  bool failed_ = false;
};

// The server runs archive_command through sh with its own PATH (a service's, not a login
// shell's): only an absolute path to an executable pgbak is sure to be found.
void check_program(const std::string& program, Report& report) {
  if (program.empty() || program[0] != '/') {
    report.fail("archive_command calls '" + program +
                "' without an absolute path; the server's PATH may not find it (HINT: write it "
                "as '" +
                this_program() + " -D DIR archive-wal %p')");
  } else if (::access(program.c_str(), X_OK) != 0) {
    report.fail("archive_command calls '" + program +
                "', which cannot be run: " + std::strerror(errno));
  } else {
    report.ok("archive_command runs " + program);
  }
}

// pg_stat_archiver: failing now (the last failure is newer than the last success) is a
// failure; failures that archiving got past since are a warning. Their reasons are in the
// server's log.
void check_archiver(PgConnection& conn, Report& report) {
  PgResult r = conn.exec(
      "SELECT failed_count, coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, ''), "
      "(last_failed_time IS NOT NULL AND (last_archived_time IS NULL OR "
      "last_failed_time > last_archived_time))::int FROM pg_stat_archiver",
      "cannot read pg_stat_archiver");
  std::string count = PQgetvalue(r.get(), 0, 0);
  if (count == "0") {
    report.ok("pg_stat_archiver: no failed archive attempts");
    return;
  }
  std::string what = "pg_stat_archiver: " + count + " failed archive attempt(s), the last of " +
                     PQgetvalue(r.get(), 0, 1) + " at " + PQgetvalue(r.get(), 0, 2);
  if (std::string(PQgetvalue(r.get(), 0, 3)) == "1") {
    report.fail(what + ", not followed by a success (HINT: the server's log says why)");
  } else {
    report.warn(what + "; archiving succeeded since");
  }
}

// Snapshots need a replication connection with conninfo (pg_basebackup's kind): a role with
// REPLICATION and a pg_hba.conf line for the replication pseudo-database.
void check_replication(const std::string& conninfo, Report& report) {
  try {
    identify_system(conninfo);
    report.ok("replication connection for snapshots works");
  } catch (const Error& e) {
    report.fail(std::string("snapshots need a replication connection: ") + e.what() +
                " (HINT: the role needs REPLICATION, and pg_hba.conf a 'replication' line; "
                "set conninfo in pgbak.conf)");
  }
}

// init's example uploads nothing: backups then stay on this machine only.
void check_backup_script(const BackupDir& dir, Report& report) {
  std::string path = path_join(dir.path(), kBackupScript);
  struct stat st;
  if (::fstatat(dir.fd(), kBackupScript, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    report.fail(path + ": " + std::strerror(errno) +
                " (HINT: pgbak init creates it; link it to an upload script)");
    return;
  }
  // A link (to one of the upload scripts, or /bin/true) is a choice someone made.
  if (S_ISREG(st.st_mode) &&
      read_small_file(dir.fd(), kBackupScript, path) == std::string(example_backup_script())) {
    report.warn(path +
                " is still init's example, which uploads nothing: backups stay on this "
                "machine only (HINT: link it to an upload script, see scripts/backup-rsync)");
  } else {
    report.ok(path + " is in place");
  }
}

// A snapshot that keeps failing leaves the current generation without a fresh base (or, for the
// first one, without any): check fails from the first failure on, naming the reason. WAL is
// still archived meanwhile (checked above).
void check_snapshot_health(const BackupDir& dir, Report& report) {
  SyncStatus s = read_sync_status(dir.fd(), dir.path());
  if (s.failing_step != "snapshot") return;
  char since[64] = "?";
  std::time_t t = s.failing_since;
  if (t > 0) std::strftime(since, sizeof since, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
  report.fail("the sync's snapshot has been failing since " + std::string(since) + " (" +
              std::to_string(s.consecutive_failures) + " attempts): " + s.last_error);
}

}  // namespace

void add_check_options(po::options_description& d) {
  d.add_options()("timeout", po::value<double>()->default_value(60),
                  "seconds to wait for the switched WAL file to be archived");
}

int run_check(Invocation& inv) {
  double timeout = inv.vm["timeout"].as<double>();
  if (!(timeout >= 0 && timeout <= 86400)) throw UsageError("--timeout must be 0 to 86400 seconds");
  BackupDir dir(inv.require_dir());
  Report report(inv);

  PgConnection conn(inv.config.conninfo);
  report.ok("connected to " + conn.describe() + " (server " +
            conn.value("SHOW server_version", "cannot read server_version").value_or("?") + ")");

  std::string mode = conn.value("SHOW archive_mode", "cannot read archive_mode").value_or("");
  if (mode == "on" || mode == "always") {
    report.ok("archive_mode = " + mode);
  } else {
    report.fail("archive_mode is '" + mode + "' (HINT: set archive_mode = on and restart)");
  }
  std::string library =
      conn.value("SELECT current_setting('archive_library', true)", "cannot read archive_library")
          .value_or("");
  std::string command =
      conn.value("SHOW archive_command", "cannot read archive_command").value_or("");
  ArchiveCommandInfo info = parse_archive_command(command);
  if (!library.empty()) {
    report.fail("archive_library = '" + library + "' takes precedence over archive_command");
  } else if (!info.calls_pgbak) {
    report.fail("archive_command '" + command + "' does not call 'pgbak archive-wal'");
  } else if (!info.dir) {
    report.note("archive_command does not name a directory; the server's $PGBAK must be " +
                dir.path());
  } else if (real_path(*info.dir) != real_path(dir.path())) {
    report.fail("archive_command archives into '" + *info.dir + "', not '" + dir.path() + "'");
  } else {
    report.ok("archive_command calls pgbak for " + dir.path());
  }
  if (library.empty() && info.calls_pgbak) check_program(info.program, report);
  check_archiver(conn, report);
  check_replication(inv.config.conninfo, report);
  check_backup_script(dir, report);
  check_snapshot_health(dir, report);

  std::string server_sysid = conn.value("SELECT system_identifier FROM pg_control_system()",
                                        "cannot read system identifier")
                                 .value_or("");
  if (auto gen = dir.open_current()) {
    auto recorded = read_generation_sysid(*gen);
    if (!recorded) {
      report.note("generation " + gen->name + " has no system identifier recorded yet");
    } else if (std::to_string(*recorded) != server_sysid) {
      report.fail("server system identifier " + server_sysid + " differs from generation " +
                  gen->name + "'s " + std::to_string(*recorded) +
                  " (HINT: run 'pgbak full-sync' to start a generation for this cluster)");
    } else {
      report.ok("system identifier " + server_sysid + " matches generation " + gen->name);
    }
  } else {
    report.note("no generation yet; the first archived WAL file starts one");
  }
  DropRecord dropped = read_drop_record(dir.fd(), dir.path());
  if (auto current = dir.current_name(); current && dropped.find(*current)) {
    const DropEpisode& e = *dropped.find(*current);
    report.fail("archive-wal dropped " + std::to_string(e.count) + " WAL file(s) of generation " +
                *current + " for lack of space (" + e.first + " to " + e.last +
                "): it cannot be restored past them (HINT: free space on " + dir.path() +
                "; the next sync then starts a new generation with a snapshot)");
  }
  if (report.failed()) return 1;

  std::string segment = conn.value("SELECT pg_walfile_name(pg_switch_wal())",
                                   "cannot switch WAL (HINT: GRANT EXECUTE ON FUNCTION "
                                   "pg_switch_wal() to this role)")
                            .value_or("");
  report.ok("switched WAL; waiting up to " + std::to_string(static_cast<int>(timeout)) + " s for " +
            segment);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  while (!archived(dir, segment)) {
    if (read_drop_record(dir.fd(), dir.path()).last_name == segment) {
      report.fail(segment + " was dropped for lack of space (archive-full-disk = drop)");
      return 1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string why = conn.value(
                                "SELECT coalesce(failed_count::text || ' failures, last ' || "
                                "last_failed_wal, 'no failures') "
                                "FROM pg_stat_archiver",
                                "cannot read pg_stat_archiver")
                            .value_or("");
      report.fail(segment + " was not archived within " + std::to_string(timeout) + " s (" + why +
                  ")");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  report.ok(segment + " archived");
  return 0;
}

}  // namespace pgbak
