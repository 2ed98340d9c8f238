#include "verify/wal_file_check.h"

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <vector>

using namespace pgbak;

namespace {

constexpr uint32_t kSegSize = 1 << 20;
constexpr uint32_t kPage = 8192;

template <typename T>
void put(std::vector<std::byte>& v, size_t off, T value) {
  std::memcpy(v.data() + off, &value, sizeof value);
}

// A 1 MiB segment 000000010000000000000003 with valid headers on the first `valid_pages` pages
// and zeros after them.
std::vector<std::byte> segment(size_t valid_pages) {
  std::vector<std::byte> v(kSegSize);
  uint64_t start = 3ULL * kSegSize;
  for (size_t p = 0; p < valid_pages; ++p) {
    size_t off = p * kPage;
    put<uint16_t>(v, off, 0xD110);
    put<uint16_t>(v, off + 2, p == 0 ? 0x0002 : 0x0001);
    put<uint32_t>(v, off + 4, 1);
    put<uint64_t>(v, off + 8, start + off);
    if (p == 0) {
      put<uint64_t>(v, 24, 7000000000000000001ULL);
      put<uint32_t>(v, 32, kSegSize);
      put<uint32_t>(v, 36, kPage);
    }
  }
  return v;
}

std::optional<std::string> check(const std::vector<std::byte>& data, size_t piece = 5000) {
  WalFileCheck c(*parse_wal_name("000000010000000000000003"));
  for (size_t off = 0; off < data.size(); off += piece) {
    c.write(std::span(data).subspan(off, std::min(piece, data.size() - off)));
  }
  auto result = c.finish();
  BOOST_TEST(c.sysid() == 7000000000000000001ULL);
  return result;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wal_file_check)

BOOST_AUTO_TEST_CASE(accepts_full_and_switched_segments) {
  BOOST_TEST(!check(segment(kSegSize / kPage)).has_value());
  BOOST_TEST(!check(segment(3)).has_value());  // rest zeroed after pg_switch_wal()
}

BOOST_AUTO_TEST_CASE(reports_bad_pages_and_sizes) {
  auto v = segment(kSegSize / kPage);
  put<uint64_t>(v, 5 * kPage + 8, 0x12345678);  // wrong page address
  put<uint16_t>(v, 9 * kPage, 0xBEEF);          // wrong magic
  auto why = check(v);
  BOOST_TEST_REQUIRE(why.has_value());
  BOOST_TEST(why->find("page at offset 40960") != std::string::npos);
  BOOST_TEST(why->find("and 1 more bad pages") != std::string::npos);

  auto garbage = segment(2);
  garbage[3 * kPage + 100] = std::byte{1};  // neither a header nor a zero page
  BOOST_TEST(check(garbage).has_value());

  auto truncated = segment(4);
  truncated.resize(kSegSize / 2);
  BOOST_TEST(check(truncated).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
