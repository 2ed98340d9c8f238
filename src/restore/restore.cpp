// `pgbak restore PGDATA`: turns a generation's base backup into a data directory that recovers
// through `pgbak restore-wal` when started.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <tuple>

#include "cli/commands.h"
#include "io/error.h"
#include "io/fault.h"
#include "io/file.h"
#include "io/progress.h"
#include "io/sha256.h"
#include "io/zstd_stream.h"
#include "pipeline/stored_file.h"
#include "remote/fetch_script.h"
#include "remote/remote_base.h"
#include "repo/backup_dir.h"
#include "repo/base_label.h"
#include "repo/choose_generation.h"
#include "repo/lineage.h"
#include "repo/stored_names.h"
#include "repo/tablespace_map.h"
#include "repo/tablespaces.h"
#include "restore/debian_cluster.h"
#include "restore/recovery_conf.h"
#include "restore/staged_dir.h"
#include "restore/tar_extract.h"
#include "wal/wal_name.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

struct Request {
  std::string pgdata;  // absolute
  GenerationChoice choice;
  RecoveryTarget target;
  std::string owner;
  std::optional<DebianCluster> cluster;  // --cluster: PGDATA is its data directory
  std::vector<TablespaceMapping> mappings;
  std::string target_note;  // how --target-time was read, when it was normalised
};

std::string option(const Invocation& inv, const char* name) {
  return inv.vm.count(name) ? inv.vm[name].as<std::string>() : std::string();
}

Request parse_request(const Invocation& inv) {
  Request r;
  std::string cluster = option(inv, "cluster");
  if (cluster.empty() == inv.args.empty()) {
    throw UsageError(
        "give either PGDATA or --cluster VERSION/NAME (usage: pgbak restore PGDATA | "
        "--cluster VERSION/NAME)");
  }
  if (!cluster.empty()) r.cluster = find_debian_cluster(cluster);
  std::string given = r.cluster ? r.cluster->data_dir : inv.args[0];
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(given, ec).lexically_normal();
  if (ec) throw UsageError("invalid PGDATA '" + given + "': " + ec.message());
  r.pgdata = p.string();
  while (r.pgdata.size() > 1 && r.pgdata.back() == '/') r.pgdata.pop_back();
  if (r.pgdata == "/") throw UsageError("refusing to restore into '/'");
  r.choice.generation = option(inv, "generation");
  if (!r.choice.generation.empty() && !is_generation_name(r.choice.generation)) {
    throw UsageError("invalid generation '" + r.choice.generation + "'");
  }
  r.owner = option(inv, "owner");
  if (inv.vm.count("tablespace-mapping")) {
    for (const auto& arg : inv.vm["tablespace-mapping"].as<std::vector<std::string>>()) {
      r.mappings.push_back(parse_tablespace_mapping(arg));
    }
  }

  int targets = 0;
  for (const char* kind : {"time", "lsn", "name"}) {
    std::string value = option(inv, (std::string("target-") + kind).c_str());
    if (value.empty()) continue;
    ++targets;
    r.target.setting = std::string("recovery_target_") + kind;
    r.target.value = value;
    r.choice.target_text = value;
  }
  if (targets > 1)
    throw UsageError("give at most one of --target-time, --target-lsn, --target-name");
  if (r.target.setting == "recovery_target_time") {
    bool zoned = false;
    r.choice.target_time = parse_timestamp(r.target.value, &zoned);
    // Without a zone pgbak read it in its own time zone (TZ), the server would read it in its
    // `timezone` setting: the server gets the same instant, written in UTC.
    if (r.choice.target_time && !zoned) {
      r.target.value = format_utc_timestamp(*r.choice.target_time);
      r.target_note = " (--target-time '" + r.choice.target_text + "' read in pgbak's time zone" +
                      (std::getenv("TZ") ? std::string(" TZ=") + std::getenv("TZ") : "") + ")";
    }
    if (!r.choice.target_time && r.choice.generation.empty()) {
      throw UsageError("cannot interpret --target-time '" + r.target.value +
                       "' to choose a generation (HINT: write it as 'YYYY-MM-DD HH:MM:SS+00', or "
                       "choose one with --generation)");
    }
  } else if (r.target.setting == "recovery_target_lsn") {
    r.choice.target_lsn = parse_lsn(r.target.value);
    if (!r.choice.target_lsn)
      throw UsageError("invalid --target-lsn '" + r.target.value + "' (expected X/Y)");
  }
  r.target.action = option(inv, "target-action");
  if (!r.target.action.empty()) {
    if (r.target.action != "promote" && r.target.action != "pause" &&
        r.target.action != "shutdown") {
      throw UsageError("--target-action must be promote, pause or shutdown");
    }
    if (r.target.setting.empty()) throw UsageError("--target-action needs a recovery target");
  }
  return r;
}

