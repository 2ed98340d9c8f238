#include "restore/recovery_conf.h"

#include <algorithm>

namespace pgbak {
namespace {

std::string escape_percent(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

}  // namespace

std::string shell_quote(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/._-+,:@%=").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string conf_quote(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

std::string restore_command(const std::string& binary, const std::string& dir,
                            const std::string& config, const std::string& generation) {
  std::string cmd = escape_percent(shell_quote(binary)) + " -D " + escape_percent(shell_quote(dir));
  if (!config.empty()) cmd += " -c " + escape_percent(shell_quote(config));
  return cmd + " restore-wal --generation " + generation + " %f %p";
}

std::string recovery_settings(const std::string& origin, const std::string& command,
                              const RecoveryTarget& target) {
  std::string out = "\n# Added by pgbak restore: " + origin + "\n";
  out += "restore_command = " + conf_quote(command) + "\n";
  if (!target.setting.empty()) out += target.setting + " = " + conf_quote(target.value) + "\n";
  if (!target.action.empty()) out += "recovery_target_action = " + conf_quote(target.action) + "\n";
  return out;
}

}  // namespace pgbak
