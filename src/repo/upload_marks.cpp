#include "repo/upload_marks.h"

#include <sstream>

#include "io/durable_writer.h"
#include "io/file.h"
#include "io/sha256.h"
#include "repo/sha256sums.h"

namespace pgbak {

std::string format_upload_marks(const UploadMarks& marks) {
  std::string out;
  for (const auto& [gen, mark] : marks) {
    out += gen + " " + std::to_string(mark.files) + " " + mark.sums_sha256 + "\n";
  }
  return out;
}

UploadMarks parse_upload_marks(const std::string& text) {
  UploadMarks marks;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string gen, digest, extra;
    uint64_t files = 0;
    if (!(fields >> gen >> files >> digest) || (fields >> extra)) continue;
    if (!is_generation_name(gen) || digest.size() != 64) continue;
    marks[gen] = UploadMark{files, digest};
  }
  return marks;
}

UploadMarks read_upload_marks(int dirfd, const std::string& dir_path) {
  auto text = read_small_file(dirfd, kUploadMarksFile, path_join(dir_path, kUploadMarksFile));
  return parse_upload_marks(text.value_or(""));
}

void write_upload_marks(int dirfd, const std::string& dir_path, const UploadMarks& marks) {
  std::string text = format_upload_marks(marks);
  DurableWriter w(dirfd, kUploadMarksFile, path_join(dir_path, kUploadMarksFile));
  w.write(std::as_bytes(std::span(text)));
  w.commit_replace();
}

UploadMark coverage_now(const Generation& g) {
  std::string text =
      read_small_file(g.dir.get(), kSumsFile, path_join(g.path, kSumsFile)).value_or("");
  Sha256 sha;
  sha.write(std::as_bytes(std::span(text)));
  return UploadMark{parse_checksums(text).size(), sha.hex_digest()};
}

uint64_t files_not_uploaded(const Generation& g, const UploadMarks& marks) {
  uint64_t files = checksummed_files(g).size();
  if (files == 0) return 0;
  auto it = marks.find(g.name);
  if (it == marks.end()) return files;
  if (it->second == coverage_now(g) && it->second.files >= files) return 0;
  // SHA256SUMS only grows: what the mark did not list is what the remote copy lacks (at least
  // SHA256SUMS itself when only its text changed).
  return files > it->second.files ? files - it->second.files : 1;
}

}  // namespace pgbak
