#include "pg/identify_system.h"

#include "io/error.h"
#include "pg/connection.h"

namespace pgbak {

ServerIdentity identify_system(const std::string& conninfo) {
  PgConnection conn = PgConnection::replication(conninfo);
  PgResult res = conn.exec("IDENTIFY_SYSTEM", "IDENTIFY_SYSTEM failed");
  if (PQntuples(res.get()) != 1 || PQnfields(res.get()) < 2) {
    throw Error("IDENTIFY_SYSTEM returned an unexpected result");
  }
  ServerIdentity id;
  try {
    id.system_identifier = std::stoull(PQgetvalue(res.get(), 0, 0));
    id.timeline = static_cast<uint32_t>(std::stoul(PQgetvalue(res.get(), 0, 1)));
  } catch (const std::exception&) {
    throw Error("IDENTIFY_SYSTEM returned an unexpected row");
  }
  id.server_version = PQserverVersion(conn.get());
  return id;
}

}  // namespace pgbak
