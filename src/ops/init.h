// `pgbak init`'s example scripts/backup, which `check` recognises as not yet replaced.
#pragma once

#include <string_view>

namespace pgbak {

std::string_view example_backup_script();

}  // namespace pgbak
