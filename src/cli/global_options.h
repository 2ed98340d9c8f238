// The options accepted before or after any command (-D, -c, -q, -v, --help, --version).
#pragma once

#include <boost/program_options.hpp>
#include <string>

namespace pgbak {

struct GlobalOptions {
  std::string dir;
  std::string config;
  bool quiet = false;
  bool verbose = false;
  bool help = false;
  bool version = false;
};

// Their descriptions, writing into `g` when parsed.
boost::program_options::options_description global_options(GlobalOptions& g);

}  // namespace pgbak
