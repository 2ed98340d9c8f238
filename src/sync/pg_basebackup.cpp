#include "sync/pg_basebackup.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "io/error.h"
#include "io/file.h"
#include "io/process.h"

namespace pgbak {
namespace {

constexpr const char* kProgram = "pg_basebackup";

bool executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    if (!d.empty() && executable(path_join(d, name))) return path_join(d, name);
  }
  return "";
}

// Orders "9.6" < "15" < "16" by their numeric parts.
bool version_less(const std::string& a, const std::string& b) {
  double x = std::atof(a.c_str());
  double y = std::atof(b.c_str());
  return x != y ? x < y : a < b;
}

}  // namespace

std::string find_pg_basebackup(const Config& config) {
  if (!config.pg_bindir.empty()) {
    std::string p = path_join(config.pg_bindir, kProgram);
    if (executable(p)) return p;
    throw Error("cannot find pg_basebackup: '" + p +
                "' is not executable (HINT: fix pg-bindir in pgbak.conf)");
  }
  if (std::string p = on_path(kProgram); !p.empty()) return p;
  if (std::string pg_config = on_path("pg_config"); !pg_config.empty()) {
    if (auto out = capture_output(pg_config, {"pg_config", "--bindir"})) {
      std::string dir = out->substr(0, out->find('\n'));
      if (!dir.empty() && executable(path_join(dir, kProgram))) return path_join(dir, kProgram);
    }
  }
  try {
    UniqueFd root = open_dir("/usr/lib/postgresql");
    auto versions = list_dir(root.get(), "/usr/lib/postgresql");
    std::sort(versions.begin(), versions.end(), version_less);
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      std::string p = "/usr/lib/postgresql/" + *it + "/bin/" + kProgram;
      if (executable(p)) return p;
    }
  } catch (const SystemError&) {
    // No /usr/lib/postgresql (not a Debian layout): the error below says where we looked.
  }
  throw Error(
      "cannot find pg_basebackup: not on PATH, not in 'pg_config --bindir', not in "
      "/usr/lib/postgresql/*/bin (HINT: install PostgreSQL's client programs or set pg-bindir in "
      "pgbak.conf)");
}

std::optional<int> parse_major_version(std::string_view out) {
  // "pg_basebackup (PostgreSQL) 15.8 (Debian 15.8-1)": the number after the product name; a
  // wrapper's output without it still counts if it has one number.
  if (auto at = out.find("(PostgreSQL)"); at != std::string_view::npos) out.remove_prefix(at);
  auto digit = std::find_if(out.begin(), out.end(),
                            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  int major = 0;
  auto it = digit;
  for (; it != out.end() && std::isdigit(static_cast<unsigned char>(*it)) && major < 100000; ++it) {
    major = major * 10 + (*it - '0');
  }
  if (it == digit) return std::nullopt;
  return major;
}

std::optional<int> pg_basebackup_major_version(const std::string& program) {
  auto out = capture_output(program, {program, "--version"});
  if (!out) return std::nullopt;
  return parse_major_version(*out);
}

std::string format_server_version(int v) {
  // Since 10: major * 10000 + minor; before: major * 10000 + minor * 100 + patch (9.6 = 90600).
  if (v >= 100000) return std::to_string(v / 10000) + "." + std::to_string(v % 10000);
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." +
         std::to_string(v % 100);
}

SnapshotCompression choose_snapshot_compression(const std::string& setting, int server_version,
                                                std::optional<int> client_major) {
  if (setting == "client") return {};
  std::string why;
  if (server_version < kServerZstdMajor * 10000) {
    why = "the server is PostgreSQL " + format_server_version(server_version);
  } else if (client_major && *client_major < kServerZstdMajor) {
    why = "pg_basebackup is version " + std::to_string(*client_major);
  } else if (!client_major && setting == "auto") {
    why = "pg_basebackup's version is unknown";
  }
  if (why.empty()) return {.by_server = true, .why = ""};
  why += ", server-side zstd needs " + std::to_string(kServerZstdMajor) + " or newer";
  if (setting == "server") {
    throw Error("cannot take a snapshot with snapshot-compression = server: " + why +
                " (HINT: set snapshot-compression = client)");
  }
  return {.by_server = false, .why = why};
}

std::vector<std::string> basebackup_argv(const std::string& program, const Config& config,
                                         const SnapshotCompression& compression,
                                         const std::string& target) {
  std::vector<std::string> argv = {program, "-D", target, "-Ft", "-X", "none"};
  bool spool = target != "-";
  if (compression.by_server || spool) argv.push_back("--no-manifest");
  // pgbak stores the spooled tars durably itself.
  if (spool) argv.push_back("--no-sync");
  if (compression.by_server) {
    std::string spec =
        "--compress=server-zstd:level=" + std::to_string(config.snapshot_compress_level);
    if (config.snapshot_compress_workers > 0) {
      spec += ",workers=" + std::to_string(config.snapshot_compress_workers);
    }
    argv.push_back(spec);
  }
  // After ours, so that an option of the user's wins (a format it changes is refused later).
  std::istringstream opts(config.basebackup_options);
  std::string word;
  while (opts >> word) argv.push_back(word);
  if (!config.conninfo.empty()) {
    argv.push_back("-d");
    argv.push_back(config.conninfo);
  }
  return argv;
}

}  // namespace pgbak
