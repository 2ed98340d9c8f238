// What a command handler gets: the parsed command line and settings.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace pgbak {

struct Invocation {
  std::string command;      // canonical name
  std::string dir;          // backup directory, absolute ("" if not given)
  std::string config_path;  // config file in use ("" if none)
  bool config_explicit = false;
  Config config;
  int verbosity = 0;  // -1 with -q, 1 with -v
  std::vector<std::string> args;
  std::vector<std::string> argv;             // the whole command line, to read the settings again
  boost::program_options::variables_map vm;  // command options

  // The backup directory, or a usage error when neither -D nor $PGBAK gave one.
  const std::string& require_dir() const;
};

}  // namespace pgbak
