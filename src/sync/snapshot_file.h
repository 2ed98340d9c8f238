// One stored file of a snapshot: base.tzst, or a tablespace's OID.tzst. pg_basebackup's tar goes
// in, compressed by the server (checked to be zstd) or here, encrypted when a key is configured,
// and durably stored under its final name only on commit.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "io/durable_writer.h"
#include "io/sha256.h"
#include "pipeline/stored_file.h"
#include "repo/backup_dir.h"
#include "repo/stored_names.h"
#include "sync/pg_basebackup.h"

namespace pgbak {

class SnapshotFile {
 public:
  // `plain_name`: "base.tzst" or "16385.tzst"; ".enc" is appended when encrypting, and the
  // encryption is bound to stored_identity(generation, stored name). `echo`: show a progress
  // meter (on a terminal).
  SnapshotFile(const Generation& gen, const Config& config, const SnapshotCompression& how,
               const std::string& plain_name, bool echo);
  SnapshotFile(const SnapshotFile&) = delete;
  SnapshotFile& operator=(const SnapshotFile&) = delete;
  ~SnapshotFile();

  // Where pg_basebackup's bytes for this file go (this is the "mid-snapshot" fault point).
  Sink& input();
  // Ends the stream and stores the file under its name; throws if that exists. Returns the
  // SHA-256 (lower-case hex) of the bytes as stored, for SHA256SUMS: a server-compressed tar has
  // no zstd checksum, so this is what restore and verify check it against.
  std::string commit();

  const std::string& stored() const { return stored_; }
  const std::string& display() const { return display_; }

 private:
  class Progress;
  std::string stored_;
  std::string display_;
  DurableWriter out_;
  HashingSink hashed_;
  std::unique_ptr<StorageSink> encode_;
  std::unique_ptr<Progress> progress_;
};

}  // namespace pgbak
