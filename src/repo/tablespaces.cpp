#include "repo/tablespaces.h"

#include <algorithm>
#include <charconv>

#include "io/file.h"
#include "repo/stored_names.h"

namespace pgbak {

std::optional<uint32_t> tablespace_oid(std::string_view stored_name) {
  auto original = original_name(stored_name, kTablespaceSuffix);
  if (!original || original->empty() || original->front() == '0') return std::nullopt;
  uint32_t oid = 0;
  auto [end, ec] = std::from_chars(original->data(), original->data() + original->size(), oid);
  if (ec != std::errc() || end != original->data() + original->size()) return std::nullopt;
  return oid;
}

std::string tablespace_file_name(uint32_t oid) {
  return std::to_string(oid) + kTablespaceSuffix;
}

std::vector<TablespaceFile> tablespace_files(const Generation& g) {
  std::vector<TablespaceFile> out;
  for (const std::string& name : list_dir(g.dir.get(), g.path)) {
    if (auto oid = tablespace_oid(name)) out.push_back({*oid, name});
  }
  std::sort(out.begin(), out.end(),
            [](const TablespaceFile& a, const TablespaceFile& b) { return a.oid < b.oid; });
  return out;
}

}  // namespace pgbak
