// Runtime settings: compiled defaults (config.h), overridden by pgbak.conf, overridden by the
// command line.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <functional>
#include <string>

namespace pgbak {

struct Config {
  int compress_level;
  int compress_threads;
  int snapshot_compress_level;
  int snapshot_compress_workers;
  std::string snapshot_compression;  // "auto", "server" or "client" (validated)
  double backoff_start;
  double backoff_factor;
  double backoff_max;
  int snapshot_min_wal_files;
  double snapshot_wal_ratio;
  std::string pg_bindir;
  std::string basebackup_options;
  std::string conninfo;
  uint64_t log_max_bytes;
  double sync_timeout;   // seconds a foreground sync may take (0: no limit)
  double fetch_timeout;  // seconds scripts/fetch may go without output before it is killed
  int fetch_retries;     // further attempts after a failed `scripts/fetch get`
  int prefetch;          // segments restore-wal keeps fetched ahead from the remote; 0 = off
  int keep;              // generations kept by the sync after a successful backup run; 0 = keep all
  // Time window (config/duration.h) that prune keeps restorable, e.g. "7d"; empty: none.
  std::string keep_within;
  bool remote_prune;  // the sync's automatic prune applies to the remote copy too (scripts/fetch)
  std::string encryption_key_file;       // empty: new files are stored unencrypted
  std::string encryption_old_key_files;  // comma-separated; read-only keys for rotation
  // "fail" (default): a full $PGBAK makes archive-wal fail. "drop": archive-wal drops the file
  // instead (exit 0, recorded and reported), so the server's pg_wal/ cannot fill up.
  std::string archive_full_disk;
  uint64_t min_free_space;  // with "drop": also drop when less than this is free on $PGBAK
};

// Ranges of the byte-sized settings (log-max-bytes may also be 0: no cap).
inline constexpr uint64_t kMinLogMaxBytes = 4096;
inline constexpr uint64_t kMaxLogMaxBytes = uint64_t{1} << 40;
inline constexpr uint64_t kMaxMinFreeSpace = uint64_t{1} << 50;

// The options that may appear in pgbak.conf and, as --NAME, on the command line; they write
// straight into `config`, which starts with the compiled defaults.
boost::program_options::options_description config_options(Config& config);

Config default_config();

// Reads an ini-style config file into vm (values already in vm, i.e. from the command line, win).
// A missing file is fine unless `required`. Unknown keys and bad values are usage errors naming
// the file and line.
void load_config_file(const std::string& path, bool required,
                      const boost::program_options::options_description& desc,
                      boost::program_options::variables_map& vm);

// The config file and line that set `key` ("FILE:LINE"; just FILE if not found).
std::string config_location(const std::string& path, const std::string& key);

// Checks ranges after loading; throws UsageError naming the setting and, where `where` gives
// one for it (the file:line that set it), that place.
void validate_config(const Config& config,
                     const std::function<std::string(const std::string&)>& where = {});

}  // namespace pgbak
