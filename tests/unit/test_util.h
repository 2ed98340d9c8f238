// Helpers shared by the unit tests: a temporary directory that removes itself, a sink that
// collects bytes.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "io/sink.h"

namespace pgbak::test {

class VectorSink : public Sink {
 public:
  void write(std::span<const std::byte> d) override {
    bytes.insert(bytes.end(), d.begin(), d.end());
  }
  std::vector<std::byte> bytes;
};

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "pgbak-unit-XXXXXX").string();
    path_ = ::mkdtemp(templ.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace pgbak::test
