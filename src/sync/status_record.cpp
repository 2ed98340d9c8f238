#include "sync/status_record.h"

#include <sstream>

#include "io/durable_writer.h"
#include "io/error.h"
#include "io/file.h"

namespace pgbak {
namespace {

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

int64_t to_int(const std::string& v) {
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string format_sync_status(const SyncStatus& s) {
  std::ostringstream out;
  out << "pid=" << s.pid << "\n"
      << "started=" << s.started << "\n"
      << "last_success=" << s.last_success << "\n"
      << "last_base_ts=" << one_line(s.last_base_ts) << "\n"
      << "last_current_ts=" << one_line(s.last_current_ts) << "\n"
      << "last_snapshot=" << s.last_snapshot << "\n"
      << "consecutive_failures=" << s.consecutive_failures << "\n"
      << "last_failure=" << s.last_failure << "\n"
      << "last_error=" << one_line(s.last_error) << "\n"
      << "next_retry=" << s.next_retry << "\n";
  return out.str();
}

SyncStatus parse_sync_status(const std::string& text) {
  SyncStatus s;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (key == "pid") s.pid = static_cast<pid_t>(to_int(value));
    else if (key == "started") s.started = to_int(value);
    else if (key == "last_success") s.last_success = to_int(value);
    else if (key == "last_base_ts") s.last_base_ts = value;
    else if (key == "last_current_ts") s.last_current_ts = value;
    else if (key == "last_snapshot") s.last_snapshot = to_int(value);
    else if (key == "consecutive_failures") s.consecutive_failures = static_cast<int>(to_int(value));
    else if (key == "last_failure") s.last_failure = to_int(value);
    else if (key == "last_error") s.last_error = value;
    else if (key == "next_retry") s.next_retry = to_int(value);
  }
  return s;
}

SyncStatus read_sync_status(int dirfd, const std::string& dir_path) {
  try {
    auto text = read_small_file(dirfd, kStatusFile, path_join(dir_path, kStatusFile));
    if (text) return parse_sync_status(*text);
  } catch (const Error&) {
  }
  return SyncStatus{};
}

void write_sync_status(int dirfd, const std::string& dir_path, const SyncStatus& s) {
  std::string text = format_sync_status(s);
  DurableWriter w(dirfd, kStatusFile, path_join(dir_path, kStatusFile));
  w.write(std::as_bytes(std::span(text)));
  w.commit_replace();
}

}  // namespace pgbak
