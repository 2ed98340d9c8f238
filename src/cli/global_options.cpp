#include "cli/global_options.h"

namespace po = boost::program_options;

namespace pgbak {

po::options_description global_options(GlobalOptions& g) {
  po::options_description d("Global options");
  // clang-format off
  d.add_options()
    ("dir,D", po::value(&g.dir), "backup directory (default: $PGBAK)")
    ("config,c", po::value(&g.config), "config file (default: DIR/pgbak.conf)")
    ("quiet,q", po::bool_switch(&g.quiet), "print errors only")
    ("verbose,v", po::bool_switch(&g.verbose), "print more detail")
    ("help,h", po::bool_switch(&g.help), "show help (also: pgbak help COMMAND)")
    ("version", po::bool_switch(&g.version), "print the version");
  // clang-format on
  return d;
}

}  // namespace pgbak