std::string describe(const BaseInfo& info, const BackupEnd& end) {
  return "backup started " + (info.label->start_time.empty() ? "?" : info.label->start_time) +
         " at " + format_lsn(info.label->start_lsn) + " on timeline " +
         std::to_string(info.label->start_tli) +
         (end.lsn ? ", ended at " + format_lsn(*end.lsn) : std::string());
}

std::optional<TarExtractor::Owner> choose_owner(const Request& r, const BaseInfo& info) {
  if (r.cluster && r.owner.empty()) {
    if (::geteuid() != 0 && ::geteuid() != r.cluster->uid) {
      throw UsageError("cluster " + r.cluster->version + "/" + r.cluster->name +
                       " belongs to another user (HINT: run pgbak restore as root)");
    }
    return TarExtractor::Owner{r.cluster->uid, r.cluster->gid};
  }
  if (!r.owner.empty()) {
    errno = 0;
    struct passwd* pw = ::getpwnam(r.owner.c_str());
    if (pw == nullptr) throw UsageError("unknown user '" + r.owner + "' for --owner");
    if (::geteuid() != 0 && pw->pw_uid != ::geteuid()) {
      throw UsageError("--owner " + r.owner + " needs root");
    }
    return TarExtractor::Owner{pw->pw_uid, pw->pw_gid};
  }
  if (::geteuid() != 0) return std::nullopt;
  if (info.uid && *info.uid != 0) return TarExtractor::Owner{*info.uid, *info.gid};
  throw UsageError(
      "the base backup's files belong to root, which PostgreSQL refuses "
      "(HINT: give the server's user with --owner USER)");
}

// Passes the stored bytes of the base into extraction and hashes every one of them. A failure
// of the extraction (an Error) is kept, not thrown, and the rest of the file is still hashed, so
// that a damaged file is reported as such rather than by whatever its damage made the
// decompressor or tar reader say.
class HashedExtraction : public Sink {
 public:
  HashedExtraction(Sink& extract, ProgressMeter& meter) : extract_(extract), meter_(meter) {}
  void write(std::span<const std::byte> data) override {
    sha_.write(data);
    meter_.add(data.size());
    run([&] { extract_.write(data); });
  }
  // Runs `f` (a step of the extraction) unless the extraction failed already; keeps its Error.
  template <typename F>
  void run(F&& f) {
    if (failure_) return;
    try {
      f();
    } catch (const Error&) {
      failure_ = std::current_exception();
    }
  }
  std::string hex_digest() { return sha_.hex_digest(); }
  std::exception_ptr failure() const { return failure_; }

 private:
  Sink& extract_;
  ProgressMeter& meter_;
  Sha256 sha_;
  std::exception_ptr failure_;
};

