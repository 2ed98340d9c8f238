// Where a restore puts a generation's tablespaces: the base backup's tablespace_map (OID and
// original location of each) and the --tablespace-mapping OLDDIR=NEWDIR options.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/tablespaces.h"

namespace pgbak {

// The file of a base backup that lists its tablespaces.
inline constexpr const char* kTablespaceMap = "tablespace_map";

// The text of tablespace_map, "OID PATH" per line, where the server escaped '\\', '\n' and '\r'
// in PATH with a backslash. nullopt if a line is malformed.
std::optional<std::map<uint32_t, std::string>> parse_tablespace_map(std::string_view text);

struct TablespaceMapping {
  std::string old_dir;
  std::string new_dir;
};

// Parses "OLDDIR=NEWDIR" ("\=" for an '=' in a directory name): both absolute, normalised.
// Throws UsageError.
TablespaceMapping parse_tablespace_mapping(const std::string& arg);

struct TablespacePlan {
  uint32_t oid = 0;
  std::string stored;    // its file in the generation (16385.tzst[.enc])
  std::string location;  // where it is restored
};

// One entry per tablespace file: its location from `map`, replaced by a mapping's NEWDIR when
// its OLDDIR matches. Throws Error when a file has no entry in the map or an entry no file
// (`generation` names it), and UsageError for a mapping that matches no tablespace or two
// tablespaces that would share a location.
std::vector<TablespacePlan> plan_tablespaces(const std::vector<TablespaceFile>& files,
                                             const std::map<uint32_t, std::string>& map,
                                             const std::vector<TablespaceMapping>& mappings,
                                             const std::string& generation);

}  // namespace pgbak
