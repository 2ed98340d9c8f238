// The environment of the user's scripts in $PGBAK/scripts (backup and fetch): the same clean
// set for both.
#pragma once

#include <string>
#include <vector>

namespace pgbak {

// The script's environment: PGBAK=<dir>, plus from ours only PATH (a default if unset), HOME,
// USER, LOGNAME, SHELL, LANG, LC_*, TZ, TMPDIR, SSH_AUTH_SOCK and the libpq-style PG<LETTERS>
// variables (PGHOST, PGPORT, PGUSER, ...). `ours` holds "NAME=value" entries.
std::vector<std::string> script_environment(const std::vector<std::string>& ours,
                                            const std::string& backup_dir);

}  // namespace pgbak