// The generation's stored file `name` (base.tzst or OID.tzst; NAME.enc when written with
// encryption on) in the local backup directory `dir`, as a stream.
BaseStream local_stored(const Generation& gen, const std::string& dir, const std::string& name) {
  BaseStream s;
  s.generation = gen.name;
  s.stored = find_stored(gen.dir.get(), name).value_or(name);
  s.display = path_join(gen.path, s.stored);
  s.expected = listed_base_digest(gen, s.stored);
  struct stat st;
  if (::fstatat(gen.dir.get(), s.stored.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    s.size = static_cast<uint64_t>(st.st_size);
  }
  s.feed = [&gen, stored = s.stored, display = s.display](Sink& out) {
    UniqueFd in = open_regular_at(gen.dir.get(), stored, O_RDONLY, display);
    ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    pump(in.get(), out, display);
  };
  s.source = dir;
  return s;
}

// Extracts a stored tar (base.tzst, OID.tzst, maybe .enc) through `extract`, checking its
// SHA-256 against SHA256SUMS.
void extract_stored(const Invocation& inv, const BaseStream& base, TarExtractor& extract) {
  // A base compressed by the server has no zstd checksum: SHA256SUMS is what tells it is whole.
  if (!base.expected && inv.verbosity >= 0) {
    std::cerr << "pgbak: warning: " << base.display << " is not listed in " << kSumsFile
              << ": its SHA-256 is not checked\n";
  }
  TarReader tar(extract, base.display);
  ZstdDecompressor zstd(tar, base.display);
  std::unique_ptr<StorageSink> opened = make_storage_reader(
      inv.config, zstd, base.stored, base.display, stored_identity(base.generation, base.stored));
  ProgressMeter meter("restore: " + base.stored, inv.verbosity >= 0, base.size);
  HashedExtraction hashed(*opened, meter);
  base.feed(hashed);
  hashed.run([&] {
    opened->finish();
    zstd.finish();
    tar.finish();
  });
  meter.finish();
  std::string digest = hashed.hex_digest();
  if (base.expected && digest != *base.expected) {
    throw damaged_base_error(base.display, digest, *base.expected);
  }
  if (hashed.failure()) std::rethrow_exception(hashed.failure());
}

// Writes `text` as the whole of root/name (a regular file, never through a link), owned by owner.
void put_file(int root, const char* name, const std::string& text, const std::string& display,
              std::optional<TarExtractor::Owner> owner) {
  UniqueFd fd = open_regular_at(root, name, O_WRONLY | O_CREAT | O_TRUNC, display);
  write_all(fd.get(), text.data(), text.size(), display);
  if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
    throw_sys("cannot change the owner of", display);
  }
}

// Points pg_tblspc/OID of the restored data directory at each tablespace's location. The base's
// tablespace_map is left out of the extraction: the server would replace these links by its
// original locations.
void link_tablespaces(const StagedDir& data, const std::vector<TablespacePlan>& plans,
                      std::optional<TarExtractor::Owner> owner) {
  if (plans.empty()) return;
  std::string display = path_join(data.path(), "pg_tblspc");
  UniqueFd dir =
      openat_or_throw(data.fd(), "pg_tblspc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, display);
  for (const TablespacePlan& t : plans) {
    std::string name = std::to_string(t.oid);
    std::string link = path_join(display, name);
    if (::symlinkat(t.location.c_str(), dir.get(), name.c_str()) != 0) {
      throw_sys("cannot create symlink", link);
    }
    if (owner &&
        ::fchownat(dir.get(), name.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) != 0) {
      throw_sys("cannot change the owner of", link);
    }
  }
}

// A tablespace to restore and where its stored tar comes from.
struct TablespaceSource {
  TablespacePlan plan;
  BaseStream stream;
};

void restore_into(const Request& r, const Invocation& inv, const BaseStream& base,
                  const std::vector<TablespaceSource>& tablespaces,
                  std::optional<TarExtractor::Owner> owner) {
  // Tablespaces first, PGDATA last: a PGDATA in place means the restore is complete.
  std::vector<std::unique_ptr<StagedDir>> spaces;
  std::vector<TablespacePlan> plans;
  for (const TablespaceSource& t : tablespaces) {
    spaces.push_back(std::make_unique<StagedDir>(t.plan.location, owner));
    plans.push_back(t.plan);
  }
  StagedDir data(r.pgdata, owner);
  fault_point("restore-temp-created");
  {
    TarExtractor extract(data.fd(), r.pgdata, owner);
    extract.skip_file(kTablespaceMap);
    // A base taken from a standby has the standby's standby.signal: the restored server would
    // stay a standby (of whatever its primary_conninfo names) instead of recovering.
    extract.skip_file("standby.signal");
    extract_stored(inv, base, extract);
  }
  for (size_t i = 0; i < tablespaces.size(); ++i) {
    TarExtractor extract(spaces[i]->fd(), plans[i].location, owner);
    extract_stored(inv, tablespaces[i].stream, extract);
  }
  fault_point("restore-after-extract");
  link_tablespaces(data, plans, owner);

  put_file(data.fd(), "recovery.signal", "", path_join(r.pgdata, "recovery.signal"), owner);
  std::string command = restore_command(
      this_program(), inv.dir, inv.config_explicit ? inv.config_path : "", base.generation);
  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", std::localtime(&now));
  std::string origin = "generation " + base.generation + " of " + base.source + " on " + when;
  std::string auto_conf = path_join(r.pgdata, "postgresql.auto.conf");
  put_file(data.fd(), "postgresql.auto.conf",
           without_recovery_settings(
               read_small_file(data.fd(), "postgresql.auto.conf", auto_conf).value_or("")) +
               recovery_settings(origin, command, r.target),
           auto_conf, owner);
  // The server would fsync the data directory at startup anyway, but the renames below must not
  // publish directories whose contents a crash could still lose.
  for (const auto& space : spaces) space->sync();
  data.sync();
  fault_point("restore-before-rename");
  for (const auto& space : spaces) space->publish();
  data.publish();
  fault_point("restore-after-rename");
  for (const auto& space : spaces) space->keep();
  data.keep();
}

}  // namespace

