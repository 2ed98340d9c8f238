// Who may run a command: the backup directory's files belong to one user (the server's, usually
// postgres), and a command that writes there or runs scripts/backup must run as that user, or
// it leaves files the server cannot use and runs the script with another user's rights.
#pragma once

#include <string>

namespace pgbak {

// True for the commands that write into the backup directory or run scripts/backup (everything
// but restore, restore-wal, status, verify, check, keygen and help).
bool runs_only_as_owner(const std::string& command);

// Before anything else runs: for such a command, refuses (Error) when the effective user is not
// the owner of `dir`, with a hint (`sudo -u OWNER pgbak ...`); for any command, turns a directory
// this user cannot read into one error naming its owner. A missing directory passes (the
// command itself reports it), and so does init run by a user other than root (init checks that
// it can write there and says how to make it so).
void check_runs_as_owner(const std::string& command, const std::string& dir);

}  // namespace pgbak
