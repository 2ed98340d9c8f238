// Streaming authenticated encryption between Sinks: AES-256-GCM in fixed-size chunks, each with
// its own tag, behind a small versioned header (docs/format.md is the normative description).
// The header and the file's identity (its generation and stored name: where it belongs) are bound
// into every chunk's authenticated data together with the chunk's index and a final-chunk flag,
// so modified, reordered, truncated, extended or spliced files, and files put under another name
// or into another generation, all fail.
#pragma once

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "io/sink.h"

namespace pgbak {

inline constexpr unsigned char kEncMagic[8] = {'P', 'G', 'B', 'A', 'K', 'E', 'N', 'C'};
// Version 2 binds the file's identity; version 1 files (identity not bound) are still read.
inline constexpr uint8_t kEncVersion = 2;
inline constexpr uint8_t kEncVersionUnbound = 1;
inline constexpr size_t kEncHeaderSize = 44;
inline constexpr size_t kEncTagSize = 16;
// Chunks hold 2^shift plaintext bytes; writers use the default, readers accept the range.
inline constexpr int kEncDefaultChunkShift = 16;
inline constexpr int kEncMinChunkShift = 12;
inline constexpr int kEncMaxChunkShift = 20;

// The random part of a header: the salt the per-file key is derived with and the nonce prefix.
struct EncHeaderRandom {
  std::array<unsigned char, 16> salt;
  std::array<unsigned char, 8> nonce_prefix;
};

// Cuts a stream into pieces of a fixed size. A full piece is handed on only once more data shows
// that it is not the last one: the last piece, full or not, stays for the caller's finish().
class HoldBackChunker {
 public:
  void reset(size_t size) {
    buf_.resize(size);
    len_ = 0;
  }
  // Calls emit(piece) for every piece known not to be the last.
  template <class Emit>
  void feed(std::span<const std::byte> data, Emit&& emit);
  // The held-back last piece.
  std::span<const std::byte> rest() const { return std::span(buf_).first(len_); }
  size_t size() const { return buf_.size(); }
  size_t held() const { return len_; }

 private:
  std::vector<std::byte> buf_;
  size_t len_ = 0;
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

class EncryptingSink : public Sink {
 public:
  // Encrypts for `key` with fresh header randomness from OpenSSL's CSPRNG, bound to `identity`
  // (repo/stored_names.h's stored_identity). `display` is the path used in error messages.
  EncryptingSink(Sink& out, const SecretKey& key, std::string display, std::string identity);
  // Tests only: fixed header randomness, chunk size and version (1 writes the old format, which
  // binds no identity), for known-answer tests.
  EncryptingSink(Sink& out, const SecretKey& key, std::string display, std::string identity,
                 const EncHeaderRandom& random, int chunk_shift = kEncDefaultChunkShift,
                 uint8_t version = kEncVersion);
  void write(std::span<const std::byte> data) override;
  // Seals the final chunk; must be called once after the last write.
  void finish();

 private:
  void seal(std::span<const std::byte> plain, bool final);

  Sink& out_;
  std::string display_;
  std::string identity_;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx_;
  std::array<unsigned char, kEncHeaderSize> header_;
  HoldBackChunker plain_;
  std::vector<std::byte> sealed_;
  uint64_t index_ = 0;
  bool header_sent_ = false;
};

class DecryptingSink : public Sink {
 public:
  // Decrypts a file written by EncryptingSink with any key of `keys` (the header's key id picks
  // it) for `identity` (a version 2 file written for another identity fails to verify; a version
  // 1 file binds none). Plaintext of a chunk reaches `out` only after that chunk's tag verified;
  // the last chunk is held back until finish(). Every failure is an Error "cannot decrypt
  // '<display>': authentication failed: <detail>"; a key id matching no key is a
  // MissingKeyError.
  DecryptingSink(Sink& out, Keyring keys, std::string display, std::string identity);
  void write(std::span<const std::byte> data) override;
  // Verifies and passes on the final chunk; throws if the file ended early.
  void finish();

 private:
  [[noreturn]] void fail(const std::string& detail) const;
  void start(const std::array<unsigned char, kEncHeaderSize>& header);
  void open(std::span<const std::byte> sealed, bool final);

  Sink& out_;
  Keyring keys_;
  std::string display_;
  std::string identity_;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx_;
  std::array<unsigned char, kEncHeaderSize> header_{};
  size_t header_len_ = 0;
  bool started_ = false;
  HoldBackChunker sealed_;  // ciphertext and tag of each chunk
  std::vector<std::byte> plain_;
  uint64_t index_ = 0;
};

template <class Emit>
void HoldBackChunker::feed(std::span<const std::byte> data, Emit&& emit) {
  const size_t size = buf_.size();
  while (!data.empty()) {
    if (len_ == size) {
      emit(std::span<const std::byte>(buf_));
      len_ = 0;
    }
    // Whole pieces straight from the input, without a copy, while more follows them.
    if (len_ == 0 && data.size() > size) {
      emit(data.first(size));
      data = data.subspan(size);
      continue;
    }
    size_t n = std::min(size - len_, data.size());
    std::copy_n(data.begin(), n, buf_.begin() + static_cast<std::ptrdiff_t>(len_));
    len_ += n;
    data = data.subspan(n);
  }
}

}  // namespace pgbak
