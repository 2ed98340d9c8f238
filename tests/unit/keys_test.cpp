#include "crypto/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/file.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;

namespace {

// Writes a file with exactly these bytes and mode (whatever the umask).
std::string put(const TempDir& tmp, const std::string& name, const std::string& content,
                mode_t mode = 0600) {
  std::string path = tmp / name;
  UniqueFd fd = open_or_throw(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  write_all(fd.get(), content.data(), content.size(), path);
  BOOST_REQUIRE(::fchmod(fd.get(), mode) == 0);
  return path;
}

std::string raw_key() {
  std::string k;
  for (int i = 0; i < 32; ++i) k += static_cast<char>(i);
  return k;
}

const std::string kHexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKeyId = "e040df6bb85e0d0c";  // from tests/crypto/decrypt.py --key-id

std::string refusal(const std::string& path) {
  try {
    load_key_file(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(keys)

BOOST_AUTO_TEST_CASE(raw_and_hex_key_files_load_the_same_key) {
  TempDir tmp;
  for (const std::string& content :
       {raw_key(), kHexKey, kHexKey + "\n",
        std::string("000102030405060708090A0B0C0D0E0F") + "101112131415161718191A1B1C1D1E1F"}) {
    SecretKey key = load_key_file(put(tmp, "key", content));
    BOOST_TEST(key_id_hex(key.id()) == kKeyId);
    BOOST_TEST(std::memcmp(key.data(), raw_key().data(), kKeySize) == 0);
  }
  BOOST_TEST(key_id_hex(load_key_file(put(tmp, "ro", kHexKey, 0400)).id()) == kKeyId);
}

BOOST_AUTO_TEST_CASE(key_file_with_open_mode_is_refused) {
  TempDir tmp;
  for (mode_t mode : {0640, 0604, 0644, 0700, 0660, 0606, 01600, 04600}) {
    std::string path = put(tmp, "key", kHexKey, mode);
    std::string why = refusal(path);
    BOOST_TEST(contains(why, "too open"), why);
    BOOST_TEST(contains(why, "'" + path + "'"), why);
    BOOST_TEST(contains(why, "HINT: chmod 600"), why);
  }
}

BOOST_AUTO_TEST_CASE(key_file_of_another_user_is_refused_unless_root_reads_it) {
  struct stat st {};
  st.st_mode = S_IFREG | 0600;
  st.st_uid = 1000;
  BOOST_TEST(!key_file_problem(st, 1000, "k").has_value());
  auto why = key_file_problem(st, 1001, "k");
  BOOST_TEST(why.has_value());
  BOOST_TEST(contains(why.value_or(""), "owned by uid 1000, not by uid 1001"), why.value_or(""));
  BOOST_TEST(!key_file_problem(st, 0, "k").has_value());  // root: any owner
  st.st_mode = S_IFREG | 0640;
  BOOST_TEST(contains(key_file_problem(st, 0, "k").value_or(""), "too open"));  // but never open
  st.st_mode = S_IFDIR | 0700;
  BOOST_TEST(key_file_problem(st, 1000, "k").value_or("") == "not a regular file");

  TempDir tmp;
  std::string path = put(tmp, "key", kHexKey);
  if (::geteuid() == 0) {
    BOOST_REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
    BOOST_TEST(refusal(path).empty(), "root may use a key owned by another user");
  }
}

BOOST_AUTO_TEST_CASE(key_file_of_bad_length_or_content_is_refused) {
  TempDir tmp;
  for (const std::string& content :
       {std::string(), raw_key().substr(1), raw_key() + "x", kHexKey.substr(1), kHexKey + "\n\n",
        kHexKey + " ", kHexKey.substr(0, 63) + "g", kHexKey.substr(0, 63) + "g\n"}) {
    std::string why = refusal(put(tmp, "key", content));
    BOOST_TEST(contains(why, "must hold 32 bytes"), why << " (size " << content.size() << ")");
    BOOST_TEST(!contains(why, "0001020304"), "the key must never appear in a message");
  }
  BOOST_TEST(contains(refusal(tmp / "missing"), "cannot open encryption key file"));
  std::filesystem::create_directory(tmp / "dir");
  ::chmod((tmp / "dir").c_str(), 0700);
  BOOST_TEST(contains(refusal(tmp / "dir"), "not a regular file"));
}

BOOST_AUTO_TEST_CASE(moved_from_key_is_wiped) {
  unsigned char raw[kKeySize];
  for (size_t i = 0; i < kKeySize; ++i) raw[i] = static_cast<unsigned char>(i + 1);
  SecretKey a(raw);
  SecretKey b(std::move(a));
  unsigned char zero[kKeySize] = {};
  BOOST_TEST(std::memcmp(a.data(), zero, kKeySize) == 0);  // NOLINT(bugprone-use-after-move)
  BOOST_TEST(std::memcmp(b.data(), raw, kKeySize) == 0);
}

BOOST_AUTO_TEST_CASE(keygen_writes_a_fresh_0600_key_once) {
  TempDir tmp;
  mode_t old = ::umask(0);
  KeyId id = write_new_key_file(tmp / "k1");
  ::umask(old);
  struct stat st;
  BOOST_REQUIRE(::stat((tmp / "k1").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  std::string text = slurp(tmp / "k1");
  BOOST_TEST(text.size() == 65u);
  BOOST_TEST(text.find_first_not_of("0123456789abcdef") == 64u);
  BOOST_TEST(load_key_file(tmp / "k1").id() == id);
  BOOST_TEST((write_new_key_file(tmp / "k2") != id));
  // Never overwrites: the old key stays as it was.
  BOOST_CHECK_THROW(write_new_key_file(tmp / "k1"), Error);
  BOOST_TEST(slurp(tmp / "k1") == text);
  // Nor follows a symbolic link to create a file elsewhere.
  std::filesystem::create_symlink(tmp / "elsewhere", tmp / "link");
  BOOST_CHECK_THROW(write_new_key_file(tmp / "link"), Error);
  BOOST_TEST(!std::filesystem::exists(tmp / "elsewhere"));
}

BOOST_AUTO_TEST_CASE(keyring_from_config_finds_keys_by_id) {
  TempDir tmp;
  std::string current = put(tmp, "new", kHexKey);
  KeyId old_id = write_new_key_file(tmp / "old");
  Config config = default_config();
  config.encryption_key_file = current;
  config.encryption_old_key_files = " " + (tmp / "old") + " , " + current + ",";
  BOOST_TEST(old_key_files(config).size() == 2u);
  Keyring ring = load_keyring(config);
  BOOST_TEST(ring.find(old_id) != nullptr);
  BOOST_TEST(key_id_hex(ring.find(load_key_file(current).id())->id()) == kKeyId);
  BOOST_TEST(ring.ids_text() == kKeyId + ", " + key_id_hex(old_id));
  config.encryption_old_key_files = tmp / "missing";
  BOOST_CHECK_THROW(load_keyring(config), Error);
}

BOOST_AUTO_TEST_CASE(key_settings_must_be_absolute_and_outside_the_backup_directory) {
  TempDir tmp;
  std::filesystem::create_directory(tmp / "pgbak");
  std::string outside = put(tmp, "key", kHexKey);
  std::string inside = put(tmp, "pgbak/key", kHexKey);
  Config config = default_config();
  validate_key_settings(config, tmp / "pgbak");
  config.encryption_key_file = outside;
  validate_key_settings(config, tmp / "pgbak");
  validate_key_settings(config, "");
  config.encryption_key_file = "key";
  BOOST_CHECK_THROW(validate_key_settings(config, tmp / "pgbak"), UsageError);
  config.encryption_key_file = inside;
  BOOST_CHECK_THROW(validate_key_settings(config, tmp / "pgbak"), UsageError);
  // Nor may keygen write one there.
  BOOST_CHECK_THROW(write_new_key_file(tmp / "pgbak/new.key", tmp / "pgbak"), UsageError);
  BOOST_TEST(!std::filesystem::exists(tmp / "pgbak/new.key"));
  BOOST_TEST(lies_inside(tmp / "pgbak/x", tmp / "pgbak"));
  BOOST_TEST(!lies_inside(tmp / "pgbak2", tmp / "pgbak"));
  // Through a symbolic link too.
  std::filesystem::create_directory_symlink(tmp / "pgbak", tmp / "alias");
  config.encryption_key_file = outside;
  config.encryption_old_key_files = tmp / "alias/key";
  BOOST_CHECK_THROW(validate_key_settings(config, tmp / "pgbak"), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
