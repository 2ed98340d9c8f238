// libFuzzer target for the tar reader and extractor (fuzz/README.md). For every input:
// - the reader never crashes, and the only exception it throws is Error;
// - how the bytes are cut into writes changes nothing: the same entries, data and outcome;
// - every entry's data adds up to its size, and begin/data/end come in order;
// - safe_components accepts only relative paths without "..", empty or NUL components;
// - extracting it into a scratch directory creates nothing beside that directory.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/file.h"
#include "io/tar_reader.h"
#include "io/tree.h"
#include "restore/tar_extract.h"

using namespace pgbak;

namespace {

[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "invariant broken: %s\n", what.c_str());
  std::abort();
}

// Records what the reader reports and checks its order and sizes.
class Log : public TarHandler {
 public:
  void begin(const TarEntry& e) override {
    if (open_) broken("begin inside an entry");
    open_ = true;
    size_ = e.size;
    seen_ = 0;
    text += "B" + e.path + "|" + e.link_target + "|" + std::to_string(e.size) + "|" + e.typeflag;
    check_path(e.path);
  }
  void data(std::span<const std::byte> bytes) override {
    if (!open_) broken("data outside an entry");
    seen_ += bytes.size();
    for (std::byte b : bytes) text += static_cast<char>(b);
  }
  void end() override {
    if (!open_) broken("end outside an entry");
    if (seen_ != size_) broken("data does not add up to the entry's size");
    open_ = false;
    text += "E";
  }
  std::string text;

 private:
  static void check_path(const std::string& path) {
    auto parts = safe_components(path);
    if (!parts) return;
    if (path.empty() || path[0] == '/') broken("absolute path accepted: " + path);
    for (const std::string& p : *parts) {
      if (p.empty() || p == "." || p == ".." || p.find('/') != std::string::npos ||
          p.find('\0') != std::string::npos) {
        broken("unsafe component accepted in " + path);
      }
    }
  }
  bool open_ = false;
  uint64_t size_ = 0, seen_ = 0;
};

// Reads the whole input in pieces of `piece` bytes; returns the log and the outcome.
std::string read_in_pieces(std::span<const std::byte> input, size_t piece) {
  Log log;
  TarReader reader(log, "fuzz.tar");
  try {
    for (size_t off = 0; off < input.size(); off += piece) {
      reader.write(input.subspan(off, std::min(piece, input.size() - off)));
    }
    reader.finish();
    return log.text + "|ok";
  } catch (const Error& e) {
    return log.text + "|error";
  }
}

// A scratch directory holding only "root"; anything else appearing in it is an escape.
struct Scratch {
  Scratch() {
    char templ[] = "/tmp/pgbak-fuzz-XXXXXX";
    if (::mkdtemp(templ) == nullptr) broken("mkdtemp");
    path = templ;
    dir = open_dir(path);
  }
  std::string path;
  UniqueFd dir;
};

void extract(std::span<const std::byte> input) {
  static Scratch scratch;
  if (::mkdirat(scratch.dir.get(), "root", 0700) != 0) broken("mkdir root");
  {
    UniqueFd root = open_dir(path_join(scratch.path, "root"), false);
    TarExtractor extractor(root.get(), path_join(scratch.path, "root"), std::nullopt);
    TarReader reader(extractor, "fuzz.tar");
    try {
      reader.write(input);
      reader.finish();
    } catch (const Error&) {
    }
  }
  std::vector<std::string> names = list_dir(scratch.dir.get(), scratch.path);
  if (names.size() != 1 || names[0] != "root") broken("the extraction wrote beside its root");
  remove_tree(scratch.dir.get(), "root", path_join(scratch.path, "root"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
  std::string whole = read_in_pieces(input, size == 0 ? 1 : size);
  for (size_t piece : {size_t{7}, size_t{511}, size_t{513}}) {
    if (read_in_pieces(input, piece) != whole) {
      broken("the outcome depends on how the input is cut (piece " + std::to_string(piece) + ")");
    }
  }
  extract(input);
  return 0;
}
