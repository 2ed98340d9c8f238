// Power-loss model of the durable write: an in-memory file system that keeps only what was
// fsynced (file data by fsync of the file, names by fsync of the directory). Cutting the power
// after every single call of a write must never leave a partial file under the final name.
#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "io/durable_writer.h"
#include "io/error.h"

using namespace pgbak;

namespace {

struct PowerCut {};

class PowerLossFs : public Fs {
 public:
  static constexpr int kDir = 100;

  // Without O_TMPFILE support, the writer falls back to a named temp file.
  PowerLossFs(int cut_after, bool tmpfile) : cut_after_(cut_after), tmpfile_(tmpfile) {}

  // A file that was there, durably, before the write began.
  void put(const std::string& name, const std::string& content) {
    auto inode = std::make_shared<Inode>(Inode{content, content});
    names_[name] = inode;
    durable_names_[name] = inode;
  }

  int open_tmpfile(int, mode_t) override {
    step("open_tmpfile");
    if (!tmpfile_) {
      errno = EOPNOTSUPP;
      return -1;
    }
    return new_fd(std::make_shared<Inode>());
  }
  int open_at(int, const char* name, int, mode_t) override {
    step("open");
    if (names_.count(name)) {
      errno = EEXIST;
      return -1;
    }
    auto inode = std::make_shared<Inode>();
    names_[name] = inode;
    return new_fd(inode);
  }
  ssize_t write(int fd, const void* data, size_t size) override {
    step("write");
    auto& d = files_.at(fd)->data;
    d.append(static_cast<const char*>(data), size);
    return static_cast<ssize_t>(size);
  }
  ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) override {
    step("write");
    auto& d = files_.at(fd)->data;
    size_t at = static_cast<size_t>(offset);
    if (d.size() < at + size) d.resize(at + size);
    d.replace(at, size, static_cast<const char*>(data), size);
    return static_cast<ssize_t>(size);
  }
  int fchmod(int, mode_t) override { return 0; }
  int fsync(int fd) override {
    step(fd == kDir ? "fsync_dir" : "fsync");
    if (fd == kDir) {
      durable_names_ = names_;
    } else {
      files_.at(fd)->synced = files_.at(fd)->data;
    }
    return 0;
  }
  int link_fd(int fd, int, const char* name) override {
    step("link");
    if (names_.count(name)) {
      errno = EEXIST;
      return -1;
    }
    names_[name] = files_.at(fd);
    return 0;
  }
  int link_at(int, const char* from, const char* to) override {
    step("link");
    if (names_.count(to)) {
      errno = EEXIST;
      return -1;
    }
    names_[to] = names_.at(from);
    return 0;
  }
  int rename_at(int, const char* from, const char* to) override {
    step("rename");
    names_[to] = names_.at(from);
    names_.erase(from);
    return 0;
  }
  int unlink_at(int, const char* name) override {
    names_.erase(name);
    return 0;
  }
  int close(int fd) override {
    files_.erase(fd);
    return 0;
  }

  // What a reader finds under name after the power came back, if anything.
  std::optional<std::string> after_power_loss(const std::string& name) const {
    auto it = durable_names_.find(name);
    if (it == durable_names_.end()) return std::nullopt;
    return it->second->synced;
  }
  const std::vector<std::string>& calls() const { return calls_; }

 private:
  struct Inode {
    std::string data;
    std::string synced;
  };

  void step(const char* what) {
    calls_.push_back(what);
    if (static_cast<int>(calls_.size()) > cut_after_) throw PowerCut{};
  }
  int new_fd(std::shared_ptr<Inode> inode) {
    files_[next_fd_] = std::move(inode);
    return next_fd_++;
  }

  int cut_after_;
  bool tmpfile_;
  int next_fd_ = 3;
  std::vector<std::string> calls_;
  std::map<int, std::shared_ptr<Inode>> files_;
  std::map<std::string, std::shared_ptr<Inode>> names_;
  std::map<std::string, std::shared_ptr<Inode>> durable_names_;
};

const std::string kContent = std::string(5000, 'x') + "end";

// Writes kContent in three pieces (appended, or positioned and out of order as restore-wal's
// threads do) and commits; returns true if it ran to the end.
bool write_file(PowerLossFs& fs, bool replace, bool positional = false) {
  try {
    DurableWriter w(PowerLossFs::kDir, "f", "f", fs);
    auto bytes = std::as_bytes(std::span(kContent));
    if (positional) {
      w.allocate(bytes.size());
      w.write_at(4000, bytes.subspan(4000));
      w.write_at(0, bytes.subspan(0, 1000));
      w.write_at(1000, bytes.subspan(1000, 3000));
    } else {
      w.write(bytes.subspan(0, 1000));
      w.write(bytes.subspan(1000, 3000));
      w.write(bytes.subspan(4000));
    }
    if (replace) {
      w.commit_replace();
    } else {
      BOOST_REQUIRE(w.commit());
    }
    return true;
  } catch (const PowerCut&) {
    return false;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_power_loss)

// Every combination: O_TMPFILE or the named temp file, a new name or one replacing a file that
// was there (which must then hold the old content or the new, never nothing), appended or
// positioned writes.
BOOST_AUTO_TEST_CASE(final_name_holds_all_or_nothing_at_every_cut) {
  const std::string old_content = "the old file";
  for (int mode = 0; mode < 16; ++mode) {
    bool replace = mode & 1;
    bool positional = mode & 2;
    bool tmpfile = mode & 4;
    bool existing = mode & 8;
    if (existing && !replace) continue;  // commit() refuses an existing name
    bool finished = false;
    for (int cut = 0; !finished; ++cut) {
      PowerLossFs fs(cut, tmpfile);
      if (existing) fs.put("f", old_content);
      finished = write_file(fs, replace, positional);
      auto seen = fs.after_power_loss("f");
      if (seen && !(existing && !finished && *seen == old_content)) {
        BOOST_TEST(*seen == kContent,
                   "partial file after a cut at call " << cut << ", mode " << mode);
      }
      if (existing) BOOST_TEST(seen.has_value(), "the old file vanished at call " << cut);
      if (finished) {
        BOOST_TEST(seen.has_value(), "a finished write must survive the power loss");
        if (seen) BOOST_TEST(*seen == kContent);
      }
      BOOST_REQUIRE(cut < 100);
    }
  }
}

BOOST_AUTO_TEST_CASE(data_is_synced_before_the_name_and_the_directory_after) {
  PowerLossFs fs(1000, true);
  BOOST_REQUIRE(write_file(fs, false));
  auto calls = fs.calls();
  auto at = [&](const std::string& what) {
    return std::find(calls.begin(), calls.end(), what) - calls.begin();
  };
  BOOST_TEST(at("fsync") < at("link"));
  BOOST_TEST(at("link") < at("fsync_dir"));
  BOOST_TEST(std::count(calls.begin(), calls.end(), std::string("fsync")) == 1);
  BOOST_TEST(std::count(calls.begin(), calls.end(), std::string("fsync_dir")) == 1);
}

BOOST_AUTO_TEST_SUITE_END()
