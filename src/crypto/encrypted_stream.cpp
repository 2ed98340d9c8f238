#include "crypto/encrypted_stream.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <cstring>
#include <string_view>

#include "crypto/algorithms.h"
#include "io/error.h"
#include "io/sha256.h"

namespace pgbak {
namespace {

// HKDF info per format version: keys of one version are never those of the other.
constexpr char kFileKeyInfoV1[] = "pgbak file key v1";
constexpr char kFileKeyInfoV2[] = "pgbak file key v2";
constexpr size_t kSaltOffset = 20;
constexpr size_t kNoncePrefixOffset = 36;
constexpr size_t kKeyIdOffset = 12;

// The per-file AES key: HKDF-SHA256(master key, salt from the header). A fresh key per file keeps
// GCM's limits per file instead of across every file ever written with one master key.
void derive_file_key(const SecretKey& key, const unsigned char* salt, uint8_t version,
                     unsigned char (&out)[kKeySize]) {
  std::string_view info = version == kEncVersionUnbound ? kFileKeyInfoV1 : kFileKeyInfoV2;
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(hkdf_kdf()),
                                                                EVP_KDF_CTX_free);
  char digest[] = "SHA2-256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(key.data()),
                                        kKeySize),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(salt), 16),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end(),
  };
  if (!ctx || EVP_KDF_derive(ctx.get(), out, kKeySize, params) != 1) {
    throw_crypto("cannot derive a file key");
  }
}

// A GCM context keyed with the file's key; `encrypt` picks the direction.
std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> keyed_context(const SecretKey& key,
                                                                const unsigned char* salt,
                                                                uint8_t version, bool encrypt) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  unsigned char file_key[kKeySize];
  derive_file_key(key, salt, version, file_key);
  bool ok = ctx &&
            EVP_CipherInit_ex(ctx.get(), aes_256_gcm_cipher(), nullptr, nullptr, nullptr,
                              encrypt ? 1 : 0) == 1 &&
            EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, file_key, nullptr, encrypt ? 1 : 0) == 1;
  OPENSSL_cleanse(file_key, sizeof file_key);
  if (!ok) throw_crypto("cannot set up AES-256-GCM");
  return ctx;
}

void put_be(unsigned char* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<unsigned char>(v & 0xFF);
}

// Starts a chunk: nonce = nonce prefix || index (32-bit big-endian); associated data = header ||
// (version 2: identity length (32-bit big-endian) || identity) || index (64-bit big-endian) ||
// final flag.
bool begin_chunk(EVP_CIPHER_CTX* ctx, const std::array<unsigned char, kEncHeaderSize>& header,
                 const std::string& identity, uint64_t index, bool final) {
  unsigned char nonce[12];
  std::memcpy(nonce, header.data() + kNoncePrefixOffset, 8);
  put_be(nonce + 8, index, 4);
  unsigned char suffix[9];
  put_be(suffix, index, 8);
  suffix[8] = final ? 1 : 0;
  int len = 0;
  bool ok = EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1) == 1 &&
            EVP_CipherUpdate(ctx, nullptr, &len, header.data(), header.size()) == 1;
  if (ok && header[8] != kEncVersionUnbound) {
    unsigned char size[4];
    put_be(size, identity.size(), 4);
    ok = EVP_CipherUpdate(ctx, nullptr, &len, size, sizeof size) == 1 &&
         (identity.empty() ||
          EVP_CipherUpdate(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(identity.data()),
                           static_cast<int>(identity.size())) == 1);
  }
  return ok && EVP_CipherUpdate(ctx, nullptr, &len, suffix, sizeof suffix) == 1;
}

unsigned char* bytes(std::byte* p) {
  return reinterpret_cast<unsigned char*>(p);
}
const unsigned char* bytes(const std::byte* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

EncHeaderRandom fresh_random() {
  EncHeaderRandom r;
  if (RAND_bytes(r.salt.data(), r.salt.size()) != 1 ||
      RAND_bytes(r.nonce_prefix.data(), r.nonce_prefix.size()) != 1) {
    throw_crypto("cannot generate a random nonce");
  }
  return r;
}

}  // namespace

EncryptingSink::EncryptingSink(Sink& out, const SecretKey& key, std::string display,
                               std::string identity)
    : EncryptingSink(out, key, std::move(display), std::move(identity), fresh_random()) {}

EncryptingSink::EncryptingSink(Sink& out, const SecretKey& key, std::string display,
                               std::string identity, const EncHeaderRandom& random, int chunk_shift,
                               uint8_t version)
    : out_(out),
      display_(std::move(display)),
      identity_(std::move(identity)),
      ctx_(keyed_context(key, random.salt.data(), version, true)),
      sealed_((size_t{1} << chunk_shift) + kEncTagSize) {
  plain_.reset(size_t{1} << chunk_shift);
  std::memcpy(header_.data(), kEncMagic, sizeof kEncMagic);
  header_[8] = version;
  header_[9] = static_cast<unsigned char>(chunk_shift);
  header_[10] = header_[11] = 0;
  std::memcpy(header_.data() + kKeyIdOffset, key.id().data(), kKeyIdSize);
  std::memcpy(header_.data() + kSaltOffset, random.salt.data(), random.salt.size());
  std::memcpy(header_.data() + kNoncePrefixOffset, random.nonce_prefix.data(),
              random.nonce_prefix.size());
}

