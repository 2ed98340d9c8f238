// The settings `pgbak restore` appends to postgresql.auto.conf.
#pragma once

#include <string>

namespace pgbak {

struct RecoveryTarget {
  std::string setting;  // "recovery_target_time", "_lsn", "_name"; empty: recover to the end
  std::string value;
  std::string action;  // recovery_target_action; empty: the server's default (pause)
};

// Quotes a word for sh(1) (single quotes), unless it only holds characters sh leaves alone.
std::string shell_quote(const std::string& word);
// A postgresql.conf string literal: single quotes, inner quotes and backslashes doubled.
std::string conf_quote(const std::string& value);

// restore_command for this binary: "BIN -D DIR [-c CONFIG] restore-wal --generation G %f %p",
// with '%' in the paths escaped as "%%" so the server does not substitute them. The generation
// being restored tells restore-wal which history to serve.
std::string restore_command(const std::string& binary, const std::string& dir,
                            const std::string& config, const std::string& generation);

// A base's own postgresql.auto.conf without the recovery settings it may carry: a base taken
// from a server that was itself restored still names that restore's restore_command and
// recovery target, and the server would stop this recovery at the old target (silently, short of
// the history) or refuse to start. Each such line (restore_command, recovery_end_command,
// recovery_target and every recovery_target_*) is kept as a comment saying why.
std::string without_recovery_settings(const std::string& auto_conf);

// The lines to append to postgresql.auto.conf: a comment naming `origin`, restore_command and
// the target settings.
std::string recovery_settings(const std::string& origin, const std::string& command,
                              const RecoveryTarget& target);

}  // namespace pgbak
