#include "crypto/algorithms.h"

#include <openssl/crypto.h>

#include "io/sha256.h"

namespace pgbak {
namespace {

// Called before the first fetch. Nothing of OpenSSL's state needs freeing at exit (key material
// lives in contexts that are freed, and thereby cleansed, by their owners).
void init_once() {
  static const bool done = OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
  if (!done) throw_crypto("cannot initialise OpenSSL");
}

template <class T>
T* fetched(T* algorithm, const char* name) {
  if (algorithm == nullptr) throw_crypto(std::string("cannot load ") + name + " from OpenSSL");
  return algorithm;
}

}  // namespace

const EVP_MD* sha256_md() {
  init_once();
  static EVP_MD* md = fetched(EVP_MD_fetch(nullptr, "SHA2-256", nullptr), "SHA-256");
  return md;
}

const EVP_CIPHER* aes_256_gcm_cipher() {
  init_once();
  static EVP_CIPHER* cipher =
      fetched(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), "AES-256-GCM");
  return cipher;
}

EVP_KDF* hkdf_kdf() {
  init_once();
  static EVP_KDF* kdf = fetched(EVP_KDF_fetch(nullptr, "HKDF", nullptr), "HKDF");
  return kdf;
}

}  // namespace pgbak
