// A generation's tablespace files: next to base.tzst, one tar per extra tablespace, named by the
// tablespace's OID ("16385.tzst", or "16385.tzst.enc" when encrypted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/backup_dir.h"

namespace pgbak {

// What a tablespace file holds, as pg_basebackup's tar of the tablespace's directory.
inline constexpr const char* kTablespaceSuffix = ".tzst";

struct TablespaceFile {
  uint32_t oid = 0;
  std::string stored;  // its name in the generation
};

// The OID that a stored name ("16385.tzst" or "16385.tzst.enc") belongs to; nullopt for any other
// name (base.tzst, temp files).
std::optional<uint32_t> tablespace_oid(std::string_view stored_name);

// "16385.tzst" for 16385.
std::string tablespace_file_name(uint32_t oid);

// The tablespace files of the generation, by OID.
std::vector<TablespaceFile> tablespace_files(const Generation& g);

}  // namespace pgbak
