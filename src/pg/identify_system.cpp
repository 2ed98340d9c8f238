#include "pg/identify_system.h"

#include <libpq-fe.h>

#include <memory>

#include "io/error.h"

namespace pgbak {
namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

std::string one_line(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

ServerIdentity identify_system(const std::string& conninfo) {
  const char* keys[] = {"dbname", "replication", "fallback_application_name", nullptr};
  const char* values[] = {conninfo.c_str(), "true", "pgbak", nullptr};
  std::unique_ptr<PGconn, ConnDeleter> conn(PQconnectdbParams(keys, values, 1));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw Error("cannot connect to the server for a base backup: " +
                one_line(conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  std::unique_ptr<PGresult, ResultDeleter> res(PQexec(conn.get(), "IDENTIFY_SYSTEM"));
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK || PQntuples(res.get()) != 1 ||
      PQnfields(res.get()) < 2) {
    throw Error("IDENTIFY_SYSTEM failed: " + one_line(PQerrorMessage(conn.get())));
  }
  ServerIdentity id;
  try {
    id.system_identifier = std::stoull(PQgetvalue(res.get(), 0, 0));
    id.timeline = static_cast<uint32_t>(std::stoul(PQgetvalue(res.get(), 0, 1)));
  } catch (const std::exception&) {
    throw Error("IDENTIFY_SYSTEM returned an unexpected row");
  }
  return id;
}

}  // namespace pgbak
