#include "crypto/encrypted_stream.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "io/error.h"
#include "io/sha256.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::VectorSink;

namespace {

using Bytes = std::vector<std::byte>;

constexpr size_t kChunk = size_t{1} << kEncDefaultChunkShift;
// The identity the helpers encrypt for and expect when decrypting.
const std::string kId = "1763700000/pg_wal/000000010000000000000001.zst.enc";
constexpr size_t kSealed = kChunk + kEncTagSize;

SecretKey test_key(unsigned char seed) {
  unsigned char raw[kKeySize];
  for (size_t i = 0; i < kKeySize; ++i) raw[i] = static_cast<unsigned char>(seed + i);
  return SecretKey(raw);
}

Keyring ring_of(std::initializer_list<unsigned char> seeds) {
  Keyring ring;
  for (unsigned char s : seeds) ring.add(test_key(s));
  return ring;
}

Bytes sample(size_t n, unsigned seed = 1) {
  Bytes v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = std::byte(rng() & 0xFF);
  return v;
}

// Encrypts in pieces of `piece` bytes to exercise the buffering.
Bytes encrypt(const Bytes& plain, const SecretKey& key, size_t piece = 100000,
              const std::string& identity = kId) {
  VectorSink out;
  EncryptingSink enc(out, key, "test.enc", identity);
  for (size_t off = 0; off < plain.size(); off += piece) {
    enc.write(std::span(plain).subspan(off, std::min(piece, plain.size() - off)));
  }
  enc.finish();
  return out.bytes;
}

// Decrypts; whatever reached the output before a failure is left in *partial.
Bytes decrypt(const Bytes& sealed, Keyring keys, size_t piece = 70000, Bytes* partial = nullptr,
              const std::string& identity = kId) {
  VectorSink out;
  try {
    DecryptingSink dec(out, std::move(keys), "/backup/1/pg_wal/X.zst.enc", identity);
    for (size_t off = 0; off < sealed.size(); off += piece) {
      dec.write(std::span(sealed).subspan(off, std::min(piece, sealed.size() - off)));
    }
    dec.finish();
  } catch (...) {
    if (partial != nullptr) *partial = out.bytes;
    throw;
  }
  return out.bytes;
}

size_t chunks_for(size_t n) {
  return n == 0 ? 1 : (n + kChunk - 1) / kChunk;
}

// Expects decryption to fail with "authentication failed" and the path, and returns what reached
// the output before the failure.
Bytes expect_auth_failure(const Bytes& sealed, Keyring keys, size_t piece = 70000,
                          const std::string& identity = kId) {
  Bytes partial;
  try {
    decrypt(sealed, std::move(keys), piece, &partial, identity);
  } catch (const Error& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("authentication failed") != std::string::npos, what);
    BOOST_TEST(what.find("'/backup/1/pg_wal/X.zst.enc'") != std::string::npos, what);
    return partial;
  }
  BOOST_FAIL("decryption of a bad file succeeded");
  return {};
}

// True if `got` is a prefix of `plain` made of whole chunks, each of which verified.
bool whole_chunk_prefix(const Bytes& got, const Bytes& plain, size_t max_chunks) {
  return got.size() % kChunk == 0 && got.size() / kChunk <= max_chunks &&
         got.size() <= plain.size() && std::equal(got.begin(), got.end(), plain.begin());
}

std::string hex(const Bytes& b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    s += digits[static_cast<unsigned>(x) >> 4];
    s += digits[static_cast<unsigned>(x) & 15];
  }
  return s;
}

