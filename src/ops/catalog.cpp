#include "ops/catalog.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "io/error.h"
#include "io/file.h"
#include "pipeline/stored_file.h"
#include "pipeline/stored_scan.h"
#include "repo/backup_end.h"
#include "repo/lineage.h"
#include "repo/stored_names.h"
#include "repo/upload_marks.h"
#include "wal/wal_continuity.h"
#include "wal/wal_name.h"

namespace pgbak {
namespace {

constexpr uint32_t kDefaultSegSize = 16 << 20;

// The WAL segment size the label was written with: the power of two from 1 MiB to 1 GiB under
// which its start LSN lies in its start file (the default where several fit).
uint32_t label_seg_size(const BackupLabel& label) {
  auto fits = [&](uint32_t size) {
    return segment_file_name(label.start_tli, label.start_lsn / size, size) == label.start_wal_file;
  };
  if (fits(kDefaultSegSize)) return kDefaultSegSize;
  for (uint32_t size = 1 << 20; size != 0 && size <= (1u << 30); size <<= 1) {
    if (fits(size)) return size;
  }
  return kDefaultSegSize;
}

struct StoredWalFile {
  std::string stored;
  WalName name;
};

std::vector<StoredWalFile> wal_files_of(const ListedGeneration& g) {
  std::vector<StoredWalFile> out;
  for (const std::string& stored : g.wal_stored) {
    auto original = original_name(stored, ".zst");
    if (!original) continue;
    if (auto name = parse_wal_name(*original)) out.push_back({stored, *name});
  }
  return out;
}

// Newer segment first by (log, seg), then timeline: names compare that way from their 9th digit.
bool newer_segment(const std::string& a, const std::string& b) {
  return a.substr(8) != b.substr(8) ? a.substr(8) > b.substr(8) : a > b;
}

class Summarizer {
 public:
  explicit Summarizer(const CatalogSource& src) : src_(src) {}

  GenerationSummary summarize(size_t i) {
    const ListedGeneration& g = src_.gens[i];
    GenerationSummary s;
    s.name = g.name;
    s.current = g.name == src_.current;
    s.has_base = g.has_base;
    s.not_uploaded_files = g.not_uploaded_files;
    own_wal(g, s);
    if (!g.has_base) return s;
    BaseInfo info;
    BackupEnd end;
    try {
      info = src_.bases.read_label(g.name);
      end = src_.bases.read_end(g.name, info);
    } catch (const Error& e) {
      s.base_error = e.what();
      return s;
    }
    const BackupLabel& label = *info.label;
    s.start_lsn = label.start_lsn;
    s.start_tli = label.start_tli;
    s.start_time = info.start_time;
    s.stop_lsn = end.lsn;
    s.stop_time = end.time;
    s.stop_source = end.from_history ? "backup history" : end.time ? "base file time" : "";
    window(i, label, s);
    return s;
  }

 private:
  void own_wal(const ListedGeneration& g, GenerationSummary& s) {
    for (const StoredWalFile& w : wal_files_of(g)) {
      ++s.wal_files;
      if (auto t = g.wal_time.find(w.stored); t != g.wal_time.end()) {
        s.newest_wal_time = std::max(s.newest_wal_time.value_or(0), t->second);
      }
      if (w.name.kind != WalKind::kSegment) continue;
      std::string n = std::string(*original_name(w.stored, ".zst"));
      if (s.first_wal.empty() || newer_segment(s.first_wal, n)) s.first_wal = n;
      if (s.newest_wal.empty() || newer_segment(n, s.newest_wal)) s.newest_wal = n;
    }
  }

  // The timeline history of `tli` found in generation `gen` (read once).
  const std::optional<std::vector<HistoryEntry>>& history(const std::string& gen,
                                                          const std::string& stored, uint32_t tli) {
    auto key = gen + "/" + stored;
    auto it = histories_.find(key);
    if (it != histories_.end()) return it->second;
    std::optional<std::vector<HistoryEntry>> parsed;
    if (auto text = src_.read_wal_text(gen, stored)) {
      std::vector<HistoryEntry> entries;
      if (!parse_timeline_history(*text, tli, entries)) parsed = std::move(entries);
    }
    return histories_[key] = std::move(parsed);
  }

