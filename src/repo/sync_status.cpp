#include "repo/sync_status.h"

#include <sstream>
#include <type_traits>

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

// The one list of fields: formatting and parsing both walk it, so they cannot disagree.
template <typename S, typename F>
void for_each_field(S& s, F&& f) {
  f("pid", s.pid);
  f("started", s.started);
  f("last_success", s.last_success);
  f("last_base_ts", s.last_base_ts);
  f("last_current_ts", s.last_current_ts);
  f("last_snapshot", s.last_snapshot);
  f("consecutive_failures", s.consecutive_failures);
  f("last_failure", s.last_failure);
  f("last_error", s.last_error);
  f("next_retry", s.next_retry);
  f("failing_step", s.failing_step);
  f("failing_since", s.failing_since);
  f("script_pgid", s.script_pgid);
  f("script_sid", s.script_sid);
}

}  // namespace

std::string format_sync_status(const SyncStatus& s) {
  std::ostringstream out;
  for_each_field(s, [&](const char* key, const auto& value) {
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::string>) {
      out << key << "=" << one_line(value) << "\n";
    } else {
      out << key << "=" << value << "\n";
    }
  });
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
    for_each_field(s, [&](const char* name, auto& field) {
      if (key != name) return;
      if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>) {
        field = value;
      } else {
        try {
          field = static_cast<std::decay_t<decltype(field)>>(std::stoll(value));
        } catch (const std::exception&) {
          field = 0;
        }
      }
    });
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
