// SHA-256 of a byte stream through OpenSSL's EVP interface.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "io/sink.h"

namespace pgbak {

class Sha256 : public Sink {
 public:
  Sha256();
  void write(std::span<const std::byte> data) override;
  // Lower-case hex digest; call once, after the last write.
  std::string hex_digest();

 private:
  struct Deleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Deleter> ctx_;
};

// Passes bytes on to `next` and hashes them (and counts them) on the way: the digest of a stream
// as it is stored or read, in the same pass.
class HashingSink : public Sink {
 public:
  explicit HashingSink(Sink& next) : next_(next) {}
  void write(std::span<const std::byte> data) override;
  // Lower-case hex digest of everything written; call once, after the last write.
  std::string hex_digest() { return sha_.hex_digest(); }
  uint64_t bytes() const { return bytes_; }

 private:
  Sink& next_;
  Sha256 sha_;
  uint64_t bytes_ = 0;
};

// Normalises OpenSSL's error queue into an Error("<what>: <reason>").
[[noreturn]] void throw_crypto(const std::string& what);

}  // namespace pgbak
