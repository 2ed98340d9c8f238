// A streaming reader for the tar archives pg_basebackup writes (ustar, with pax and GNU long-name
// extensions understood). It parses headers from a byte stream and hands each entry's data to a
// TarHandler in pieces; it never holds more than one header and one extension record in memory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/sink.h"

namespace pgbak {

enum class TarType { kFile, kDirectory, kSymlink, kHardlink, kOther };

struct TarEntry {
  std::string path;  // as stored (pax / GNU long names applied), not yet checked for safety
  TarType type = TarType::kFile;
  char typeflag = '0';
  uint64_t size = 0;
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  std::string link_target;  // symlinks and hard links
};

class TarHandler {
 public:
  virtual ~TarHandler() = default;
  // Called once per entry before its data, then `data` zero or more times, then `end`.
  virtual void begin(const TarEntry& entry) = 0;
  virtual void data(std::span<const std::byte> bytes) = 0;
  virtual void end() = 0;
};

class TarReader : public Sink {
 public:
  TarReader(TarHandler& handler, std::string display);
  // Feeds archive bytes; throws Error naming the archive on a malformed header.
  void write(std::span<const std::byte> bytes) override;
  // Throws unless the stream ended exactly at the archive's end marker.
  void finish();
  // True once the end-of-archive marker has been read.
  bool at_end() const { return state_ == State::kEnd; }

 private:
  enum class State { kHeader, kData, kPadding, kExtension, kEnd };
  void on_header();
  void start_entry(TarEntry entry);
  void on_extension_done();
  [[noreturn]] void bad(const std::string& why) const;

  TarHandler& handler_;
  std::string display_;
  State state_ = State::kHeader;
  std::vector<std::byte> block_;  // partial header block
  uint64_t left_ = 0;             // bytes of data or padding still to come
  uint64_t padding_ = 0;          // padding after the current data
  uint64_t offset_ = 0;           // archive offset of the current header, for messages
  uint64_t consumed_ = 0;
  // Extension records (pax 'x', GNU 'L'/'K') apply to the next entry.
  char ext_type_ = 0;
  std::string ext_data_;
  std::string next_path_;
  std::string next_link_;
  bool next_size_set_ = false;
  uint64_t next_size_ = 0;
};

// Parses a numeric header field: octal text (NUL/space terminated) or GNU base-256. Returns false
// if the field is not a number.
bool parse_tar_number(std::span<const std::byte> field, uint64_t& out);

}  // namespace pgbak
