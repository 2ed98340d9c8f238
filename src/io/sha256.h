// SHA-256 of a byte stream through OpenSSL's EVP interface.
#pragma once

#include <openssl/evp.h>

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

// Normalises OpenSSL's error queue into an Error("<what>: <reason>").
[[noreturn]] void throw_crypto(const std::string& what);

}  // namespace pgbak
