#include "io/zstd_stream.h"

#include <boost/test/unit_test.hpp>
#include <random>
#include <vector>

#include "io/error.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::VectorSink;

namespace {

std::vector<std::byte> sample(size_t n) {
  std::vector<std::byte> v(n);
  std::mt19937 rng(42);
  for (size_t i = 0; i < n; ++i) v[i] = std::byte(i % 7 == 0 ? rng() & 0xFF : i & 0x0F);
  return v;
}

std::vector<std::byte> compress(const std::vector<std::byte>& data, int workers = 0) {
  VectorSink out;
  ZstdCompressor c(out, 3, workers, "test", data.size());
  // Feed in uneven pieces to exercise the streaming loop.
  for (size_t off = 0; off < data.size(); off += 100000) {
    c.write(std::span(data).subspan(off, std::min<size_t>(100000, data.size() - off)));
  }
  c.finish();
  return out.bytes;
}

std::vector<std::byte> decompress(const std::vector<std::byte>& data) {
  VectorSink out;
  ZstdDecompressor d(out, "test");
  d.write(data);
  d.finish();
  return out.bytes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(zstd_stream)

BOOST_AUTO_TEST_CASE(round_trip) {
  auto data = sample(3 << 20);
  auto packed = compress(data);
  BOOST_TEST(packed.size() < data.size());
  BOOST_TEST((decompress(packed) == data));
  BOOST_TEST((decompress(compress(data, 2)) == data));
}

BOOST_AUTO_TEST_CASE(compress_all_round_trips_with_checksum_and_size) {
  auto data = sample(5 << 20);
  VectorSink out;
  ZstdCompressor c(out, 3, 0, "test", data.size());
  c.compress_all(data);
  BOOST_TEST((static_cast<unsigned>(out.bytes[4]) & 0x04) != 0u);  // Content_Checksum_flag
  BOOST_TEST(ZSTD_getFrameContentSize(out.bytes.data(), out.bytes.size()) == data.size());
  BOOST_TEST((decompress(out.bytes) == data));
}

BOOST_AUTO_TEST_CASE(frame_has_a_checksum_that_catches_a_flipped_byte) {
  auto data = sample(1 << 20);
  auto packed = compress(data);
  BOOST_TEST((static_cast<unsigned>(packed[4]) & 0x04) != 0u);  // Content_Checksum_flag
  packed[packed.size() - 2] ^= std::byte{0x40};                 // inside the checksum
  BOOST_CHECK_THROW(decompress(packed), Error);
}

BOOST_AUTO_TEST_CASE(truncated_and_empty_input_are_errors) {
  auto packed = compress(sample(1 << 20));
  packed.resize(packed.size() / 2);
  BOOST_CHECK_THROW(decompress(packed), Error);
  BOOST_CHECK_THROW(decompress({}), Error);
}

BOOST_AUTO_TEST_SUITE_END()
