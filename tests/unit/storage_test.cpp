#include "pipeline/stored_file.h"
#include "repo/stored_names.h"

#include <fcntl.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "crypto/keys.h"
#include "io/error.h"
#include "io/file.h"
#include "io/zstd_stream.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;
using pgbak::test::VectorSink;

namespace {

const std::string kId = stored_identity("1763700000", "pg_wal/a.zst.enc");

// The writer chain of the archive and snapshot paths: zstd, then the storage sink.
std::vector<std::byte> store(const Config& config, const std::string& text) {
  VectorSink out;
  StoredWriter stored(config, out, 3, 0, "x", kId);
  stored.write(std::as_bytes(std::span(text)));
  stored.finish();
  return out.bytes;
}

std::string load(const Config& config, const std::string& name, const std::vector<std::byte>& data,
                 const std::string& identity = kId) {
  VectorSink out;
  ZstdDecompressor dec(out, name);
  auto opened = make_storage_reader(config, dec, name, name, identity);
  opened->write(data);
  opened->finish();
  dec.finish();
  return std::string(reinterpret_cast<const char*>(out.bytes.data()), out.bytes.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage)

BOOST_AUTO_TEST_CASE(suffix_follows_the_configuration) {
  Config config = default_config();
  BOOST_TEST(!encryption_enabled(config));
  BOOST_TEST(stored_suffix(config) == "");
  config.encryption_old_key_files = "/etc/pgbak/old.key";  // reading old files only
  BOOST_TEST(stored_suffix(config) == "");
  config.encryption_key_file = "/etc/pgbak/key";
  BOOST_TEST(encryption_enabled(config));
  BOOST_TEST(stored_suffix(config) == ".enc");
  BOOST_TEST(is_encrypted_name("000000010000000000000001.zst.enc"));
  BOOST_TEST(!is_encrypted_name("000000010000000000000001.zst"));
  BOOST_TEST(!is_encrypted_name(".enc"));
}

BOOST_AUTO_TEST_CASE(plain_and_encrypted_round_trip_by_name) {
  TempDir tmp;
  Config plain = default_config();
  std::string text(200000, 'w');
  auto stored_plain = store(plain, text);
  BOOST_TEST((static_cast<unsigned>(stored_plain[0]) == 0x28u));  // a bare zstd frame

  Config enc = default_config();
  enc.encryption_key_file = tmp / "key";
  write_new_key_file(enc.encryption_key_file);
  auto stored_enc = store(enc, text);
  BOOST_TEST(std::memcmp(stored_enc.data(), "PGBAKENC", 8) == 0);

  // Reading goes by the name, whatever the configuration says now.
  BOOST_TEST(load(enc, "a.zst", stored_plain) == text);
  BOOST_TEST(load(enc, "a.zst.enc", stored_enc) == text);
  BOOST_TEST(load(plain, "a.zst", stored_plain) == text);
  // Encryption turned off, old key kept for reading.
  Config off = default_config();
  off.encryption_old_key_files = enc.encryption_key_file;
  BOOST_TEST(load(off, "a.zst.enc", stored_enc) == text);
  BOOST_CHECK_THROW(load(plain, "a.zst.enc", stored_enc), MissingKeyError);
  // Bound to its identity: read as another file, it does not authenticate.
  BOOST_TEST(kId == "1763700000/pg_wal/a.zst.enc");
  BOOST_CHECK_THROW(load(enc, "a.zst.enc", stored_enc, "1763700000/pg_wal/b.zst.enc"), Error);
  BOOST_TEST(load(enc, "a.zst", stored_plain, "1763700000/pg_wal/b.zst") == text);

  BOOST_REQUIRE(stored_enc.size() > 50u);
  stored_enc[50] ^= std::byte{4};
  try {
    load(enc, "a.zst.enc", stored_enc);
    BOOST_FAIL("tampered file accepted");
  } catch (const Error& e) {
    BOOST_TEST(
        std::string(e.what()).find("cannot decrypt 'a.zst.enc': authentication failed") == 0u,
        e.what());
  }
}

BOOST_AUTO_TEST_CASE(compress_file_gives_the_same_stream_kinds) {
  TempDir tmp;
  Config config = default_config();
  config.encryption_key_file = tmp / "key";
  write_new_key_file(config.encryption_key_file);
  std::string text(9 << 20, 'a');
  for (size_t i = 0; i < text.size(); i += 4099) text[i] = static_cast<char>('b' + i % 7);
  {
    std::ofstream f(tmp / "in", std::ios::binary);
    f << text;
  }
  UniqueFd in = open_or_throw(tmp / "in", O_RDONLY);
  for (const Config& c : {default_config(), config}) {
    for (int parts : {1, 2}) {
      VectorSink out;
      StoredWriter stored(c, out, 3, 0, "x", kId, text.size());
      BOOST_REQUIRE(stored.compress_file(in.get(), text.size(), parts));
      BOOST_TEST(load(c, encryption_enabled(c) ? "a.zst.enc" : "a.zst", out.bytes) == text);
    }
  }
}

BOOST_AUTO_TEST_CASE(writer_refuses_a_bad_key_file) {
  TempDir tmp;
  Config config = default_config();
  config.encryption_key_file = tmp / "key";
  write_new_key_file(config.encryption_key_file);
  ::chmod(config.encryption_key_file.c_str(), 0644);
  VectorSink out;
  BOOST_CHECK_THROW(make_storage_writer(config, out, "x", kId), Error);
}

BOOST_AUTO_TEST_CASE(read_stored_file_decrypts_and_decompresses_by_name) {
  TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  Config config = default_config();
  std::string text(300000, 'p');
  auto put = [&](const std::string& name, const std::vector<std::byte>& bytes) {
    UniqueFd fd = open_or_throw(tmp / name, O_WRONLY | O_CREAT | O_TRUNC);
    write_all(fd.get(), bytes.data(), bytes.size(), name);
  };
  auto read = [&](const std::string& name) {
    VectorSink out;
    read_stored_file(config, dir.get(), name, tmp / name, kId, out);
    return std::string(reinterpret_cast<const char*>(out.bytes.data()), out.bytes.size());
  };
  put("plain.zst", store(config, text));
  config.encryption_key_file = tmp / "key";
  write_new_key_file(config.encryption_key_file);
  auto sealed = store(config, text);
  put("sealed.zst.enc", sealed);
  BOOST_TEST(read("plain.zst") == text);
  BOOST_TEST(read("sealed.zst.enc") == text);

  sealed[sealed.size() - 3] ^= std::byte{0x80};
  put("bad.zst.enc", sealed);
  try {
    read("bad.zst.enc");
    BOOST_FAIL("tampered file read");
  } catch (const Error& e) {
    std::string want = "cannot decrypt '" + (tmp / "bad.zst.enc") + "': authentication failed";
    BOOST_TEST(std::string(e.what()).find(want) == 0u, e.what());
  }
  BOOST_CHECK_THROW(read("missing.zst"), Error);
}

BOOST_AUTO_TEST_CASE(find_stored_finds_either_form) {
  TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  BOOST_TEST(!find_stored(dir.get(), "A.zst").has_value());
  open_or_throw(tmp / "A.zst", O_WRONLY | O_CREAT);
  BOOST_TEST(*find_stored(dir.get(), "A.zst") == "A.zst");
  open_or_throw(tmp / "A.zst.enc", O_WRONLY | O_CREAT);
  BOOST_TEST(*find_stored(dir.get(), "A.zst") == "A.zst.enc");
  std::filesystem::remove(tmp / "A.zst");
  BOOST_TEST(*find_stored(dir.get(), "A.zst") == "A.zst.enc");
  BOOST_TEST(!find_stored(dir.get(), "B.zst").has_value());
}

BOOST_AUTO_TEST_CASE(original_name_strips_both_suffixes) {
  BOOST_TEST(*original_name("000000010000000000000001.zst", ".zst") == "000000010000000000000001");
  BOOST_TEST(*original_name("00000002.history.zst.enc", ".zst") == "00000002.history");
  BOOST_TEST(*original_name("base.tzst.enc", ".tzst") == "base");
  BOOST_TEST(!original_name("000000010000000000000001", ".zst").has_value());
  BOOST_TEST(!original_name("000000010000000000000001.enc", ".zst").has_value());
  BOOST_TEST(!original_name(".zst.enc", ".zst").has_value());
  BOOST_TEST(!original_name("x.zst.tmp", ".zst").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
