// The commented pgbak.conf that `pgbak init` writes: every setting, with its description and
// compiled default, commented out; conninfo first because a new directory needs it first.
#pragma once

#include <string>

namespace pgbak {

std::string config_template();

}  // namespace pgbak
