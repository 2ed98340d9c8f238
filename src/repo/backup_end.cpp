#include "repo/backup_end.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "io/error.h"
#include "io/file.h"
#include "io/lines.h"
#include "pipeline/stored_file.h"
#include "pipeline/stored_scan.h"
#include "repo/stored_names.h"
#include "wal/wal_name.h"

namespace pgbak {
namespace {

// "0/2000028 (file ...)" -> the LSN.
std::optional<uint64_t> location(std::string_view value) {
  return parse_lsn(value.substr(0, value.find(' ')));
}

}  // namespace

std::optional<BackupHistory> parse_backup_history(std::string_view text) {
  BackupHistory h;
  bool have_start = false;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 2);
    if (key == "START WAL LOCATION") {
      auto lsn = location(value);
      if (!lsn) return std::nullopt;
      h.start_lsn = *lsn;
      have_start = true;
    } else if (key == "STOP WAL LOCATION") {
      h.stop_lsn = location(value);
    } else if (key == "STOP TIME") {
      h.stop_time = parse_timestamp(value);
    }
  }
  if (!have_start) return std::nullopt;
  return h;
}

BackupEnd backup_end_from_history(const std::vector<std::string>& wal_stored,
                                  const BackupLabel& label, const StoredTextReader& read_text) {
  BackupEnd end;
  std::string prefix = label.start_wal_file + ".";
  for (const std::string& name : wal_stored) {
    auto original = original_name(name, ".zst");
    if (label.start_wal_file.empty() || !original || !original->starts_with(prefix) ||
        !original->ends_with(".backup")) {
      continue;
    }
    auto text = read_text(name);
    auto history = text ? parse_backup_history(*text) : std::nullopt;
    if (!history || history->start_lsn != label.start_lsn || !history->stop_lsn ||
        !history->stop_time) {
      continue;
    }
    end.lsn = history->stop_lsn;
    end.time = *history->stop_time + 1;  // STOP TIME is cut to whole seconds
    end.from_history = true;
    return end;
  }
  return end;
}

BackupEnd find_backup_end(const Generation& gen, const BackupLabel& label, const Config& config) {
  BackupEnd end = backup_end_from_history(
      list_dir(gen.wal_dir.get(), gen.path), label,
      [&](const std::string& name) -> std::optional<std::string> {
        TextSink text;
        try {
          read_stored_file(config, gen.wal_dir.get(), name, path_join(gen.path, name),
                           wal_identity(gen.name, name), text);
        } catch (const Error&) {
          return std::nullopt;  // unreadable: verify reports it; the fallback is on the safe side
        }
        return text.text;
      });
  if (end.from_history) return end;
  struct stat st;
  if (auto base = stored_base(gen);
      base && ::fstatat(gen.dir.get(), base->c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    end.time = static_cast<double>(st.st_mtim.tv_sec) + 1;
  }
  return end;
}

}  // namespace pgbak
