// `pgbak status [--json | --prometheus]`: never takes a lock, never waits.
#include <ctime>
#include <iostream>

#include "cli/commands.h"
#include "io/error.h"
#include "ops/status.h"

namespace po = boost::program_options;

namespace pgbak {

void add_status_options(po::options_description& d) {
  d.add_options()("json", po::bool_switch(), "machine-readable output (stable keys)")(
      "prometheus", po::bool_switch(),
      "Prometheus text format for node_exporter's textfile collector");
}

int run_status(Invocation& inv) {
  bool json = inv.vm["json"].as<bool>(), prometheus = inv.vm["prometheus"].as<bool>();
  if (json && prometheus) throw UsageError("--json and --prometheus exclude each other");
  BackupDir dir(inv.require_dir());
  StatusReport r = gather_status(dir, std::time(nullptr));
  std::cout << (json         ? format_status_json(r)
                : prometheus ? format_status_prometheus(r)
                             : format_status_text(r));
  return 0;
}

}  // namespace pgbak
