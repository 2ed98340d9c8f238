#define BOOST_TEST_MODULE pgbak
#include <boost/test/unit_test.hpp>