void add_restore_options(po::options_description& d) {
  // clang-format off
  d.add_options()
    ("generation", po::value<std::string>(), "generation to restore (default: the newest complete one, or with a target the newest that started before it)")
    ("target-time", po::value<std::string>(), "recover up to this time (recovery_target_time)")
    ("target-lsn", po::value<std::string>(), "recover up to this WAL location (recovery_target_lsn)")
    ("target-name", po::value<std::string>(), "recover up to this restore point (recovery_target_name)")
    ("target-action", po::value<std::string>(), "at the target: promote, pause or shutdown (recovery_target_action)")
    ("cluster", po::value<std::string>(), "restore into Debian cluster VERSION/NAME (stopped, empty data directory) instead of PGDATA, with its configuration files")
    ("owner", po::value<std::string>(), "when root: owner of the restored files (default: the owner of the source cluster's files)")
    ("tablespace-mapping", po::value<std::vector<std::string>>()->composing(), "OLDDIR=NEWDIR: restore the tablespace that was in OLDDIR into NEWDIR (repeatable)");
  // clang-format on
}

int run_restore(Invocation& inv) {
  Request r = parse_request(inv);
  BackupDir dir(inv.require_dir());
  check_restore_target(r.pgdata);

  // With no base backup here but a fetch script, everything comes from the remote copy.
  bool remote = generations_with_base(dir).empty() && FetchScript::exists(dir);
  std::optional<RemoteBases> remote_bases;
  std::optional<Generation> gen;
  ChosenGeneration chosen;
  if (remote) {
    remote_bases.emplace(dir, inv.config);
    chosen = choose_among(remote_bases->candidates(), r.choice);
  } else {
    chosen = choose_generation(dir, r.choice, inv.config);
  }
  const BaseInfo& info = chosen.info;
  if (!chosen.warning.empty() && inv.verbosity >= 0) {
    std::cerr << "pgbak: warning: " << chosen.warning << "\n";
  }
  auto owner = choose_owner(r, info);
  if (!remote) gen.emplace(dir.open_generation(chosen.name));
  // Checked before anything is written.
  if (remote && !info.tablespaces.empty()) {
    throw Error("cannot restore generation " + chosen.name +
                " from the remote copy: it has tablespaces, which a remote restore does not "
                "support (HINT: fetch the generation's files into " +
                inv.dir + " first)");
  }
  if (r.cluster && remote) {
    throw UsageError(
        "restore --cluster needs the generation in " + inv.dir +
        ", not only in the remote copy (HINT: fetch the generation's files into it first)");
  }
  if (r.cluster) stored_cluster_config(*gen);
  std::vector<TablespaceSource> tablespaces;
  if (!remote) {
    for (TablespacePlan& t :
         plan_tablespaces(tablespace_files(*gen), info.tablespaces, r.mappings, gen->name)) {
      if (t.location == r.pgdata) throw UsageError("a tablespace cannot be restored into PGDATA");
      try {
        check_restore_target(t.location);
      } catch (const Error& e) {
        throw Error(std::string(e.what()) + " (tablespace " + std::to_string(t.oid) +
                    "; HINT: restore it elsewhere with --tablespace-mapping " + t.location +
                    "=NEWDIR)");
      }
      BaseStream stream = local_stored(*gen, inv.dir, t.stored);
      tablespaces.push_back({std::move(t), std::move(stream)});
    }
  } else if (!r.mappings.empty()) {
    throw UsageError("--tablespace-mapping matches no tablespace of generation " + chosen.name);
  }
  BaseStream base =
      remote ? remote_bases->base(chosen.name) : local_stored(*gen, inv.dir, kBaseFile);
  restore_into(r, inv, base, tablespaces, owner);

  std::string config_note;
  if (r.cluster) config_note = restore_cluster_config(inv.config, *gen, *r.cluster);

  if (inv.verbosity >= 0 && r.cluster) {
    std::cout << "restored generation " << chosen.name << " (" << describe(info, chosen.end)
              << ") into cluster " << r.cluster->version << "/" << r.cluster->name << " ("
              << r.pgdata << ")\n";
    for (const TablespaceSource& t : tablespaces) {
      std::cout << "restored tablespace " << t.plan.oid << " into " << t.plan.location << "\n";
    }
    std::cout << config_note << "\n"
              << "recovery: "
              << (r.target.setting.empty() ? "to the end of the archived WAL"
                                           : r.target.setting + " = '" + r.target.value + "'")
              << r.target_note << "\nnext: pg_ctlcluster " << r.cluster->version << " "
              << r.cluster->name << " start\n";
  } else if (inv.verbosity >= 0) {
    // What lies beside the restored history is named, so that nobody wonders where it went.
    for (const std::string& other : dir.generations()) {
      std::optional<Generation> g = dir.try_open_generation(other);
      auto marker = g ? read_new_history(*g) : std::nullopt;
      if (!marker) continue;
      auto members = lineage(dir, chosen.name);
      if (std::find(members.begin(), members.end(), other) != members.end()) continue;
      std::cerr << "pgbak: note: generation " << other << " is not part of the restored history ("
                << (marker->side ? "side generation: " : "starts a new history: ") << marker->reason
                << "); its WAL is not used\n";
    }
    std::cout << "restored generation " << chosen.name << (remote ? " of the remote copy" : "")
              << " (" << describe(info, chosen.end) << ") into " << r.pgdata << "\n";
    for (const TablespaceSource& t : tablespaces) {
      std::cout << "restored tablespace " << t.plan.oid << " into " << t.plan.location << "\n";
    }
    std::cout << "recovery: "
              << (r.target.setting.empty() ? "to the end of the archived WAL"
                                           : r.target.setting + " = '" + r.target.value + "'")
              << r.target_note << "\n";
    std::string start = "pg_ctl -D " + shell_quote(r.pgdata) + " start";
    if (owner && ::geteuid() == 0) {
      struct passwd* pw = ::getpwuid(owner->uid);
      std::string user = pw != nullptr ? pw->pw_name : std::to_string(owner->uid);
      start = "runuser -u " + shell_quote(user) + " -- " + start;
    }
    std::cout << "next: review " << shell_quote(path_join(r.pgdata, "postgresql.conf"))
              << " (port, archive_command), then run:\n  " << start << "\n";
  }
  return 0;
}

}  // namespace pgbak
