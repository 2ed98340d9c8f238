#include "repo/backup_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"

namespace pgbak {

bool is_generation_name(const std::string& name) {
  if (name.empty() || name.size() > 19 || name[0] == '0') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

BackupDir::BackupDir(std::string path) : path_(std::move(path)) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      throw Error("backup directory '" + path_ + "' does not exist (HINT: run 'pgbak -D " + path_ +
                  " init')");
    }
    throw_sys("cannot open backup directory", path_, err);
  }
  fd_.reset(fd);
}

std::optional<std::string> BackupDir::current_name() const {
  char buf[PATH_MAX];
  ssize_t n = ::readlinkat(fd_.get(), kCurrentLink, buf, sizeof buf - 1);
  if (n < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_sys("cannot read link", path_join(path_, kCurrentLink));
  }
  std::string target(buf, static_cast<size_t>(n));
  if (!is_generation_name(target)) {
    throw Error("'" + path_join(path_, kCurrentLink) + "' points to '" + target +
                "', which is not a generation");
  }
  return target;
}

std::vector<std::string> BackupDir::generations() const {
  std::vector<std::string> out;
  for (auto& name : list_dir(fd_.get(), path_)) {
    if (is_generation_name(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return out;
}

std::optional<Generation> BackupDir::try_open_generation(const std::string& name) const {
  Generation g;
  g.name = name;
  g.path = path_join(path_, name);
  auto dir = open_dir_at(fd_.get(), name, g.path);
  if (!dir) return std::nullopt;
  g.dir = std::move(*dir);
  auto wal = open_dir_at(g.dir.get(), kWalDir, path_join(g.path, kWalDir));
  if (!wal) return std::nullopt;
  g.wal_dir = std::move(*wal);
  return g;
}

Generation BackupDir::open_generation(const std::string& name) const {
  auto g = try_open_generation(name);
  if (!g) {
    throw Error("generation '" + path_join(path_, name) + "' does not exist or has no " + kWalDir +
                " directory");
  }
  return std::move(*g);
}

std::optional<Generation> BackupDir::open_current() const {
  auto name = current_name();
  if (!name) return std::nullopt;
  return open_generation(*name);
}

std::string BackupDir::create_generation(std::time_t now) const {
  unsigned long long ts = static_cast<unsigned long long>(now);
  auto existing = generations();
  if (!existing.empty()) ts = std::max(ts, std::stoull(existing.back()) + 1);
  // `current` may name a generation that was removed; its name may have been uploaded already.
  if (auto current = current_name()) ts = std::max(ts, std::stoull(*current) + 1);
  for (;; ++ts) {
    std::string name = std::to_string(ts);
    if (::mkdirat(fd_.get(), name.c_str(), 0700) == 0) {
      UniqueFd dir =
          openat_or_throw(fd_.get(), name, O_RDONLY | O_DIRECTORY, path_join(path_, name));
      ::fchmod(dir.get(), 0700);
      if (::mkdirat(dir.get(), kWalDir, 0700) != 0) {
        throw_sys("cannot create directory", path_join(path_join(path_, name), kWalDir));
      }
      UniqueFd wal = openat_or_throw(dir.get(), kWalDir, O_RDONLY | O_DIRECTORY,
                                     path_join(path_join(path_, name), kWalDir));
      ::fchmod(wal.get(), 0700);
      fsync_dir(dir.get(), path_join(path_, name));
      fsync_dir(fd_.get(), path_);
      return name;
    }
    if (errno != EEXIST) throw_sys("cannot create generation directory", path_join(path_, name));
  }
}

std::optional<uint64_t> parse_sysid(const std::string& text) {
  try {
    size_t used = 0;
    uint64_t v = std::stoull(text, &used);
    if (used > 0) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

void BackupDir::switch_current(const std::string& name) const {
  replace_symlink(fd_.get(), kCurrentLink, name, path_);
}

namespace {

std::optional<uint64_t> read_sysid_file(int dirfd, const std::string& display) {
  auto text = read_small_file(dirfd, base_name(display), display);
  if (!text) return std::nullopt;
  if (auto v = parse_sysid(*text)) return v;
  throw CorruptError("'" + display + "' does not hold a system identifier");
}

}  // namespace

std::optional<uint64_t> read_refused_sysid(const BackupDir& dir) {
  return read_sysid_file(dir.fd(), path_join(dir.path(), kRefusedSysidFile));
}

void record_refused_sysid(const BackupDir& dir, uint64_t sysid) {
  if (read_refused_sysid(dir) == sysid) return;
  std::string text = std::to_string(sysid) + "\n";
  DurableWriter w(dir.fd(), kRefusedSysidFile, path_join(dir.path(), kRefusedSysidFile));
  w.write(std::as_bytes(std::span(text)));
  w.commit_replace();
}

std::optional<uint64_t> read_generation_sysid(const Generation& g) {
  return read_sysid_file(g.dir.get(), path_join(g.path, kSysidFile));
}

uint64_t record_generation_sysid(const Generation& g, uint64_t sysid) {
  if (auto known = read_generation_sysid(g)) return *known;
  std::string text = std::to_string(sysid) + "\n";
  DurableWriter w(g.dir.get(), kSysidFile, path_join(g.path, kSysidFile));
  w.write(std::as_bytes(std::span(text)));
  if (w.commit()) return sysid;
  return read_generation_sysid(g).value_or(sysid);  // a concurrent archive-wal won the race
}

}  // namespace pgbak
