#include "ops/status.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "io/error.h"
#include "io/file.h"
#include "io/human.h"
#include "io/tree.h"
#include "ops/json.h"
#include "repo/stored_names.h"
#include "repo/upload_marks.h"
#include "state/state_file.h"

namespace pgbak {
namespace {

std::vector<std::string> work_names(uint8_t bits) {
  std::vector<std::string> out;
  if (bits & kSnapshot) out.push_back("snapshot");
  if (bits & kArchive) out.push_back("archive");
  return out;
}

void scan_generation(const Generation& g, StatusReport& r) {
  struct stat st;
  auto base = stored_base(g);
  if (base && ::fstatat(g.dir.get(), base->c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    r.base_time = st.st_mtime;
    r.base_bytes = static_cast<uint64_t>(st.st_size);
  }
  int64_t newest_ns = 0;
  for (const auto& name : list_dir(g.wal_dir.get(), path_join(g.path, kWalDir))) {
    if (name.starts_with(".") || !original_name(name, ".zst")) continue;
    if (::fstatat(g.wal_dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    ++r.wal_files;
    r.wal_bytes += static_cast<uint64_t>(st.st_size);
    int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    if (mtime_ns > newest_ns) {
      newest_ns = mtime_ns;
      r.newest_wal_time = st.st_mtime;
      r.newest_wal = std::string(*original_name(name, ".zst"));
    }
  }
}

// The recorded error while it still stands: a success since then (no consecutive failures)
// resolved it.
std::optional<std::string> unresolved_error(const SyncStatus& s) {
  if (s.consecutive_failures == 0 || s.last_error.empty()) return std::nullopt;
  return s.last_error;
}

// A Prometheus label value: backslash, double quote and line feed escaped.
std::string label_value(const std::string& s) {
  std::string escaped;
  for (char c : s) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

// Longer errors are cut in the label (the whole one is in status and sync.log).
constexpr size_t kReasonLabelMax = 300;

std::string age_text(int64_t t, int64_t now) {
  return t > 0 ? human_age(now - t) + " ago" : "never";
}

// Every generation's upload against sync.uploaded. An unreadable generation or marks file is
// left out: status reports what it can and never fails for it.
void scan_uploads(const BackupDir& dir, StatusReport& r) {
  UploadMarks marks;
  try {
    marks = read_upload_marks(dir.fd(), dir.path());
  } catch (const Error&) {
  }
  for (const std::string& name : dir.generations()) {
    try {
      auto g = dir.try_open_generation(name);
      if (!g) continue;
      if (uint64_t missing = files_not_uploaded(*g, marks))
        r.not_uploaded.emplace_back(name, missing);
    } catch (const Error&) {
    }
  }
}

std::string uploads_text(const StatusReport& r) {
  std::string s;
  for (const auto& [gen, files] : r.not_uploaded) {
    s += (s.empty() ? "" : ", ") + gen + (gen == r.generation ? " (current)" : "") + ": " +
         std::to_string(files) + " file(s) not uploaded";
  }
  return s.empty() ? "every generation" : s;
}

std::string drops_text(const StatusReport& r) {
  if (r.dropped.total == 0) return "none";
  std::string s = std::to_string(r.dropped.total) +
                  " WAL file(s) dropped for lack of space, last " + r.dropped.last_name + " " +
                  age_text(r.dropped.last_time, r.now);
  for (const auto& e : r.dropped.episodes) {
    s += "; generation " + e.generation + ": " + std::to_string(e.count) + " (" + e.first + " to " +
         e.last + ")";
  }
  return s;
}

std::string json_drops(const DropRecord& d) {
  std::string out = "[";
  for (size_t i = 0; i < d.episodes.size(); ++i) {
    const auto& e = d.episodes[i];
    out += std::string(i ? ", " : "") + "{\"generation\": " + json_string(e.generation) +
           ", \"first\": " + json_string(e.first) + ", \"last\": " + json_string(e.last) +
           ", \"count\": " + std::to_string(e.count) + "}";
  }
  return out + "]";
}

std::string json_uploads(const StatusReport& r) {
  std::string out = "[";
  for (size_t i = 0; i < r.not_uploaded.size(); ++i) {
    out += std::string(i ? ", " : "") + "{\"generation\": " + json_string(r.not_uploaded[i].first) +
           ", \"files\": " + std::to_string(r.not_uploaded[i].second) + "}";
  }
  return out + "]";
}

}  // namespace

StatusReport gather_status(const BackupDir& dir, int64_t now) {
  StatusReport r;
  r.dir = dir.path();
  r.now = now;
  r.generations = static_cast<int>(dir.generations().size());
  r.generation = dir.current_name();
  if (r.generation) {
    if (auto g = dir.try_open_generation(*r.generation)) scan_generation(*g, r);
  }
  StateFile state(dir.fd(), dir.path(), true);
  State s = state.read();  // one byte, read without the lock: always a consistent value
  r.pending = work_names(s.pending);
  r.running = work_names(s.running);
  r.sync_running = state.is_locked_by_other(LockByte::kBackup);
  r.sync = read_sync_status(dir.fd(), dir.path());
  r.dropped = read_drop_record(state);
  if (r.generation) {
    if (const DropEpisode* e = r.dropped.find(*r.generation)) r.dropped_current = e->count;
  }
  scan_uploads(dir, r);
  r.disk_used_bytes = tree_bytes(dir.path(), true);
  struct statvfs vfs;
  if (::fstatvfs(dir.fd(), &vfs) == 0) {
    r.disk_free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  return r;
}

std::string format_status_text(const StatusReport& r) {
  std::ostringstream o;
  auto row = [&](const char* key, const std::string& value) {
    o << key << std::string(20 - std::string(key).size(), ' ') << value << "\n";
  };
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("none") : s;
  };
  row("directory", r.dir + " (" + human_bytes(r.disk_used_bytes) + " used, " +
                       human_bytes(r.disk_free_bytes) + " free)");
  row("generation", r.generation ? *r.generation + " (" + std::to_string(r.generations) + " in all)"
                                 : std::string("none yet"));
  row("base backup", r.base_time ? human_bytes(r.base_bytes) + ", " + age_text(*r.base_time, r.now)
                                 : std::string("none yet"));
  row("WAL files", std::to_string(r.wal_files) + " (" + human_bytes(r.wal_bytes) + ")");
  row("newest WAL", r.newest_wal.empty()
                        ? std::string("none")
                        : r.newest_wal + " (" + age_text(r.newest_wal_time, r.now) + ")");
  row("pending", join(r.pending));
  row("sync", r.sync_running
                  ? "running (pid " + std::to_string(r.sync.pid) + ", " + join(r.running) + ")"
                  : std::string("idle"));
  row("last backup run", r.sync.last_success > 0 ? age_text(r.sync.last_success, r.now) +
                                                       " (base " + r.sync.last_base_ts + ")"
                                                 : std::string("never"));
  row("failures", std::to_string(r.sync.consecutive_failures) +
                      (r.sync.next_retry > r.now
                           ? " (next retry in " + human_age(r.sync.next_retry - r.now) + ")"
                           : ""));
  row("failing", r.sync.failing_step.empty() ? std::string("no")
                                             : r.sync.failing_step + " (since " +
                                                   age_text(r.sync.failing_since, r.now) + ")");
  // An error the sync has got past since (a success came after it) is history, not a problem.
  row("last error", unresolved_error(r.sync).value_or("none"));
  row("uploaded", uploads_text(r));
  row("dropped WAL", drops_text(r));
  return o.str();
}

std::string format_status_json(const StatusReport& r) {
  std::ostringstream o;
  o << "{\n"
    << "  \"directory\": " << json_string(r.dir) << ",\n"
    << "  \"generation\": " << (r.generation ? json_string(*r.generation) : "null") << ",\n"
    << "  \"generations\": " << r.generations << ",\n"
    << "  \"base_time\": " << json_time(r.base_time.value_or(0)) << ",\n"
    << "  \"base_bytes\": " << r.base_bytes << ",\n"
    << "  \"wal_files\": " << r.wal_files << ",\n"
    << "  \"wal_bytes\": " << r.wal_bytes << ",\n"
    << "  \"newest_wal\": " << (r.newest_wal.empty() ? "null" : json_string(r.newest_wal)) << ",\n"
    << "  \"newest_wal_time\": " << json_time(r.newest_wal_time) << ",\n"
    << "  \"pending\": " << json_list(r.pending) << ",\n"
    << "  \"running\": " << json_list(r.running) << ",\n"
    << "  \"sync_running\": " << (r.sync_running ? "true" : "false") << ",\n"
    << "  \"sync_pid\": "
    << (r.sync_running && r.sync.pid > 0 ? std::to_string(r.sync.pid) : "null") << ",\n"
    << "  \"last_backup_success\": " << json_time(r.sync.last_success) << ",\n"
    << "  \"consecutive_failures\": " << r.sync.consecutive_failures << ",\n"
    << "  \"last_failure\": " << json_time(r.sync.last_failure) << ",\n"
    << "  \"last_error\": " << json_string_or_null(unresolved_error(r.sync)) << ",\n"
    << "  \"next_retry\": " << json_time(r.sync.next_retry) << ",\n"
    << "  \"failing_step\": "
    << (r.sync.failing_step.empty() ? "null" : json_string(r.sync.failing_step)) << ",\n"
    << "  \"failing_since\": " << json_time(r.sync.failing_since) << ",\n"
    << "  \"not_uploaded\": " << json_uploads(r) << ",\n"
    << "  \"dropped_wal_total\": " << r.dropped.total << ",\n"
    << "  \"dropped_wal_current\": " << r.dropped_current << ",\n"
    << "  \"dropped_wal_last\": " << (r.dropped.total ? json_string(r.dropped.last_name) : "null")
    << ",\n"
    << "  \"dropped_wal_last_time\": " << json_time(r.dropped.last_time) << ",\n"
    << "  \"dropped_wal\": " << json_drops(r.dropped) << ",\n"
    << "  \"disk_used_bytes\": " << r.disk_used_bytes << ",\n"
    << "  \"disk_free_bytes\": " << r.disk_free_bytes << ",\n"
    << "  \"now\": " << r.now << "\n"
    << "}\n";
  return o.str();
}

std::string format_status_prometheus(const StatusReport& r) {
  std::ostringstream o;
  std::string label = "{dir=\"" + label_value(r.dir) + "\"}";
  auto metric = [&](const char* name, const char* type, const char* help,
                    const std::string& value) {
    o << "# HELP " << name << " " << help << "\n"
      << "# TYPE " << name << " " << type << "\n"
      << name << label << " " << value << "\n";
  };
  metric("pgbak_last_archive_timestamp_seconds", "gauge",
         "Modification time of the newest archived WAL file in the current generation.",
         std::to_string(r.newest_wal_time));
  metric("pgbak_last_backup_success_timestamp_seconds", "gauge",
         "Time of the last successful backup-script run (0 = never).",
         std::to_string(r.sync.last_success));
  metric("pgbak_base_timestamp_seconds", "gauge",
         "Time of the current generation's base backup (0 = none yet).",
         std::to_string(r.base_time.value_or(0)));
  metric("pgbak_sync_failures", "gauge", "Consecutive failed sync attempts.",
         std::to_string(r.sync.consecutive_failures));
  metric("pgbak_snapshot_failing", "gauge",
         "1 while the sync's snapshot keeps failing (reason in pgbak_sync_failing).",
         r.sync.failing_step == "snapshot" ? "1" : "0");
  if (!r.sync.failing_step.empty()) {
    // The step and its reason as labels, while failing: what an alert shows.
    std::string reason = r.sync.last_error.substr(0, kReasonLabelMax);
    o << "# HELP pgbak_sync_failing The step the sync is failing at, and why.\n"
      << "# TYPE pgbak_sync_failing gauge\n"
      << "pgbak_sync_failing{dir=\"" << label_value(r.dir) << "\",step=\""
      << label_value(r.sync.failing_step) << "\",reason=\"" << label_value(reason) << "\"} 1\n";
  }
  metric("pgbak_sync_running", "gauge", "1 while a sync runs.", r.sync_running ? "1" : "0");
  metric("pgbak_pending", "gauge",
         "Work waiting for the sync (bit 1 backup script, bit 2 snapshot).",
         std::to_string((std::count(r.pending.begin(), r.pending.end(), "archive") ? 1 : 0) |
                        (std::count(r.pending.begin(), r.pending.end(), "snapshot") ? 2 : 0)));
  metric("pgbak_wal_files", "gauge", "WAL files in the current generation.",
         std::to_string(r.wal_files));
  metric("pgbak_wal_bytes", "gauge", "Compressed bytes of WAL in the current generation.",
         std::to_string(r.wal_bytes));
  metric("pgbak_base_bytes", "gauge", "Compressed bytes of the current base backup.",
         std::to_string(r.base_bytes));
  metric("pgbak_generations", "gauge", "Generations in the backup directory.",
         std::to_string(r.generations));
  metric("pgbak_bytes", "gauge", "Disk space used by the backup directory.",
         std::to_string(r.disk_used_bytes));
  uint64_t files_not_uploaded = 0;
  for (const auto& item : r.not_uploaded) files_not_uploaded += item.second;
  metric("pgbak_generations_not_uploaded", "gauge",
         "Generations whose files a successful backup-script run has not all covered.",
         std::to_string(r.not_uploaded.size()));
  metric("pgbak_files_not_uploaded", "gauge",
         "Files of all generations no successful backup-script run has covered.",
         std::to_string(files_not_uploaded));
  metric("pgbak_dropped_wal_total", "counter",
         "WAL files archive-wal dropped for lack of space (archive-full-disk = drop).",
         std::to_string(r.dropped.total));
  metric("pgbak_dropped_wal_current", "gauge",
         "WAL files dropped from the current generation (0 once a new generation has started).",
         std::to_string(r.dropped_current));
  metric("pgbak_free_bytes", "gauge", "Free space on the backup directory's file system.",
         std::to_string(r.disk_free_bytes));
  return o.str();
}

}  // namespace pgbak
