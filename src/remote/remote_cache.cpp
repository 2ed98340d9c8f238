#include "remote/remote_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"
#include "remote/remote_sums.h"
#include "repo/backup_dir.h"
#include "repo/sha256sums.h"

namespace pgbak {
namespace {

constexpr const char* kListingFile = ".remote-listing";
constexpr const char* kSumsPrefix = ".remote-sums.";

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

bool fresh(double fetched_at) {
  double age = now_seconds() - fetched_at;
  return age >= -1 && age < RemoteCache::kMaxAge;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

void RemoteCache::attach(int dir, const std::string& dir_path) {
  std::lock_guard lock(mutex_);
  dir_ = dir;
  dir_path_ = dir_path;
  for (const auto& [name, entry] : memory_) write_file(name, entry);
}

std::optional<RemoteCache::Entry> RemoteCache::load(const std::string& name) {
  if (auto it = memory_.find(name); it != memory_.end() && fresh(it->second.fetched_at)) {
    return it->second;
  }
  if (dir_ < 0) return std::nullopt;
  try {
    std::string display = path_join(dir_path_, name);
    auto fd = try_open_regular_at(dir_, name, O_RDONLY, display);
    if (!fd) return std::nullopt;
    struct stat st;
    if (::fstat(fd->get(), &st) != 0) return std::nullopt;
    Entry entry;
    entry.fetched_at = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
    if (!fresh(entry.fetched_at)) return std::nullopt;
    StringSink text;
    pump(fd->get(), text, display);
    entry.text = std::move(text.text);
    memory_[name] = entry;
    return entry;
  } catch (const Error&) {
    return std::nullopt;  // unreadable: fetched again
  }
}

void RemoteCache::write_file(const std::string& name, const Entry& entry) {
  if (dir_ < 0) return;
  try {
    write_scratch_file(dir_, name, path_join(dir_path_, name), entry.text);
  } catch (const Error&) {
    // The spool was removed meanwhile, or is full: the next call fetches again.
  }
}

void RemoteCache::store(const std::string& name, Entry entry) {
  write_file(name, entry);
  memory_[name] = std::move(entry);
}

RemoteListing RemoteCache::listing(const FetchScript& fetch, bool refresh, bool* fetched) {
  std::lock_guard lock(mutex_);
  std::optional<Entry> cached;
  if (!refresh) cached = load(kListingFile);
  if (fetched) *fetched = !cached;
  if (!cached) {
    Entry entry{"", now_seconds()};
    for (const std::string& line : fetch.list()) entry.text += line + "\n";
    store(kListingFile, entry);
    cached = std::move(entry);
  }
  return RemoteListing(split_lines(cached->text));
}

std::optional<std::string> RemoteCache::listed_digest(const FetchScript& fetch,
                                                      const RemoteGeneration& gen,
                                                      const std::string& rel, bool refresh) {
  if (!gen.files.count(kSumsFile)) return std::nullopt;
  std::lock_guard lock(mutex_);
  std::string name = kSumsPrefix + gen.name;
  if (!refresh) {
    if (auto cached = load(name)) {
      auto sums = parse_checksums(cached->text);
      if (auto it = sums.find(rel); it != sums.end()) return it->second;
    }
  }
  double now = now_seconds();
  auto text = fetch_remote_sums(fetch, gen);
  if (!text) return std::nullopt;
  auto sums = parse_checksums(*text);
  store(name, Entry{std::move(*text), now});
  if (auto it = sums.find(rel); it != sums.end()) return it->second;
  return std::nullopt;
}

}  // namespace pgbak