  // Replay from the base through this generation and the newer ones of its lineage.
  void window(size_t i, const BackupLabel& label, GenerationSummary& s) {
    ContinuityInput in;
    in.seg_size = label_seg_size(label);
    in.start_lsn = label.start_lsn;
    in.start_tli = label.start_tli;
    in.stop_lsn = s.stop_lsn;
    std::map<std::pair<uint32_t, uint64_t>, int64_t> archived;
    for (size_t j = i; j < src_.gens.size(); ++j) {
      const ListedGeneration& g = src_.gens[j];
      if (g.lineage != src_.gens[i].lineage) continue;
      for (const StoredWalFile& w : wal_files_of(g)) {
        if (w.name.kind == WalKind::kSegment) {
          auto seg = std::pair(w.name.tli, segment_number(w.name, in.seg_size));
          in.segments.insert(seg);
          if (auto t = g.wal_time.find(w.stored); t != g.wal_time.end()) archived[seg] = t->second;
        } else if (w.name.kind == WalKind::kHistory && !in.histories.count(w.name.tli)) {
          if (const auto& h = history(g.name, w.stored, w.name.tli)) in.histories[w.name.tli] = *h;
        }
      }
    }
    ContinuityResult c = check_continuity(in);
    uint64_t start_seg = in.start_lsn / in.seg_size;
    uint64_t needed = s.stop_lsn && *s.stop_lsn > 0 ? (*s.stop_lsn - 1) / in.seg_size : start_seg;
    s.restorable = c.continuous_end && *c.continuous_end >= needed;
    if (c.continuous_end) {
      auto end = std::pair(c.continuous_tli, *c.continuous_end);
      s.window_end_wal = segment_file_name(end.first, end.second, in.seg_size);
      s.window_end_lsn = (end.second + 1) * in.seg_size;
      if (auto t = archived.find(end); t != archived.end()) s.window_end_time = t->second;
    }
    uint64_t reach = std::max(c.last_segment, needed);
    if (!c.continuous_end) {
      s.window_gap = segment_file_name(in.start_tli, start_seg, in.seg_size);
    } else if (*c.continuous_end < reach) {
      s.window_gap = segment_file_name(c.continuous_tli, *c.continuous_end + 1, in.seg_size);
    }
  }

  const CatalogSource& src_;
  std::map<std::string, std::optional<std::vector<HistoryEntry>>> histories_;
};

}  // namespace

CatalogSource local_catalog(const BackupDir& dir, const Config& config) {
  CatalogSource src;
  src.where = "local";
  src.current = dir.current_name();
  src.bases = local_candidates(dir, config);
  UploadMarks marks;
  try {
    marks = read_upload_marks(dir.fd(), dir.path());
  } catch (const Error&) {
  }
  for (const std::string& name : dir.generations()) {
    std::optional<Generation> g;
    try {
      g = dir.try_open_generation(name);
    } catch (const CorruptError&) {
      // Not a generation pgbak can read (e.g. a symlink planted among them): verify names it.
    }
    if (!g) continue;
    ListedGeneration l;
    l.name = name;
    l.has_base = stored_base(*g).has_value();
    for (const std::string& stored : list_dir(g->wal_dir.get(), g->path)) {
      if (stored.starts_with(".") || !original_name(stored, ".zst")) continue;
      l.wal_stored.push_back(stored);
      struct stat st;
      if (::fstatat(g->wal_dir.get(), stored.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        l.wal_time[stored] = st.st_mtime;
      }
    }
    std::sort(l.wal_stored.begin(), l.wal_stored.end());
    l.lineage = lineage_start(dir, name);
    try {
      l.not_uploaded_files = files_not_uploaded(*g, marks);
    } catch (const Error&) {
      // An unreadable SHA256SUMS: the upload state stays unknown (verify names the file).
    }
    src.gens.push_back(std::move(l));
  }
  src.read_wal_text = [&dir, &config](const std::string& gen,
                                      const std::string& stored) -> std::optional<std::string> {
    try {
      Generation g = dir.open_generation(gen);
      TextSink text;
      read_stored_file(config, g.wal_dir.get(), stored, path_join(g.path, stored),
                       wal_identity(gen, stored), text);
      return text.text;
    } catch (const Error&) {
      return std::nullopt;  // unreadable: verify names it; here the history is unknown
    }
  };
  return src;
}

CatalogSource remote_catalog(const BackupDir& dir, const RemoteBases& remote) {
  CatalogSource src;
  src.where = "remote";
  src.bases = remote.candidates();
  std::string wal_prefix = std::string(kWalDir) + "/";
  for (const RemoteGeneration& g : remote.listing().generations()) {
    ListedGeneration l;
    l.name = g.name;
    l.has_base = g.stored(kBaseFile).has_value();
    for (const std::string& rel : g.files) {
      if (rel.starts_with(wal_prefix) && rel.find('/', wal_prefix.size()) == std::string::npos) {
        l.wal_stored.push_back(rel.substr(wal_prefix.size()));
      }
    }
    src.gens.push_back(std::move(l));
  }
  auto local = dir.current_name();
  if (local && remote.listing().find(*local)) {
    src.current = local;
  } else if (!src.gens.empty()) {
    src.current = src.gens.back().name;
  }
  src.read_wal_text = [&remote, wal_prefix](const std::string& gen, const std::string& stored) {
    return remote.read_text(gen, wal_prefix + stored);
  };
  return src;
}

std::vector<GenerationSummary> summarize(const CatalogSource& source) {
  Summarizer s(source);
  std::vector<GenerationSummary> out;
  for (size_t i = 0; i < source.gens.size(); ++i) out.push_back(s.summarize(i));
  return out;
}

}  // namespace pgbak
