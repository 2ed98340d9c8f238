#include "wal/page_header.h"

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <vector>

using namespace pgbak;

namespace {

constexpr uint32_t kSeg = 16u << 20;

std::vector<std::byte> long_header(uint16_t magic, uint32_t tli, uint64_t pageaddr, uint64_t sysid,
                                   uint32_t seg_size, uint16_t info = kXlpLongHeader) {
  std::vector<std::byte> h(kLongHeaderSize);
  uint32_t blcksz = 8192;
  std::memcpy(&h[0], &magic, 2);
  std::memcpy(&h[2], &info, 2);
  std::memcpy(&h[4], &tli, 4);
  std::memcpy(&h[8], &pageaddr, 8);
  std::memcpy(&h[24], &sysid, 8);
  std::memcpy(&h[32], &seg_size, 4);
  std::memcpy(&h[36], &blcksz, 4);
  return h;
}

const WalName kName = *parse_wal_name("000000010000000200000013");
const uint64_t kAddr = (uint64_t{2} << 32) + 0x13ull * kSeg;

}  // namespace

BOOST_AUTO_TEST_SUITE(page_header)

BOOST_AUTO_TEST_CASE(accepts_a_matching_header_and_reads_sysid) {
  auto h = long_header(0xD110, 1, kAddr, 7300000000000000001ull, kSeg);
  BOOST_TEST(!check_segment_start(h, kName, kSeg));
  BOOST_TEST(decode_page_header(h).sysid == 7300000000000000001ull);
}

BOOST_AUTO_TEST_CASE(refuses_mismatches_with_a_reason) {
  auto expect = [](const std::vector<std::byte>& h, uint64_t size, const std::string& word) {
    auto why = check_segment_start(h, kName, size);
    BOOST_REQUIRE(why);
    BOOST_TEST(why->find(word) != std::string::npos, *why);
  };
  expect(long_header(0x1234, 1, kAddr, 1, kSeg), kSeg, "magic");
  expect(long_header(0xD110, 1, kAddr + kSeg, 1, kSeg), kSeg, "page address");
  expect(long_header(0xD110, 1, kAddr, 1, kSeg), kSeg / 2, "differs from file size");
  expect(long_header(0xD110, 1, kAddr, 1, kSeg), 3u << 20, "power of two");
  expect(long_header(0xD110, 1, kAddr, 1, kSeg), 0, "power of two");
  expect(long_header(0xD110, 1, kAddr, 1, kSeg, 0), kSeg, "long header");
  expect(long_header(0xD110, 2, kAddr, 1, kSeg), kSeg, "timeline");
  auto short_data = long_header(0xD110, 1, kAddr, 1, kSeg);
  short_data.resize(20);
  expect(short_data, kSeg, "too short");
}

BOOST_AUTO_TEST_CASE(first_segment_of_new_timeline_may_carry_older_tli) {
  auto name = *parse_wal_name("000000020000000200000013");
  BOOST_TEST(!check_segment_start(long_header(0xD110, 1, kAddr, 5, kSeg), name, kSeg));
}

BOOST_AUTO_TEST_SUITE_END()
