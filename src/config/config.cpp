#include "config/config.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>

#include "config/config_file.h"
#include "config/duration.h"
#include "config/spelling.h"
#include "io/error.h"
#include "io/file.h"
#include "pgbak_config.h"

namespace po = boost::program_options;

namespace pgbak {

Config default_config() {
  return Config{
      .compress_level = PGBAK_DEFAULT_COMPRESS_LEVEL,
      .compress_threads = PGBAK_DEFAULT_COMPRESS_THREADS,
      .snapshot_compress_level = PGBAK_DEFAULT_SNAPSHOT_COMPRESS_LEVEL,
      .snapshot_compress_workers = PGBAK_DEFAULT_SNAPSHOT_COMPRESS_WORKERS,
      .snapshot_compression = PGBAK_DEFAULT_SNAPSHOT_COMPRESSION,
      .backoff_start = PGBAK_DEFAULT_BACKOFF_START,
      .backoff_factor = PGBAK_DEFAULT_BACKOFF_FACTOR,
      .backoff_max = PGBAK_DEFAULT_BACKOFF_MAX,
      .snapshot_min_wal_files = PGBAK_DEFAULT_SNAPSHOT_MIN_WAL_FILES,
      .snapshot_wal_ratio = PGBAK_DEFAULT_SNAPSHOT_WAL_RATIO,
      .pg_bindir = PGBAK_DEFAULT_PG_BINDIR,
      .basebackup_options = PGBAK_DEFAULT_BASEBACKUP_OPTIONS,
      .conninfo = "",
      .log_max_bytes = PGBAK_DEFAULT_LOG_MAX_BYTES,
      .sync_timeout = 0,
      .fetch_timeout = PGBAK_DEFAULT_FETCH_TIMEOUT,
      .fetch_retries = PGBAK_DEFAULT_FETCH_RETRIES,
      .prefetch = PGBAK_DEFAULT_PREFETCH,
      .keep = 0,
      .keep_within = "",
      .remote_prune = false,
      .encryption_key_file = "",
      .encryption_old_key_files = "",
      .archive_full_disk = "fail",
      .min_free_space = 0,
  };
}

po::options_description config_options(Config& c) {
  po::options_description d("Settings (pgbak.conf keys; also accepted as --KEY VALUE)");
  // clang-format off
  d.add_options()
    ("compress-level", po::value(&c.compress_level)->default_value(c.compress_level), "zstd level for WAL (1-19)")
    ("compress-threads", po::value(&c.compress_threads)->default_value(c.compress_threads), "threads compressing a WAL segment, one zstd frame each")
    ("snapshot-compress-level", po::value(&c.snapshot_compress_level)->default_value(c.snapshot_compress_level), "zstd level for base backups (1-19)")
    ("snapshot-compress-workers", po::value(&c.snapshot_compress_workers)->default_value(c.snapshot_compress_workers), "zstd worker threads for base backups (the server's or pgbak's)")
    ("snapshot-compression", po::value(&c.snapshot_compression)->default_value(c.snapshot_compression), "who compresses base backups: auto, server (PostgreSQL 15+) or client (pgbak)")
    ("backoff-start", po::value(&c.backoff_start)->default_value(c.backoff_start), "first retry delay of a failing sync, seconds")
    ("backoff-factor", po::value(&c.backoff_factor)->default_value(c.backoff_factor), "growth of the delay per failure")
    ("backoff-max", po::value(&c.backoff_max)->default_value(c.backoff_max), "largest retry delay, seconds")
    ("snapshot-min-wal-files", po::value(&c.snapshot_min_wal_files)->default_value(c.snapshot_min_wal_files), "snapshot heuristic: more WAL files than this ...")
    ("snapshot-wal-ratio", po::value(&c.snapshot_wal_ratio)->default_value(c.snapshot_wal_ratio), "... and WAL bytes times this >= base bytes")
    ("pg-bindir", po::value(&c.pg_bindir)->default_value(c.pg_bindir), "directory of pg_basebackup (empty: PATH, then pg_config --bindir)")
    ("basebackup-options", po::value(&c.basebackup_options)->default_value(c.basebackup_options), "extra pg_basebackup options")
    ("conninfo", po::value(&c.conninfo)->default_value(c.conninfo), "libpq connection string (empty: PG* environment)")
    ("log-max-bytes", po::value(&c.log_max_bytes)->default_value(c.log_max_bytes), "size cap of sync.log")
    ("sync-timeout", po::value(&c.sync_timeout)->default_value(c.sync_timeout), "seconds a foreground sync, force-sync or full-sync may take before it exits 1, leaving the work pending (0 = no limit)")
    ("fetch-timeout", po::value(&c.fetch_timeout)->default_value(c.fetch_timeout), "seconds scripts/fetch may run without output before it is killed")
    ("fetch-retries", po::value(&c.fetch_retries)->default_value(c.fetch_retries), "further attempts after a failed scripts/fetch get")
    ("prefetch", po::value(&c.prefetch)->default_value(c.prefetch), "WAL segments restore-wal fetches ahead from the remote copy (0 = none)")
    ("keep", po::value(&c.keep)->default_value(c.keep), "generations the sync keeps after a successful backup run (0 = all)")
    ("keep-within", po::value(&c.keep_within)->default_value(c.keep_within), "time window the sync keeps restorable after a successful backup run, e.g. 7d, 36h (empty = no window)")
    ("remote-prune", po::value(&c.remote_prune)->default_value(c.remote_prune, c.remote_prune ? "on" : "off"), "the sync's prune (keep, keep-within) removes old generations from the remote copy too, through scripts/fetch delete")
    ("encryption-key-file", po::value(&c.encryption_key_file)->default_value(c.encryption_key_file), "absolute path of the key new files are encrypted with (empty: no encryption)")
    ("encryption-old-key-files", po::value(&c.encryption_old_key_files)->default_value(c.encryption_old_key_files), "comma-separated key files kept for reading older files")
    ("archive-full-disk", po::value(&c.archive_full_disk)->default_value(c.archive_full_disk), "when $PGBAK is full: fail (PostgreSQL keeps the WAL and retries) or drop (archive-wal drops the file, loudly)")
    ("min-free-space", po::value(&c.min_free_space)->default_value(c.min_free_space), "with archive-full-disk = drop: bytes that must stay free on $PGBAK's file system");
  // clang-format on
  return d;
}

namespace {

std::string at_line(const std::string& path, int line) {
  if (line <= 0) return path;
  // Appending piecewise: GCC 12's -Wrestrict misfires on `":" + std::to_string(n)` at -O3.
  std::string out = path;
  out += ':';
  out += std::to_string(line);
  return out;
}

// The line that sets `key` last (the one that counts), or 0.
int line_of_key(const std::vector<ConfigLine>& lines, const std::string& key) {
  int found = 0;
  for (const ConfigLine& l : lines) {
    if (l.key == key) found = l.line;
  }
  return found;
}

}  // namespace

std::string config_location(const std::string& path, const std::string& key) {
  std::vector<ConfigLine> lines;
  try {
    if (auto text = read_config_text(path)) lines = parse_config_text(*text, path);
  } catch (const Error&) {
    // Reported when the file was loaded (any kind); here the line is only a courtesy.
  }
  return at_line(path, line_of_key(lines, key));
}

void load_config_file(const std::string& path, bool required, const po::options_description& desc,
                      po::variables_map& vm) {
  std::optional<std::string> text;
  try {
    text = read_config_text(path);
  } catch (const SystemError& e) {
    throw UsageError("cannot read config file '" + path + "': " + std::strerror(e.err()));
  } catch (const CorruptError&) {
    throw UsageError("cannot read config file '" + path + "': not a regular file");
  }
  if (!text) {
    if (!required) return;
    throw UsageError("cannot read config file '" + path + "': " + std::strerror(ENOENT));
  }
  std::vector<ConfigLine> lines = parse_config_text(*text, path);
  std::vector<std::string> known;
  for (const auto& o : desc.options()) known.push_back(o->long_name());
  po::parsed_options parsed(&desc);
  std::set<std::string> seen;
  // As in postgresql.conf, the last line setting a key wins.
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (desc.find_nothrow(it->key, false) == nullptr) {
      throw UsageError("config file '" + at_line(path, it->line) + "': unknown setting '" +
                       it->key + "'" + did_you_mean(it->key, known));
    }
    if (!seen.insert(it->key).second) continue;
    po::option o(it->key, {it->value});
    o.original_tokens = {it->key, it->value};
    parsed.options.push_back(std::move(o));
  }
  try {
    po::store(parsed, vm);
  } catch (const po::error_with_option_name& e) {
    std::string key = e.get_option_name();
    if (key.rfind("--", 0) == 0) key = key.substr(2);
    throw UsageError("config file '" + at_line(path, line_of_key(lines, key)) + "': " + e.what());
  } catch (const po::error& e) {
    throw UsageError("config file '" + path + "': " + e.what());
  }
}