std::string sha256_hex(const Bytes& b) {
  Sha256 h;
  h.write(b);
  return h.hex_digest();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(encrypted_stream)

BOOST_AUTO_TEST_CASE(round_trip_of_many_sizes) {
  auto key = test_key(1);
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{4095}, kChunk - 1, kChunk,
        kChunk + 1, 2 * kChunk, 2 * kChunk + 1, 3 * kChunk - 7, size_t{1000000}}) {
    Bytes plain = sample(n, static_cast<unsigned>(n));
    for (size_t piece : {size_t{1000}, kChunk, kChunk + 3, size_t{1} << 20}) {
      if (piece < 4096 && n > 300000) continue;  // slow and adds nothing
      Bytes sealed = encrypt(plain, key, piece);
      BOOST_TEST(sealed.size() == kEncHeaderSize + n + kEncTagSize * chunks_for(n), "size " << n);
      for (size_t dpiece : {size_t{1}, size_t{4097}, kSealed, sealed.size()}) {
        if (dpiece == 1 && n > 200000) continue;
        BOOST_TEST((decrypt(sealed, ring_of({1}), dpiece) == plain),
                   "size " << n << " piece " << dpiece);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(header_layout) {
  auto key = test_key(1);
  Bytes sealed = encrypt(sample(10), key);
  BOOST_TEST(std::memcmp(sealed.data(), "PGBAKENC", 8) == 0);
  BOOST_TEST(static_cast<int>(sealed[8]) == 2);
  BOOST_TEST(static_cast<int>(sealed[9]) == 16);
  BOOST_TEST((static_cast<int>(sealed[10]) | static_cast<int>(sealed[11])) == 0);
  BOOST_TEST(std::memcmp(sealed.data() + 12, key.id().data(), 8) == 0);
  // Fresh randomness per file: the same input never gives the same bytes twice.
  Bytes again = encrypt(sample(10), key);
  BOOST_TEST(std::memcmp(sealed.data() + 20, again.data() + 20, 24) != 0);
  BOOST_TEST((Bytes(sealed.begin() + 44, sealed.end()) != Bytes(again.begin() + 44, again.end())));
}

// Vectors computed by tests/crypto/decrypt.py (python3-cryptography), not by this code.
BOOST_AUTO_TEST_CASE(known_answers) {
  unsigned char raw[kKeySize];
  for (size_t i = 0; i < kKeySize; ++i) raw[i] = static_cast<unsigned char>(i);
  SecretKey key(raw);
  BOOST_TEST(key_id_hex(key.id()) == "e040df6bb85e0d0c");
  EncHeaderRandom random;
  for (size_t i = 0; i < 16; ++i) random.salt[i] = static_cast<unsigned char>(0x10 + i);
  for (size_t i = 0; i < 8; ++i) random.nonce_prefix[i] = static_cast<unsigned char>(0xa0 + i);
  auto pattern = [](size_t n) {
    Bytes v(n);
    for (size_t i = 0; i < n; ++i) v[i] = std::byte((i * 7 + 3) & 0xFF);
    return v;
  };
  auto seal = [&](const Bytes& plain, int shift, uint8_t version) {
    VectorSink out;
    EncryptingSink enc(out, key, "kat", kId, random, shift, version);
    enc.write(plain);
    enc.finish();
    return out.bytes;
  };
  const std::string tail = "100000e040df6bb85e0d0c101112131415161718191a1b1c1d1e1fa0a1a2a3a4a5a6a7";
  // Version 2, bound to kId.
  const std::string v2 = "504742414b454e4302" + tail;
  BOOST_TEST(hex(seal(pattern(5), 16, 2)) == v2 + "aa9049851c8ff3fd28c9a59bb4c18d0fefc468bc54");
  BOOST_TEST(hex(seal({}, 16, 2)) == v2 + "30a981121c7884a908cee07d86ad9f5b");
  Bytes three_chunks = seal(pattern(10000), 12, 2);
  BOOST_TEST(three_chunks.size() == 10092u);
  BOOST_TEST(sha256_hex(three_chunks) ==
             "81f9c1613c7d14672bc986456f8f62bafe95384179d42fa28badbf7912f686d3");
  BOOST_TEST((decrypt(three_chunks, ring_of({0})) == pattern(10000)));
  // Version 1 (no identity): what pgbak wrote before, still read, under any name.
  const std::string v1 = "504742414b454e4301" + tail;
  BOOST_TEST(hex(seal(pattern(5), 16, 1)) == v1 + "1b35eedbe161a76bca21bc97fbc24ec9444ea5eab1");
  BOOST_TEST(hex(seal({}, 16, 1)) == v1 + "f64104f209f4e0fa30c5f99ce54d0ed9");
  Bytes old = seal(pattern(10000), 12, 1);
  BOOST_TEST(sha256_hex(old) == "ab2de09f68008310e6f59e6dd91097e9e631a4496c67ae98c8d430517e353ff9");
  BOOST_TEST((decrypt(old, ring_of({0}), 70000, nullptr, "other/base.tzst.enc") == pattern(10000)));
}

BOOST_AUTO_TEST_CASE(a_file_read_under_another_identity_fails) {
  Bytes plain = sample(2 * kChunk + 10);
  Bytes sealed = encrypt(plain, test_key(1));
  BOOST_TEST((decrypt(sealed, ring_of({1})) == plain));
  // A segment copied under another segment's name, into another generation, a history file put
  // in another's place, a base moved between generations, and a name one byte longer.
  for (const std::string& other :
       std::vector<std::string>{"1763700000/pg_wal/000000010000000000000002.zst.enc",
                                "1763800000/pg_wal/000000010000000000000001.zst.enc",
                                "1763700000/pg_wal/00000002.history.zst.enc",
                                "1763700000/base.tzst.enc", kId + "x", ""}) {
    BOOST_TEST(expect_auth_failure(sealed, ring_of({1}), 70000, other).empty(), other);
  }
  Bytes base = encrypt(plain, test_key(1), 100000, "1763700000/base.tzst.enc");
  BOOST_TEST(expect_auth_failure(base, ring_of({1}), 70000, "1763800000/base.tzst.enc").empty());
}

BOOST_AUTO_TEST_CASE(bit_flip_anywhere_in_the_header_fails_without_output) {
  Bytes plain = sample(3 * kChunk + 100);
  Bytes sealed = encrypt(plain, test_key(1));
  for (size_t pos = 0; pos < kEncHeaderSize; ++pos) {
    for (int bit : {0, 7}) {
      Bytes bad = sealed;
      bad[pos] ^= std::byte(1 << bit);
      BOOST_TEST(expect_auth_failure(bad, ring_of({1})).empty(), "byte " << pos);
    }
  }
}

BOOST_AUTO_TEST_CASE(bit_flip_in_a_chunk_or_tag_stops_before_that_chunk) {
  Bytes plain = sample(4 * kChunk + 100);
  Bytes sealed = encrypt(plain, test_key(1));
  for (size_t chunk = 0; chunk < 5; ++chunk) {
    size_t start = kEncHeaderSize + chunk * kSealed;
    size_t len = std::min(kSealed, sealed.size() - start);
    // First and last ciphertext byte, then first and last tag byte.
    for (size_t off : {size_t{0}, len - kEncTagSize - 1, len - kEncTagSize, len - 1}) {
      Bytes bad = sealed;
      bad[start + off] ^= std::byte{0x01};
      Bytes got = expect_auth_failure(bad, ring_of({1}));
      BOOST_TEST(got.size() == chunk * kChunk, "chunk " << chunk << " offset " << off);
      BOOST_TEST(whole_chunk_prefix(got, plain, chunk));
    }
  }
}

BOOST_AUTO_TEST_CASE(truncation_at_every_chunk_boundary_and_inside_chunks_fails) {
  Bytes plain = sample(4 * kChunk + 100);
  Bytes sealed = encrypt(plain, test_key(1));
  std::vector<size_t> cuts = {
      0, 1, kEncHeaderSize - 1, kEncHeaderSize, kEncHeaderSize + 1, kEncHeaderSize + kEncTagSize};
  for (size_t chunk = 1; chunk <= 4; ++chunk) {
    size_t boundary = kEncHeaderSize + chunk * kSealed;
    cuts.insert(cuts.end(), {boundary, boundary - 1, boundary + 1, boundary - kEncTagSize,
                             boundary + kEncTagSize, boundary - kSealed / 2});
  }
  cuts.push_back(sealed.size() - 1);
  for (size_t cut : cuts) {
    Bytes bad(sealed.begin(), sealed.begin() + static_cast<long>(cut));
    Bytes got = expect_auth_failure(bad, ring_of({1}));
    BOOST_TEST(whole_chunk_prefix(got, plain, 4), "cut at " << cut);
  }
}

BOOST_AUTO_TEST_CASE(trailing_data_fails) {
  Bytes plain = sample(2 * kChunk + 5);
  Bytes sealed = encrypt(plain, test_key(1));
  for (size_t extra : {size_t{1}, kEncTagSize, kSealed}) {
    Bytes bad = sealed;
    bad.resize(bad.size() + extra, std::byte{0});
    expect_auth_failure(bad, ring_of({1}));
  }
  // A whole final chunk appended from another file of the same key fails too.
  Bytes other = encrypt(sample(2 * kChunk + 5, 9), test_key(1));
  Bytes bad = sealed;
  bad.insert(bad.end(), other.end() - 5 - static_cast<long>(kEncTagSize), other.end());
  expect_auth_failure(bad, ring_of({1}));
}

BOOST_AUTO_TEST_CASE(exactly_one_chunk_cut_to_an_empty_final_chunk_fails) {
  Bytes sealed = encrypt(sample(kChunk), test_key(1));
  BOOST_TEST(sealed.size() == kEncHeaderSize + kSealed);
  // Header of a file plus the (empty-plaintext) tag of another: never valid after chunk 0.
  Bytes bad = encrypt(sample(kChunk + 1), test_key(1));
  bad.resize(kEncHeaderSize + kSealed + kEncTagSize);
  expect_auth_failure(bad, ring_of({1}));
}

BOOST_AUTO_TEST_CASE(chunks_swapped_between_files_or_reordered_fail) {
  auto key = test_key(1);
  Bytes a_plain = sample(3 * kChunk + 10, 1);
  Bytes a = encrypt(a_plain, key);
  Bytes b = encrypt(sample(3 * kChunk + 10, 2), key);
  auto chunk_at = [](size_t i) { return static_cast<long>(kEncHeaderSize + i * kSealed); };

  Bytes spliced = a;  // chunk 1 of b in place of chunk 1 of a (same key, same position)
  std::copy(b.begin() + chunk_at(1), b.begin() + chunk_at(2), spliced.begin() + chunk_at(1));
  BOOST_TEST(expect_auth_failure(spliced, ring_of({1})).size() == kChunk);

  Bytes other_header = a;  // a's chunks behind b's header
  std::copy(b.begin(), b.begin() + kEncHeaderSize, other_header.begin());
  BOOST_TEST(expect_auth_failure(other_header, ring_of({1})).empty());

  Bytes reordered = a;  // chunks 0 and 1 swapped
  std::copy(a.begin() + chunk_at(1), a.begin() + chunk_at(2), reordered.begin() + chunk_at(0));
  std::copy(a.begin() + chunk_at(0), a.begin() + chunk_at(1), reordered.begin() + chunk_at(1));
  BOOST_TEST(expect_auth_failure(reordered, ring_of({1})).empty());

  Bytes dropped = a;  // chunk 1 removed: chunk 2 then sits at index 1
  dropped.erase(dropped.begin() + chunk_at(1), dropped.begin() + chunk_at(2));
  BOOST_TEST(expect_auth_failure(dropped, ring_of({1})).size() == kChunk);

  Bytes duplicated = a;  // chunk 0 repeated
  duplicated.insert(duplicated.begin() + chunk_at(1), a.begin() + chunk_at(0),
                    a.begin() + chunk_at(1));
  BOOST_TEST(expect_auth_failure(duplicated, ring_of({1})).size() == kChunk);
}

BOOST_AUTO_TEST_CASE(wrong_key_fails) {
  Bytes sealed = encrypt(sample(1000), test_key(1));
  // No key with the header's id: a MissingKeyError that names the id and the configured ones.
  try {
    decrypt(sealed, ring_of({2, 3}));
    BOOST_FAIL("decrypted with the wrong key");
  } catch (const MissingKeyError& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("authentication failed") != std::string::npos);
    BOOST_TEST(what.find(key_id_hex(test_key(1).id())) != std::string::npos);
    BOOST_TEST(what.find(key_id_hex(test_key(2).id())) != std::string::npos);
  }
  BOOST_CHECK_THROW(decrypt(sealed, Keyring{}), MissingKeyError);
  // A header claiming another key's id (as a key-id collision would) fails on the first tag.
  Bytes relabelled = sealed;
  std::memcpy(relabelled.data() + 12, test_key(2).id().data(), kKeyIdSize);
  BOOST_TEST(expect_auth_failure(relabelled, ring_of({2})).empty());
}

BOOST_AUTO_TEST_CASE(rotation_reads_files_of_every_configured_key) {
  Bytes p1 = sample(kChunk + 1, 1), p2 = sample(5, 2);
  Bytes old_file = encrypt(p1, test_key(1));
  Bytes new_file = encrypt(p2, test_key(2));
  BOOST_TEST((decrypt(old_file, ring_of({2, 1})) == p1));
  BOOST_TEST((decrypt(new_file, ring_of({2, 1})) == p2));
  BOOST_CHECK_THROW(decrypt(old_file, ring_of({2})), MissingKeyError);
}

BOOST_AUTO_TEST_CASE(other_chunk_sizes_in_range_are_read) {
  EncHeaderRandom random{};
  for (int shift : {kEncMinChunkShift, kEncMaxChunkShift}) {
    Bytes plain = sample((size_t{1} << shift) * 2 + 3);
    VectorSink out;
    EncryptingSink enc(out, test_key(1), "t", kId, random, shift);
    enc.write(plain);
    enc.finish();
    BOOST_TEST((decrypt(out.bytes, ring_of({1})) == plain));
  }
}

BOOST_AUTO_TEST_SUITE_END()
