#include "repo/sync_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"

namespace pgbak {
namespace {

constexpr const char* kLogName = "sync.log";

}  // namespace

std::string format_utc(int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string log_tail_to_keep(const std::string& text, uint64_t keep) {
  if (text.size() <= keep) return text;
  size_t start = text.size() - keep;
  // Drop the partial first line; a tail that is one giant line is kept as it is.
  if (start > 0 && text[start - 1] != '\n') {
    size_t nl = text.find('\n', start);
    if (nl != std::string::npos) start = nl + 1;
  }
  return text.substr(start);
}

SyncLog::SyncLog(bool to_stderr, int verbosity) : to_stderr_(to_stderr), verbosity_(verbosity) {}

void SyncLog::attach_file(int dirfd, const std::string& dir_path, uint64_t max_bytes) {
  dirfd_ = dirfd;
  path_ = path_join(dir_path, kLogName);
  max_bytes_ = max_bytes;
  fd_ = open_regular_at(dirfd, kLogName, O_WRONLY | O_APPEND | O_CREAT, path_);
}

void SyncLog::info(const std::string& message) {
  if (to_stderr_ && verbosity_ >= 0) std::cerr << "pgbak: " << message << std::endl;
  write_line(message);
}

void SyncLog::error(const std::string& message) {
  if (to_stderr_) std::cerr << "pgbak: " << message << std::endl;
  write_line("ERROR: " + message);
}

void SyncLog::write_line(const std::string& message) {
  if (!fd_.valid()) return;
  std::string line =
      format_utc(std::time(nullptr)) + " [" + std::to_string(::getpid()) + "] " + message + "\n";
  // A log line that cannot be written must not stop the backup: the status record has the
  // essentials.
  try {
    struct stat st {};
    if (max_bytes_ > 0 && ::fstat(fd_.get(), &st) == 0 &&
        static_cast<uint64_t>(st.st_size) + line.size() > max_bytes_) {
      cut_back();
    }
    write_all(fd_.get(), line.data(), line.size(), path_);
  } catch (const Error&) {
  }
}

void SyncLog::cut_back() {
  auto text = read_small_file(dirfd_, kLogName, path_);
  std::string kept = log_tail_to_keep(text.value_or(""), max_bytes_ / 2);
  DurableWriter w(dirfd_, kLogName, path_);
  w.write(std::as_bytes(std::span(kept)));
  w.commit_replace();
  fd_ = open_regular_at(dirfd_, kLogName, O_WRONLY | O_APPEND, path_);
}

}  // namespace pgbak
