#include "remote/remote_base.h"

#include <optional>

#include "io/error.h"
#include "remote/remote_sums.h"
#include "remote/remote_text.h"
#include "repo/stored_names.h"

namespace pgbak {
namespace {

class ForwardSink : public Sink {
 public:
  explicit ForwardSink(std::function<void(std::span<const std::byte>)> f) : f_(std::move(f)) {}
  void write(std::span<const std::byte> data) override { f_(data); }

 private:
  std::function<void(std::span<const std::byte>)> f_;
};

}  // namespace

RemoteBases::RemoteBases(const BackupDir& dir, const Config& config)
    : config_(config), dir_(dir.path()), fetch_(dir, config), listing_(fetch_.list()) {}

const RemoteGeneration& RemoteBases::generation(const std::string& name) const {
  const RemoteGeneration* gen = listing_.find(name);
  if (gen == nullptr) {
    throw Error("generation " + name + " is not in the remote copy (" + fetch_.describe({"list"}) +
                ")");
  }
  return *gen;
}

std::string RemoteBases::stored_base(const RemoteGeneration& gen) const {
  auto stored = gen.stored(kBaseFile);
  if (!stored) {
    throw Error("generation " + gen.name + " has no base backup (" + kBaseFile +
                ") in the remote copy");
  }
  return *stored;
}

BaseCandidates RemoteBases::candidates() const {
  BaseCandidates out;
  for (const auto& gen : listing_.generations()) {
    if (gen.stored(kBaseFile)) out.with_base.push_back(gen.name);
  }
  // From the backup history file the server archived when the backup ended; unknown without one
  // (no fallback to a file time: the listing has none).
  out.read_end = [this](const std::string& name, const BaseInfo& info) {
    const RemoteGeneration& gen = generation(name);
    std::vector<std::string> wal_stored;
    std::string wal_prefix = std::string(kWalDir) + "/";
    for (const std::string& rel : gen.files) {
      if (rel.starts_with(wal_prefix)) wal_stored.push_back(rel.substr(wal_prefix.size()));
    }
    return backup_end_from_history(wal_stored, *info.label, [&](const std::string& stored) {
      return read_text(name, wal_prefix + stored);
    });
  };
  out.read_label = [this](const std::string& name) {
    const RemoteGeneration& gen = generation(name);
    std::string stored = stored_base(gen);
    std::string display = "remote " + gen.path(stored);
    // A new reader for every attempt: a failed one may have fed it part of the stream.
    std::optional<LabelReader> reader;
    auto restart = [&] { reader.emplace(config_, stored, display, stored_identity(name, stored)); };
    restart();
    ForwardSink to_reader([&](std::span<const std::byte> data) { reader->write(data); });
    bool found =
        fetch_.get_retrying(gen.path(stored), to_reader, restart, [&] { return reader->done(); });
    if (!found) throw Error("base backup '" + display + "' is listed but missing");
    return reader->info();
  };
  out.where = "the remote copy (" + fetch_.describe({"list"}) + ")";
  return out;
}

std::optional<std::string> RemoteBases::read_text(const std::string& name,
                                                  const std::string& rel) const {
  return fetch_stored_text(fetch_, config_, generation(name), rel);
}

BaseStream RemoteBases::base(const std::string& name) const {
  const RemoteGeneration& gen = generation(name);
  BaseStream s;
  s.generation = name;
  s.stored = stored_base(gen);
  s.display = "remote " + gen.path(s.stored);
  s.expected = remote_listed_digest(fetch_, gen, s.stored);
  s.feed = [this, rel = gen.path(s.stored), display = s.display](Sink& out) {
    if (!fetch_.get(rel, out)) throw Error("base backup '" + display + "' is listed but missing");
  };
  s.source = "the remote copy of " + dir_;
  return s;
}

}  // namespace pgbak
