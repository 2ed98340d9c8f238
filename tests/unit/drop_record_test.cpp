// The record of WAL files archive-full-disk = drop dropped, kept inside pgbak.lock.
#include "state/drop_record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "io/file.h"
#include "test_util.h"

namespace pgbak {

BOOST_AUTO_TEST_SUITE(drop_record)

BOOST_AUTO_TEST_CASE(drops_grouped_by_generation_with_their_range) {
  DropRecord r;
  add_drop(r, "100", "000000010000000000000005", 10);
  add_drop(r, "100", "000000010000000000000003", 11);
  add_drop(r, "100", "000000010000000000000004", 12);
  add_drop(r, "200", "000000010000000000000009", 13);
  BOOST_TEST(r.total == 4u);
  BOOST_TEST(r.last_time == 13);
  BOOST_TEST(r.last_name == "000000010000000000000009");
  const DropEpisode* e = r.find("100");
  BOOST_REQUIRE(e != nullptr);
  BOOST_TEST(e->first == "000000010000000000000003");
  BOOST_TEST(e->last == "000000010000000000000005");
  BOOST_TEST(e->count == 3u);
  BOOST_TEST(r.find("300") == nullptr);
  DropRecord back = parse_drop_record(format_drop_record(r));
  BOOST_TEST(back.total == 4u);
  BOOST_TEST(back.episodes.size() == 2u);
  BOOST_TEST(back.find("200")->count == 1u);
  BOOST_TEST(parse_drop_record("garbage 1 2 3\n").total == 0u);
}

BOOST_AUTO_TEST_CASE(the_oldest_episodes_go_when_the_space_is_used_up) {
  DropRecord r;
  for (int g = 1; g <= 200; ++g)
    add_drop(r, std::to_string(1000 + g), "000000010000000000000001", g);
  BOOST_TEST(r.total == 200u);
  BOOST_TEST(format_drop_record(r).size() < 4096u - 64u);
  BOOST_TEST(r.find("1200") != nullptr);  // the newest stays
  BOOST_TEST(r.find("1001") == nullptr);
}

BOOST_AUTO_TEST_CASE(stored_in_place_in_the_state_file_without_touching_the_state_byte) {
  test::TempDir tmp;
  UniqueFd dir = open_dir(tmp.path());
  // Looking only: no state file means no drops, and none is created.
  BOOST_TEST(read_drop_record(dir.get(), tmp.path()).total == 0u);
  BOOST_TEST(::access((tmp / "pgbak.lock").c_str(), F_OK) != 0);
  StateFile f(dir.get(), tmp.path());
  {
    StateLock guard(f);
    f.write(State{kArchive, kSnapshot});
  }
  BOOST_TEST(read_drop_record(f).total == 0u);
  DropRecord r;
  add_drop(r, "100", "000000010000000000000005", 10);
  add_drop(r, "100", "000000010000000000000006", 11);
  write_drop_record(f, r);
  StateFile reader(dir.get(), tmp.path(), true);
  BOOST_TEST(read_drop_record(reader).find("100")->count == 2u);
  BOOST_TEST(read_drop_record(dir.get(), tmp.path()).find("100")->count == 2u);
  BOOST_TEST((reader.read() == State{kArchive, kSnapshot}));
  // A shorter record after a longer one reads back as itself.
  DropRecord shorter;
  add_drop(shorter, "7", "000000010000000000000001", 1);
  write_drop_record(f, shorter);
  BOOST_TEST(read_drop_record(reader).episodes.size() == 1u);
  BOOST_TEST(read_drop_record(reader).total == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace pgbak