void validate_config(const Config& c, const std::function<std::string(const std::string&)>& where) {
  auto bad = [&where](const std::string& key, const std::string& why) {
    std::string place = where ? where(key) : "";
    throw UsageError((place.empty() ? "" : "config file '" + place + "': ") + "setting '" + key +
                     "': " + why);
  };
  // Every numeric setting has a range (documented in the man page); written so that NaN fails.
  auto range = [&bad](const std::string& key, auto value, auto lo, auto hi) {
    if (!(value >= lo && value <= hi)) {
      std::ostringstream why;
      why.precision(15);
      why << "must be " << lo << " to " << hi;
      bad(key, why.str());
    }
  };
  range("compress-level", c.compress_level, 1, 19);
  range("snapshot-compress-level", c.snapshot_compress_level, 1, 19);
  range("compress-threads", c.compress_threads, 1, 16);
  range("snapshot-compress-workers", c.snapshot_compress_workers, 0, 64);
  if (c.snapshot_compression != "auto" && c.snapshot_compression != "server" &&
      c.snapshot_compression != "client") {
    bad("snapshot-compression",
        "must be auto, server or client (not '" + c.snapshot_compression + "')");
  }
  // Delays of at most a day keep every retry time far from overflowing a time_t.
  range("backoff-start", c.backoff_start, 0.01, 86400.0);
  range("backoff-factor", c.backoff_factor, 1.0, 10.0);
  range("backoff-max", c.backoff_max, 0.01, 86400.0);
  if (c.backoff_max < c.backoff_start) bad("backoff-max", "must be at least backoff-start");
  range("snapshot-min-wal-files", c.snapshot_min_wal_files, 0, 1000000000);
  range("snapshot-wal-ratio", c.snapshot_wal_ratio, 0.001, 1000000.0);
  if (c.log_max_bytes != 0)
    range("log-max-bytes", c.log_max_bytes, kMinLogMaxBytes, kMaxLogMaxBytes);
  range("keep", c.keep, 0, 1000000);
  if (!c.keep_within.empty() && !parse_duration(c.keep_within)) {
    bad("keep-within", "must be a whole number and a unit, s, m, h, d or w (e.g. 7d, 36h), not '" +
                           c.keep_within + "'");
  }
  if (c.archive_full_disk != "fail" && c.archive_full_disk != "drop") {
    bad("archive-full-disk", "must be fail or drop (not '" + c.archive_full_disk + "')");
  }
  range("min-free-space", c.min_free_space, uint64_t{0}, kMaxMinFreeSpace);
  if (!(c.sync_timeout >= 0 && c.sync_timeout <= 1e9))
    bad("sync-timeout", "must be 0 to 1e9 seconds");
  range("fetch-timeout", c.fetch_timeout, 0.1, 86400.0);
  range("prefetch", c.prefetch, 0, 64);
  range("fetch-retries", c.fetch_retries, 0, 100);
}

}  // namespace pgbak
