// A byte stream consumer: compressors, decompressors, digests and files all take bytes this way.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace pgbak {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::span<const std::byte> data) = 0;
};

// Discards everything; for checks that only need to read a stream through.
class NullSink : public Sink {
 public:
  void write(std::span<const std::byte>) override {}
};

// Collects everything in a string; for short outputs (a listing, SHA256SUMS).
class StringSink : public Sink {
 public:
  void write(std::span<const std::byte> data) override {
    text.append(reinterpret_cast<const char*>(data.data()), data.size());
  }
  std::string text;
};

}  // namespace pgbak
