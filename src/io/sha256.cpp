#include "io/sha256.h"

#include <openssl/err.h>

#include "io/error.h"
#include "io/hex.h"

namespace pgbak {

void throw_crypto(const std::string& what) {
  unsigned long code = ERR_get_error();
  char reason[256] = "unknown OpenSSL error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw Error(what + ": " + reason);
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    throw_crypto("cannot start SHA-256");
  }
}

void Sha256::write(std::span<const std::byte> data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) throw_crypto("SHA-256 failed");
}

std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &len) != 1) throw_crypto("SHA-256 failed");
  return to_hex({md, len});
}

void HashingSink::write(std::span<const std::byte> data) {
  sha_.write(data);
  bytes_ += data.size();
  next_.write(data);
}

}  // namespace pgbak
