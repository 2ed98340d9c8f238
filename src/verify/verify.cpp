// `pgbak verify [GENERATION...]`: reads every stored file once, streaming, and reports every
// problem on its own line: compressed data, SHA256SUMS, WAL headers, system identifiers, and
// whether the WAL carries each base backup to the newest segment across timeline switches.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include "cli/commands.h"
#include "io/error.h"
#include "io/file.h"
#include "io/human.h"
#include "pipeline/stored_scan.h"
#include "repo/backup_dir.h"
#include "repo/backup_end.h"
#include "repo/base_label.h"
#include "repo/lineage.h"
#include "repo/sha256sums.h"
#include "repo/stored_names.h"
#include "repo/tablespaces.h"
#include "state/drop_record.h"
#include "verify/wal_file_check.h"
#include "wal/timeline_history.h"
#include "wal/wal_continuity.h"

namespace pgbak {
namespace {

constexpr uint32_t kDefaultSegSize = 16 << 20;

struct Report {
  uint64_t problems = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;
  bool progress = ::isatty(2) == 1;

  void problem(const std::string& line) {
    clear_progress();
    std::cout << line << "\n" << std::flush;
    ++problems;
  }
  void show_progress(const std::string& gen, const std::string& what) {
    if (progress) std::cerr << "\r\033[Kverify: generation " << gen << ": " << what << std::flush;
  }
  void clear_progress() {
    if (progress) std::cerr << "\r\033[K" << std::flush;
  }
};

// scan_stored_file, counted in the report.
StoredFileScan scan(const Config& config, int dirfd, const std::string& name,
                    const std::string& display, const std::string& identity, Sink& content,
                    Report& report) {
  StoredFileScan result;
  try {
    result = scan_stored_file(config, dirfd, name, display, identity, content);
  } catch (const Error& e) {
    result.error = e.what();  // cannot be opened (e.g. not a regular file): its problem, go on
  }
  ++report.files;
  report.bytes += result.bytes;
  return result;
}

// Timeline histories from every generation of one lineage: a switch may have been archived into
// an older generation than the WAL that follows it. Another lineage's histories (a side
// generation's, one from before the server went back in time) are not this one's. The newest
// generation's copy wins.
std::map<uint32_t, std::vector<HistoryEntry>> collect_histories(
    const BackupDir& dir, const std::vector<std::string>& gens, const Config& config) {
  std::map<uint32_t, std::vector<HistoryEntry>> out;
  for (const std::string& name : gens) {
    // A missing pg_wal/ or a symlink is reported when the generation itself is verified.
    std::optional<Generation> opened;
    try {
      opened = dir.try_open_generation(name);
    } catch (const CorruptError&) {
      continue;
    }
    if (!opened) continue;
    Generation& gen = *opened;
    for (const std::string& file : list_dir(gen.wal_dir.get(), gen.path)) {
      auto original = original_name(file, ".zst");  // NAME.zst or NAME.zst.enc
      if (!original || !original->ends_with(".history")) continue;
      auto wal = parse_wal_name(*original);
      if (!wal) continue;
      TextSink text;
      StoredFileScan scanned;
      try {
        scanned = scan_stored_file(config, gen.wal_dir.get(), file, path_join(gen.path, file),
                                   wal_identity(gen.name, file), text);
      } catch (const CorruptError&) {
        continue;  // not a regular file: reported when the generation itself is verified
      }
      std::vector<HistoryEntry> entries;
      if (scanned.error.empty() && !parse_timeline_history(text.text, wal->tli, entries)) {
        out[wal->tli] = entries;
      }
    }
  }
  return out;
}

// Reads a tar's entries for their structure only.
class NullTarHandler : public TarHandler {
 public:
  void begin(const TarEntry&) override {}
  void data(std::span<const std::byte>) override {}
  void end() override {}
};

struct StoredWal {
  WalName name;
  std::string display;
  uint64_t sysid = 0;
  bool ok = false;
};

// The checks of one generation, in the order they run; each reports its own problems.
class GenerationCheck {
 public:
  GenerationCheck(const BackupDir& dir, const std::string& name, const Config& config,
                  Report& report)
      : gen_(dir.open_generation(name)), config_(config), report_(report) {}

