#include "config/config_template.h"

#include "config/config.h"

namespace pgbak {
namespace {

// "3" from program_options' "arg (=3)": the compiled default as text.
std::string default_text(const boost::program_options::option_description& o) {
  std::string shown = o.format_parameter();
  size_t start = shown.find("(=");
  if (start == std::string::npos) return {};
  return shown.substr(start + 2, shown.rfind(')') - start - 2);
}

// A value as pgbak.conf (and postgresql.conf) quotes it: bare when it is a plain word.
std::string quoted(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \t#'\"\\") == std::string::npos) return value;
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string config_template() {
  Config defaults = default_config();
  auto options = config_options(defaults);
  std::string out =
      "# pgbak.conf: settings of this backup directory (see man pgbak, SETTINGS).\n"
      "# Each line is 'key = value'; quote values like in postgresql.conf ('...').\n"
      "# The commented lines show the compiled defaults; uncomment to change one.\n"
      "# pgbak re-reads this file on every run, and a failing sync before every retry.\n";
  auto entry = [&out](const boost::program_options::option_description& o) {
    out +=
        "\n# " + o.description() + "\n#" + o.long_name() + " = " + quoted(default_text(o)) + "\n";
  };
  // The snapshots connect with conninfo; the background sync does not have the PG* environment
  // of the shell that set things up, so it comes first.
  entry(options.find("conninfo", false));
  out.insert(out.size() - 1,
             "\n# e.g. conninfo = 'host=/var/run/postgresql port=5432 user=postgres'");
  for (const auto& o : options.options()) {
    if (o->long_name() != "conninfo") entry(*o);
  }
  return out;
}

}  // namespace pgbak
