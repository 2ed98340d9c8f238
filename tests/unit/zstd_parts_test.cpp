#include "io/zstd_parts.h"
#include "io/zstd_frames.h"

#include <fcntl.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "io/error.h"
#include "io/file.h"
#include "io/zstd_stream.h"
#include "test_util.h"

using namespace pgbak;
using pgbak::test::TempDir;
using pgbak::test::VectorSink;

namespace {

using Bytes = std::vector<std::byte>;

// Compressible but not trivially: runs of a pattern with random bytes sprinkled in.
Bytes sample(size_t n) {
  Bytes v(n);
  std::mt19937 rng(7);
  for (size_t i = 0; i < n; ++i) v[i] = std::byte(i % 5 == 0 ? rng() & 0xFF : (i / 64) & 0x3F);
  return v;
}

Bytes compress_parts(const Bytes& data, int parts) {
  TempDir tmp;
  {
    std::ofstream f(tmp / "in", std::ios::binary);
    f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  UniqueFd fd = open_or_throw(tmp / "in", O_RDONLY);
  VectorSink out;
  BOOST_REQUIRE(compress_file_in_parts(fd.get(), data.size(), 3, parts, out, "test"));
  return out.bytes;
}

Bytes decompress(const Bytes& packed) {
  VectorSink out;
  ZstdDecompressor d(out, "test");
  d.write(packed);
  d.finish();
  return out.bytes;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

// Writes the frames of `packed` through decompress_frames into dir/out; returns the head.
Bytes restore(const TempDir& tmp, const Bytes& packed) {
  auto frames = list_frames(packed, 16);
  BOOST_REQUIRE(frames.has_value());
  UniqueFd dir = open_dir(tmp.path());
  DurableWriter w(dir.get(), "out", tmp / "out");
  Bytes head(40);
  uint64_t total = decompress_frames(*frames, w, "test", head);
  BOOST_TEST(total == frames->back().offset + frames->back().size);
  BOOST_REQUIRE(w.commit());
  return head;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(zstd_parts)

BOOST_AUTO_TEST_CASE(parts_are_sized_frames_that_round_trip) {
  Bytes data = sample((9 << 20) + 12345);  // not divisible by the part count
  for (int parts : {1, 2, 3}) {
    Bytes packed = compress_parts(data, parts);
    auto frames = list_frames(packed, 16);
    BOOST_REQUIRE(frames.has_value());
    BOOST_TEST(frames->size() == static_cast<size_t>(parts));
    uint64_t offset = 0;
    for (const ZstdFrame& f : *frames) {
      BOOST_TEST(f.offset == offset);
      BOOST_TEST((static_cast<unsigned>(f.compressed[4]) & 0x04) != 0u);  // Content_Checksum_flag
      offset += f.size;
    }
    BOOST_TEST(offset == data.size());
    BOOST_TEST((decompress(packed) == data), "any zstd reader reads the frames in sequence");
  }
}

BOOST_AUTO_TEST_CASE(decompress_frames_writes_each_frame_in_its_place) {
  Bytes data = sample(10 << 20);
  for (int parts : {1, 3}) {
    TempDir tmp;
    Bytes head = restore(tmp, compress_parts(data, parts));
    BOOST_TEST((read_file(tmp / "out") == data));
    BOOST_TEST((head == Bytes(data.begin(), data.begin() + 40)));
  }
}

BOOST_AUTO_TEST_CASE(a_bad_frame_fails_and_leaves_no_file) {
  Bytes packed = compress_parts(sample(10 << 20), 2);
  auto frames = list_frames(packed, 16);
  BOOST_REQUIRE(frames && frames->size() == 2);
  // A flipped byte in the middle of the second frame: its checksum (or its structure) fails.
  size_t second = frames->front().compressed.size();
  packed[second + (packed.size() - second) / 2] ^= std::byte{0x10};
  TempDir tmp;
  {
    auto again = list_frames(packed, 16);
    BOOST_REQUIRE(again.has_value());
    UniqueFd dir = open_dir(tmp.path());
    DurableWriter w(dir.get(), "out", tmp / "out");
    Bytes head(40);
    BOOST_CHECK_THROW(decompress_frames(*again, w, "test", head), Error);
  }
  BOOST_TEST(!std::filesystem::exists(tmp / "out"));
  BOOST_TEST(std::filesystem::is_empty(tmp.path()));
}

BOOST_AUTO_TEST_CASE(a_file_cut_between_frames_is_whole_frames_but_short) {
  // Why restore-wal checks the size against the segment header: each frame is complete on its
  // own, so a copy that lost its last frame decompresses without a zstd error.
  Bytes data = sample(8 << 20);
  Bytes packed = compress_parts(data, 2);
  auto frames = list_frames(packed, 16);
  BOOST_REQUIRE(frames.has_value());
  packed.resize(frames->front().compressed.size());
  BOOST_TEST(decompress(packed).size() == data.size() / 2);
}

BOOST_AUTO_TEST_CASE(files_not_made_of_sized_frames_are_left_to_the_streaming_path) {
  Bytes data = sample(1 << 20);
  VectorSink unsized;
  ZstdCompressor c(unsized, 3, 0, "test");  // no pledged size: no content size in the header
  c.write(data);
  c.finish();
  BOOST_TEST(!list_frames(unsized.bytes, 16).has_value());
  BOOST_TEST(!list_frames(data, 16).has_value());  // not zstd at all
  BOOST_TEST(!list_frames({}, 16).has_value());
  Bytes packed = compress_parts(sample(9 << 20), 3);
  BOOST_TEST(!list_frames(packed, 2).has_value());  // more frames than allowed
  Bytes cut(packed.begin(), packed.end() - 3);      // the last frame is incomplete
  BOOST_TEST(!list_frames(cut, 16).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