void EncryptingSink::seal(std::span<const std::byte> plain, bool final) {
  if (!header_sent_) {
    out_.write(std::as_bytes(std::span(header_)));
    header_sent_ = true;
  }
  if (index_ > UINT32_MAX) throw Error("cannot encrypt '" + display_ + "': file too large");
  int len = 0;
  int tail = 0;
  unsigned char* dst = bytes(sealed_.data());
  bool ok =
      begin_chunk(ctx_.get(), header_, identity_, index_, final) &&
      (plain.empty() || EVP_CipherUpdate(ctx_.get(), dst, &len, bytes(plain.data()),
                                         static_cast<int>(plain.size())) == 1) &&
      EVP_CipherFinal_ex(ctx_.get(), dst + len, &tail) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_GET_TAG, kEncTagSize, dst + plain.size()) == 1;
  if (!ok) throw_crypto("cannot encrypt '" + display_ + "'");
  out_.write({sealed_.data(), plain.size() + kEncTagSize});
  ++index_;
}

void EncryptingSink::write(std::span<const std::byte> data) {
  plain_.feed(data, [this](std::span<const std::byte> piece) { seal(piece, false); });
}

void EncryptingSink::finish() {
  seal(plain_.rest(), true);
}

DecryptingSink::DecryptingSink(Sink& out, Keyring keys, std::string display, std::string identity)
    : out_(out),
      keys_(std::move(keys)),
      display_(std::move(display)),
      identity_(std::move(identity)) {}

void DecryptingSink::fail(const std::string& detail) const {
  ERR_clear_error();
  throw AuthError("cannot decrypt '" + display_ + "': authentication failed: " + detail);
}

void DecryptingSink::start(const std::array<unsigned char, kEncHeaderSize>& header) {
  if (std::memcmp(header.data(), kEncMagic, sizeof kEncMagic) != 0) {
    fail("not a pgbak encrypted file (bad magic)");
  }
  if (header[8] != kEncVersion && header[8] != kEncVersionUnbound) {
    fail("unsupported format version " + std::to_string(header[8]));
  }
  int shift = header[9];
  if (shift < kEncMinChunkShift || shift > kEncMaxChunkShift || header[10] != 0 ||
      header[11] != 0) {
    fail("bad header");
  }
  KeyId id;
  std::memcpy(id.data(), header.data() + kKeyIdOffset, id.size());
  const SecretKey* key = keys_.find(id);
  if (key == nullptr) {
    std::string have = keys_.empty() ? "no key is configured" : "configured: " + keys_.ids_text();
    throw MissingKeyError("cannot decrypt '" + display_ +
                          "': authentication failed: written with key id " + key_id_hex(id) +
                          ", which matches no configured key (" + have +
                          ") (HINT: set encryption-key-file, or list the old key in "
                          "encryption-old-key-files)");
  }
  ctx_ = keyed_context(*key, header.data() + kSaltOffset, header[8], false);
  sealed_.reset((size_t{1} << shift) + kEncTagSize);
  plain_.resize(size_t{1} << shift);
  started_ = true;
}

void DecryptingSink::open(std::span<const std::byte> sealed, bool final) {
  size_t n = sealed.size() - kEncTagSize;
  unsigned char tag[kEncTagSize];
  std::memcpy(tag, sealed.data() + n, kEncTagSize);
  unsigned char* dst = bytes(plain_.data());
  int len = 0;
  int tail = 0;
  bool set_up = begin_chunk(ctx_.get(), header_, identity_, index_, final) &&
                (n == 0 || EVP_CipherUpdate(ctx_.get(), dst, &len, bytes(sealed.data()),
                                            static_cast<int>(n)) == 1) &&
                EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_GCM_SET_TAG, kEncTagSize, tag) == 1;
  if (!set_up) throw_crypto("cannot decrypt '" + display_ + "'");
  if (EVP_CipherFinal_ex(ctx_.get(), dst + len, &tail) != 1) {
    // Unverified plaintext never leaves this buffer.
    OPENSSL_cleanse(dst, n);
    fail("chunk " + std::to_string(index_) +
         " does not verify (wrong key, or the file was modified, truncated or spliced, or is "
         "another file put under this name or into this generation)");
  }
  out_.write({plain_.data(), n});
  ++index_;
}

void DecryptingSink::write(std::span<const std::byte> data) {
  if (!started_) {
    size_t n = std::min(kEncHeaderSize - header_len_, data.size());
    std::memcpy(header_.data() + header_len_, data.data(), n);
    header_len_ += n;
    data = data.subspan(n);
    if (header_len_ < kEncHeaderSize) return;
    start(header_);
  }
  sealed_.feed(data, [this](std::span<const std::byte> chunk) { open(chunk, false); });
}

void DecryptingSink::finish() {
  if (!started_) {
    fail("truncated: " + std::to_string(header_len_) + " bytes, shorter than the " +
         std::to_string(kEncHeaderSize) + "-byte header");
  }
  std::span<const std::byte> last = sealed_.rest();
  if (last.size() < kEncTagSize) {
    fail("truncated: the file ends inside chunk " + std::to_string(index_));
  }
  // Writers seal an empty final chunk only for empty input; elsewhere it means a cut file.
  if (last.size() == kEncTagSize && index_ > 0) {
    fail("truncated: an empty final chunk after chunk " + std::to_string(index_ - 1));
  }
  open(last, true);
}

}  // namespace pgbak
