// `pgbak info [--json] [--remote]`: every generation with its base's start and end, its WAL and
// the window it can restore to, locally or in the remote copy (ops/catalog.h).
#include <cmath>
#include <ctime>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "io/error.h"
#include "ops/catalog.h"
#include "ops/json.h"
#include "repo/backup_label.h"
#include "wal/wal_name.h"

namespace po = boost::program_options;

namespace pgbak {
namespace {

// The window over all generations: from the oldest restorable base's end to the furthest end.
struct OverallWindow {
  const GenerationSummary* from = nullptr;
  const GenerationSummary* to = nullptr;
};

OverallWindow overall_window(const std::vector<GenerationSummary>& gens) {
  OverallWindow w;
  for (const auto& g : gens) {
    if (!g.restorable) continue;
    if (!w.from) w.from = &g;
    if (!w.to || g.window_end_lsn > w.to->window_end_lsn) w.to = &g;
  }
  return w;
}

std::string utc(std::optional<double> t) {
  return t ? format_utc_timestamp(std::floor(*t)) : std::string("unknown");
}

std::string lsn_or(std::optional<uint64_t> lsn, const char* unknown) {
  return lsn ? format_lsn(*lsn) : std::string(unknown);
}

std::string json_lsn(std::optional<uint64_t> lsn) {
  return lsn ? json_string(format_lsn(*lsn)) : "null";
}

std::string json_seconds(std::optional<double> t) {
  return t ? std::to_string(std::llround(std::floor(*t))) : "null";
}

std::string json_or_null(const std::string& s) {
  return s.empty() ? "null" : json_string(s);
}

template <typename T>
std::string json_number(std::optional<T> v) {
  return v ? std::to_string(*v) : "null";
}

std::string window_text(const GenerationSummary& g) {
  if (!g.restorable) {
    return "none: WAL from " + (g.window_gap.empty() ? std::string("its start") : g.window_gap) +
           " is missing, needed to make the base backup consistent";
  }
  std::string out = "from " + utc(g.stop_time) + " (" + lsn_or(g.stop_lsn, "LSN unknown") +
                    ") to the end of " + g.window_end_wal + " (" + lsn_or(g.window_end_lsn, "") +
                    ")";
  if (g.window_end_time) out += ", archived " + utc(static_cast<double>(*g.window_end_time));
  if (!g.window_gap.empty()) out += "; then a gap: " + g.window_gap + " is missing";
  return out;
}

std::string format_info_text(const std::string& dir, const std::string& where,
                             const std::vector<GenerationSummary>& gens) {
  std::ostringstream o;
  auto row = [&](const char* key, const std::string& value) {
    o << "  " << key << std::string(13 - std::string(key).size(), ' ') << value << "\n";
  };
  o << (where == "remote" ? "remote copy of " : "") << dir << ": "
    << (gens.empty() ? "no generations"
                     : std::to_string(gens.size()) + " generation" + (gens.size() == 1 ? "" : "s"))
    << "\n";
  for (const auto& g : gens) {
    o << "generation " << g.name << (g.current ? " (current)" : "") << "\n";
    if (!g.has_base) {
      row("base", "none (WAL only)");
    } else if (!g.base_error.empty()) {
      row("base", "unreadable: " + g.base_error);
    } else {
      row("base", "started " + utc(g.start_time) + " at " + lsn_or(g.start_lsn, "?") +
                      " on timeline " + std::to_string(g.start_tli));
      row("", "ended by " + utc(g.stop_time) + " at " + lsn_or(g.stop_lsn, "an unknown LSN") +
                  (g.stop_source.empty() ? "" : " (" + g.stop_source + ")"));
    }
    std::string wal = std::to_string(g.wal_files) + " file" + (g.wal_files == 1 ? "" : "s");
    if (!g.first_wal.empty()) wal += ", segments " + g.first_wal + " to " + g.newest_wal;
    if (g.newest_wal_time)
      wal += ", newest archived " + utc(static_cast<double>(*g.newest_wal_time));
    row("WAL", wal);
    if (g.has_base && g.base_error.empty()) row("recoverable", window_text(g));
    if (g.not_uploaded_files) {
      row("uploaded", *g.not_uploaded_files == 0
                          ? std::string("yes")
                          : "no, " + std::to_string(*g.not_uploaded_files) + " file(s) not yet");
    }
  }
  OverallWindow w = overall_window(gens);
  o << "recoverable window: "
    << (w.from ? "from " + utc(w.from->stop_time) + " (generation " + w.from->name +
                     ") to the end of " + w.to->window_end_wal
               : std::string("none"))
    << "\n";
  return o.str();
}

std::string format_info_json(const std::string& dir, const std::string& where,
                             const std::optional<std::string>& current, int64_t now,
                             const std::vector<GenerationSummary>& gens) {
  std::ostringstream o;
  OverallWindow w = overall_window(gens);
  o << "{\n"
    << "  \"directory\": " << json_string(dir) << ",\n"
    << "  \"source\": " << json_string(where) << ",\n"
    << "  \"now\": " << now << ",\n"
    << "  \"current\": " << json_string_or_null(current) << ",\n"
    << "  \"window_start_time\": " << json_seconds(w.from ? w.from->stop_time : std::nullopt)
    << ",\n"
    << "  \"window_start_lsn\": " << json_lsn(w.from ? w.from->stop_lsn : std::nullopt) << ",\n"
    << "  \"window_end_wal\": " << (w.to ? json_string(w.to->window_end_wal) : "null") << ",\n"
    << "  \"window_end_lsn\": " << json_lsn(w.to ? w.to->window_end_lsn : std::nullopt) << ",\n"
    << "  \"generations\": [";
  for (size_t i = 0; i < gens.size(); ++i) {
    const GenerationSummary& g = gens[i];
    bool r = g.restorable;
    o << (i ? "," : "") << "\n    {"
      << "\"name\": " << json_string(g.name) << ", \"current\": " << (g.current ? "true" : "false")
      << ", \"base\": " << (g.has_base ? "true" : "false")
      << ", \"base_error\": " << json_or_null(g.base_error)
      << ", \"start_time\": " << json_seconds(g.start_time)
      << ", \"start_lsn\": " << json_lsn(g.start_lsn)
      << ", \"timeline\": " << (g.start_lsn ? std::to_string(g.start_tli) : "null")
      << ", \"stop_time\": " << json_seconds(g.stop_time)
      << ", \"stop_lsn\": " << json_lsn(g.stop_lsn)
      << ", \"stop_source\": " << json_or_null(g.stop_source) << ", \"wal_files\": " << g.wal_files
      << ", \"first_wal\": " << json_or_null(g.first_wal)
      << ", \"newest_wal\": " << json_or_null(g.newest_wal)
      << ", \"newest_wal_time\": " << json_number(g.newest_wal_time)
      << ", \"restorable\": " << (r ? "true" : "false")
      << ", \"window_start_time\": " << json_seconds(r ? g.stop_time : std::nullopt)
      << ", \"window_start_lsn\": " << json_lsn(r ? g.stop_lsn : std::nullopt)
      << ", \"window_end_wal\": " << (r ? json_or_null(g.window_end_wal) : "null")
      << ", \"window_end_lsn\": " << json_lsn(r ? g.window_end_lsn : std::nullopt)
      << ", \"window_end_time\": " << json_number(r ? g.window_end_time : std::nullopt)
      << ", \"window_gap\": " << json_or_null(g.window_gap)
      << ", \"not_uploaded_files\": " << json_number(g.not_uploaded_files) << "}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

}  // namespace

void add_info_options(po::options_description& d) {
  d.add_options()("json", po::bool_switch(), "machine-readable output (stable keys)")(
      "remote", po::bool_switch(), "describe the remote copy (through scripts/fetch) instead");
}

int run_info(Invocation& inv) {
  BackupDir dir(inv.require_dir());
  bool remote = inv.vm["remote"].as<bool>();
  std::optional<RemoteBases> remote_bases;
  if (remote) remote_bases.emplace(dir, inv.config);
  CatalogSource source =
      remote ? remote_catalog(dir, *remote_bases) : local_catalog(dir, inv.config);
  std::vector<GenerationSummary> gens = summarize(source);
  if (inv.vm["json"].as<bool>()) {
    std::cout << format_info_json(dir.path(), source.where, source.current, std::time(nullptr),
                                  gens);
  } else {
    std::cout << format_info_text(dir.path(), source.where, gens);
  }
  return 0;
}

}  // namespace pgbak