  void check_base();
  void check_cluster_config();
  void check_tablespaces();
  void check_wal_files();
  void check_system_identifiers();
  void check_sums();
  // Returns the description of the base and the WAL path for the generation's summary line.
  std::string check_continuity(const std::map<uint32_t, std::vector<HistoryEntry>>& histories);

  size_t files() const { return present_.size(); }
  size_t unlisted() const { return present_.size() - listed_.size(); }

 private:
  Generation gen_;
  const Config& config_;  // keys for encrypted files
  Report& report_;
  std::map<std::string, std::string> digests_;  // relative path -> digest, of readable files
  std::set<std::string> present_;
  std::set<std::string> listed_;  // present and in SHA256SUMS
  std::optional<BaseInfo> base_;
  bool has_base_ = false;  // base.tzst or base.tzst.enc is present, readable or not
  std::vector<StoredWal> wals_;
  std::optional<uint64_t> stop_lsn_;
  uint32_t seg_size_ = 0;
};

void GenerationCheck::check_base() {
  // Without a base, a generation only carries WAL: the one that archive-wal starts before the
  // first snapshot, or one whose snapshot is pending or failed. Its WAL may still be what an
  // older base needs, so its files are checked all the same.
  std::optional<std::string> base = stored_base(gen_);  // maybe .enc
  if (!base) return;
  std::string display = path_join(gen_.path, *base);
  report_.show_progress(gen_.name, *base);
  present_.insert(*base);
  has_base_ = true;
  BaseScanner scanner;
  TarReader tar(scanner, display);
  StoredFileScan scanned = scan(config_, gen_.dir.get(), *base, display,
                                stored_identity(gen_.name, *base), tar, report_);
  std::string& error = scanned.error;
  if (error.empty()) {
    try {
      tar.finish();
      base_ = scanner.info(display);
    } catch (const Error& e) {
      error = e.what();
    }
  }
  if (!error.empty()) return report_.problem(error);
  digests_[*base] = scanned.digest;
}

// config.tzst (a Debian cluster's configuration): whole, and a tar that reads to its end.
void GenerationCheck::check_cluster_config() {
  std::optional<std::string> stored = find_stored(gen_.dir.get(), kConfigFile);
  if (!stored) return;
  std::string display = path_join(gen_.path, *stored);
  present_.insert(*stored);
  NullTarHandler discard;
  TarReader tar(discard, display);
  StoredFileScan scanned = scan(config_, gen_.dir.get(), *stored, display,
                                stored_identity(gen_.name, *stored), tar, report_);
  if (scanned.error.empty()) {
    try {
      tar.finish();
    } catch (const Error& e) {
      scanned.error = e.what();
    }
  }
  if (!scanned.error.empty()) return report_.problem(scanned.error);
  digests_[*stored] = scanned.digest;
}

// Each tablespace's tar (OID.tzst): readable, a whole tar, and named in the base's tablespace_map.
void GenerationCheck::check_tablespaces() {
  for (const TablespaceFile& t : tablespace_files(gen_)) {
    std::string display = path_join(gen_.path, t.stored);
    report_.show_progress(gen_.name, t.stored);
    present_.insert(t.stored);
    NullTarHandler ignore;
    TarReader tar(ignore, display);
    StoredFileScan scanned = scan(config_, gen_.dir.get(), t.stored, display,
                                  stored_identity(gen_.name, t.stored), tar, report_);
    std::string& error = scanned.error;
    if (error.empty()) {
      try {
        tar.finish();
      } catch (const Error& e) {
        error = e.what();
      }
    }
    if (!error.empty()) {
      report_.problem(error);
      continue;
    }
    digests_[t.stored] = scanned.digest;
    if (base_ && !base_->tablespaces.count(t.oid)) {
      report_.problem(display + ": tablespace " + std::to_string(t.oid) +
                      " is not in the base backup's tablespace_map");
    }
  }
  if (!base_) return;
  for (const auto& [oid, location] : base_->tablespaces) {
    if (!find_stored(gen_.dir.get(), tablespace_file_name(oid))) {
      report_.problem(path_join(gen_.path, tablespace_file_name(oid)) + ": missing (tablespace " +
                      std::to_string(oid) + " in " + location + " is part of the base backup)");
    }
  }
}

void GenerationCheck::check_wal_files() {
  std::vector<std::string> files = list_dir(gen_.wal_dir.get(), gen_.path);
  std::sort(files.begin(), files.end());
  for (size_t i = 0; i < files.size(); ++i) {
    report_.show_progress(
        gen_.name, std::to_string(i + 1) + "/" + std::to_string(files.size()) + " WAL files");
    const std::string& file = files[i];
    std::string rel = wal_relative(file);
    std::string display = path_join(gen_.path, rel);
    auto original = original_name(file, ".zst");  // NAME.zst or NAME.zst.enc
    auto wal = original ? parse_wal_name(*original) : std::nullopt;
    if (!wal) {
      if (!file.starts_with(".")) report_.problem(display + ": not a WAL file name");
      continue;  // a leading dot: a writer's temp file
    }
    present_.insert(rel);
    StoredWal stored{*wal, display};
    StoredFileScan scanned;
    std::string& error = scanned.error;
    if (wal->kind == WalKind::kSegment || wal->kind == WalKind::kPartial) {
      WalFileCheck check(*wal);
      scanned = scan(config_, gen_.wal_dir.get(), file, display, stored_identity(gen_.name, rel),
                     check, report_);
      if (error.empty()) {
        if (auto why = check.finish()) error = display + ": " + *why;
      }
      stored.sysid = check.sysid();
      if (error.empty() && seg_size_ == 0) seg_size_ = check.seg_size();
    } else {
      TextSink text;
      scanned = scan(config_, gen_.wal_dir.get(), file, display, stored_identity(gen_.name, rel),
                     text, report_);
      std::vector<HistoryEntry> entries;
      if (error.empty() && wal->kind == WalKind::kHistory) {
        if (auto why = parse_timeline_history(text.text, wal->tli, entries)) {
          error = display + ": malformed timeline history: " + *why;
        }
      }
      // The backup history file of this generation's base says where the backup ended.
      if (error.empty() && wal->kind == WalKind::kBackup && base_) {
        auto history = parse_backup_history(text.text);
        if (history && history->start_lsn == base_->label->start_lsn) {
          stop_lsn_ = history->stop_lsn;
        }
      }
    }
    stored.ok = error.empty();
    if (stored.ok) {
      digests_[rel] = scanned.digest;
    } else {
      report_.problem(error);
    }
    wals_.push_back(std::move(stored));
  }
  report_.clear_progress();
  if (seg_size_ == 0) seg_size_ = kDefaultSegSize;
}

// One system identifier per generation: the recorded one, else the base's, else the first
// segment's.
void GenerationCheck::check_system_identifiers() {
  std::optional<uint64_t> sysid = read_generation_sysid(gen_);
  if (!sysid && base_ && base_->sysid) sysid = base_->sysid;
  if (base_ && base_->sysid && sysid != base_->sysid) {
    report_.problem(path_join(gen_.path, kBaseFile) + ": system identifier " +
                    std::to_string(*base_->sysid) + " differs from the generation's " +
                    std::to_string(*sysid));
  }
  for (const StoredWal& w : wals_) {
    if (!w.ok || w.sysid == 0) continue;
    if (!sysid) sysid = w.sysid;
    if (w.sysid != *sysid) {
      report_.problem(w.display + ": system identifier " + std::to_string(w.sysid) +
                      " differs from the generation's " + std::to_string(*sysid) +
                      " (a segment of another cluster)");
    }
  }
}

void GenerationCheck::check_sums() {
  std::string sums_display = path_join(gen_.path, kSumsFile);
  auto text = read_small_file(gen_.dir.get(), kSumsFile, sums_display);
  if (!text) return;  // not written yet: the sync writes it before running the backup script
  Sha256Sums sums = parse_sha256sums(*text);
  for (const std::string& why : sums.problems) report_.problem(sums_display + ": " + why);
  for (const Sha256SumsEntry& e : sums.entries) {
    std::string display = path_join(gen_.path, e.path);
    if (!present_.count(e.path)) {
      report_.problem(display + ": listed in " + kSumsFile + " but missing");
      continue;
    }
    listed_.insert(e.path);
    auto digest = digests_.find(e.path);
    if (digest != digests_.end() && digest->second != e.digest) {
      report_.problem(display + ": SHA-256 " + digest->second + " differs from " + kSumsFile +
                      " (" + e.digest + ")");
    }
  }
}

std::string GenerationCheck::check_continuity(
    const std::map<uint32_t, std::vector<HistoryEntry>>& histories) {
  if (!base_) return has_base_ ? "" : "no base backup (WAL only), ";
  ContinuityInput in;
  in.seg_size = seg_size_;
  in.start_lsn = base_->label->start_lsn;
  in.start_tli = base_->label->start_tli;
  in.stop_lsn = stop_lsn_;
  in.histories = histories;
  for (const StoredWal& w : wals_) {
    if (w.name.kind == WalKind::kSegment) {
      in.segments.insert({w.name.tli, segment_number(w.name, seg_size_)});
    }
  }
  ContinuityResult c = pgbak::check_continuity(in);
  for (const std::string& why : c.problems) report_.problem(gen_.path + ": " + why);
  std::string newest = c.last_segment + 1 > c.first_segment
                           ? segment_file_name(c.last_tli, c.last_segment, seg_size_)
                           : std::string("(none)");
  return "base at " + format_lsn(in.start_lsn) + " on timeline " + std::to_string(in.start_tli) +
         ", WAL to " + newest + " on timelines " + describe_path(c) + ", ";
}

void verify_generation(const BackupDir& dir, const std::string& name, const Config& config,
                       const std::map<uint32_t, std::vector<HistoryEntry>>& histories,
                       const DropRecord& dropped, Report& report, int verbosity) {
  uint64_t problems_before = report.problems;
  GenerationCheck check(dir, name, config, report);
  check.check_base();
  check.check_cluster_config();
  check.check_tablespaces();
  check.check_wal_files();
  check.check_system_identifiers();
  check.check_sums();
  std::string summary = check.check_continuity(histories);
  std::string history;
  if (auto marker = read_new_history(dir.open_generation(name))) {
    // Named, not a problem: the generation's own files are checked like any other, and no
    // restore of the other generations reads it.
    history = marker->side ? "side generation: another server's history, never read by restores "
                             "of the other generations (" +
                                 marker->reason + "), "
                           : "starts a new history (" + marker->reason + "), ";
  }
  // A gap continuity cannot see when nothing was archived after it: archive-wal's own record.
  if (const DropEpisode* e = dropped.find(name)) {
    report.problem(path_join(dir.path(), name) + ": " + std::to_string(e->count) +
                   " WAL file(s) from " + e->first + " to " + e->last +
                   " were dropped for lack of space (archive-full-disk = drop): this generation "
                   "cannot be restored past " +
                   e->first);
  }
  if (verbosity >= 0) {
    uint64_t found = report.problems - problems_before;
    size_t unlisted = check.unlisted();
    std::cout << "generation " << name << ": " << history << summary
              << count_of(check.files(), "file")
              << (unlisted > 0 ? " (" + std::to_string(unlisted) + " not yet in " + kSumsFile + ")"
                               : "")
              << ": " << (found == 0 ? "ok" : count_of(found, "problem")) << "\n";
  }
}

}  // namespace

int run_verify(Invocation& inv) {
  BackupDir dir(inv.require_dir());
  std::vector<std::string> all = dir.generations();
  std::vector<std::string> chosen = inv.args.empty() ? all : inv.args;
  for (const std::string& g : chosen) {
    if (!is_generation_name(g)) throw UsageError("invalid generation '" + g + "'");
  }
  Report report;
  bool any_base =
      std::any_of(all.begin(), all.end(), [&](const std::string& g) { return has_base(dir, g); });
  if (!any_base)
    report.problem(dir.path() + ": no generation has a base backup: nothing to restore");
  DropRecord dropped = read_drop_record(dir.fd(), dir.path());
  std::map<std::string, std::map<uint32_t, std::vector<HistoryEntry>>> by_lineage;
  for (const std::string& name : chosen) {
    try {
      std::string start = lineage_start(dir, name);
      if (!by_lineage.count(start)) {
        by_lineage[start] = collect_histories(dir, lineage_members(dir, name), inv.config);
      }
      const auto& histories = by_lineage[start];
      verify_generation(dir, name, inv.config, histories, dropped, report, inv.verbosity);
    } catch (const Error& e) {
      report.problem(e.what());
    }
  }
  std::cout << "verify: " << count_of(chosen.size(), "generation") << ", "
            << count_of(report.files, "file") << ", " << count_of(report.bytes, "byte") << ": "
            << (report.problems == 0 ? "no problems" : count_of(report.problems, "problem"))
            << "\n";
  return report.problems == 0 ? 0 : 1;
}

}  // namespace pgbak
