#include "restore/recovery_conf.h"

#include <algorithm>
#include <cctype>
#include <string_view>

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

// The setting a postgresql.conf line assigns ("name = value" or "name value"), lower-cased;
// empty for comments and blank lines.
std::string setting_name(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos) return "";
  std::string name;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') break;
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

bool is_recovery_setting(const std::string& name) {
  return name == "restore_command" || name == "recovery_end_command" || name == "recovery_target" ||
         name.starts_with("recovery_target_");
}

}  // namespace

std::string without_recovery_settings(const std::string& auto_conf) {
  std::string out;
  size_t pos = 0;
  while (pos < auto_conf.size()) {
    size_t end = auto_conf.find('\n', pos);
    size_t next = end == std::string::npos ? auto_conf.size() : end + 1;
    std::string_view line(auto_conf.data() + pos, next - pos);
    if (is_recovery_setting(setting_name(line))) out += "# Disabled by pgbak restore: ";
    out += line;
    pos = next;
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

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
