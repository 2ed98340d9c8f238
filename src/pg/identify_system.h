// The server's identity over a replication connection (the privilege pg_basebackup needs too).
#pragma once

#include <cstdint>
#include <string>

namespace pgbak {

struct ServerIdentity {
  uint64_t system_identifier = 0;
  uint32_t timeline = 0;
  int server_version = 0;  // PQserverVersion's number: 150008 for 15.8, 90624 for 9.6.24
};

// Connects with `conninfo` (empty: the PG* environment and libpq defaults) plus
// replication=true and runs IDENTIFY_SYSTEM; also reports the server's version. Throws Error with
// libpq's message.
ServerIdentity identify_system(const std::string& conninfo);

}  // namespace pgbak
