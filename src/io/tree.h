// Whole directory trees: their size, and removing them.
#pragma once

#include <cstdint>
#include <string>

namespace pgbak {

// Sum over the regular files below path (symlinks not followed; unreadable parts skipped):
// their sizes, or with `allocated` the disk blocks they use.
uint64_t tree_bytes(const std::string& path, bool allocated = false);

// Removes a directory tree below dirfd (never following symlinks); ignores a missing name.
void remove_tree(int dirfd, const std::string& name, const std::string& display);

}  // namespace pgbak
