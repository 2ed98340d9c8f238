// The OpenSSL algorithms encryption uses, fetched once per process. Explicit fetches skip the
// ENGINE lookups that the legacy EVP_sha256()-style getters do on first use, and OpenSSL's
// at-exit teardown is skipped: archive-wal is a short-lived process that pays both on every call.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

namespace pgbak {

const EVP_MD* sha256_md();
const EVP_CIPHER* aes_256_gcm_cipher();
EVP_KDF* hkdf_kdf();

}  // namespace pgbak
