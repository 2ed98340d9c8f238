#include "state/drop_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "io/error.h"
#include "io/file.h"

namespace pgbak {
namespace {

// Past the state byte and the lock bytes; the end stays inside a 4 KiB first block.
constexpr off_t kOffset = 64;
constexpr size_t kSpace = 4096 - kOffset;

}  // namespace

const DropEpisode* DropRecord::find(const std::string& generation) const {
  for (const auto& e : episodes) {
    if (e.generation == generation) return &e;
  }
  return nullptr;
}

std::string format_drop_record(const DropRecord& r) {
  if (r.total == 0) return "";
  std::string out = "dropped " + std::to_string(r.total) + " " + std::to_string(r.last_time) + " " +
                    r.last_name + "\n";
  for (const auto& e : r.episodes) {
    out += e.generation + " " + e.first + " " + e.last + " " + std::to_string(e.count) + "\n";
  }
  return out;
}

DropRecord parse_drop_record(const std::string& text) {
  DropRecord r;
  std::istringstream in(text);
  std::string line, word;
  if (!std::getline(in, line)) return r;
  std::istringstream head(line);
  if (!(head >> word >> r.total >> r.last_time >> r.last_name) || word != "dropped") return {};
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    DropEpisode e;
    if (fields >> e.generation >> e.first >> e.last >> e.count) r.episodes.push_back(e);
  }
  return r;
}

void add_drop(DropRecord& r, const std::string& generation, const std::string& wal, int64_t now) {
  ++r.total;
  r.last_time = now;
  r.last_name = wal;
  auto it = std::find_if(r.episodes.begin(), r.episodes.end(),
                         [&](const DropEpisode& e) { return e.generation == generation; });
  if (it == r.episodes.end()) {
    r.episodes.push_back(DropEpisode{generation, wal, wal, 0});
    it = std::prev(r.episodes.end());
  }
  it->first = std::min(it->first, wal);
  it->last = std::max(it->last, wal);
  ++it->count;
  while (format_drop_record(r).size() + 1 > kSpace && r.episodes.size() > 1) {
    r.episodes.erase(r.episodes.begin());
  }
}

namespace {

DropRecord read_record(int fd, const std::string& display) {
  std::string buf(kSpace, '\0');
  ssize_t n = ::pread(fd, buf.data(), buf.size(), kOffset);
  if (n < 0) throw_sys("cannot read state file", display);
  buf.resize(static_cast<size_t>(n));
  buf.resize(std::min(buf.size(), buf.find('\0')));
  return parse_drop_record(buf);
}

}  // namespace

DropRecord read_drop_record(StateFile& f) {
  return read_record(f.fd(), f.path());
}

DropRecord read_drop_record(int backup_dirfd, const std::string& backup_path) {
  std::string display = path_join(backup_path, kStateFileName);
  auto fd = try_open_regular_at(backup_dirfd, kStateFileName, O_RDONLY, display);
  return fd ? read_record(fd->get(), display) : DropRecord{};
}

void write_drop_record(StateFile& f, const DropRecord& r) {
  std::string text = format_drop_record(r);
  text.push_back('\0');  // where the record ends (a shorter one may follow a longer)
  if (::pwrite(f.fd(), text.data(), text.size(), kOffset) != static_cast<ssize_t>(text.size())) {
    throw_sys("cannot record the dropped WAL file in", f.path());
  }
  if (::fdatasync(f.fd()) != 0) throw_sys("cannot fsync state file", f.path());
}

}  // namespace pgbak
