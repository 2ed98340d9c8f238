#include "pg/connection.h"

#include "io/error.h"

namespace pgbak {

std::string first_line(const char* message) {
  std::string s = message != nullptr ? message : "";
  auto nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s.empty() ? "unknown error" : s;
}

PgConnection::PgConnection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (!conn_) throw Error("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    throw Error("cannot connect to PostgreSQL: " + first_line(PQerrorMessage(conn_.get())));
  }
}

PgResult PgConnection::exec(const std::string& sql, const std::string& what) {
  PgResult r(PQexec(conn_.get(), sql.c_str()));
  ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    throw Error(what + ": " + first_line(PQerrorMessage(conn_.get())));
  }
  return r;
}

std::optional<std::string> PgConnection::value(const std::string& sql, const std::string& what) {
  PgResult r = exec(sql, what);
  if (PQntuples(r.get()) != 1 || PQnfields(r.get()) != 1) {
    throw Error(what + ": unexpected result shape");
  }
  if (PQgetisnull(r.get(), 0, 0)) return std::nullopt;
  return std::string(PQgetvalue(r.get(), 0, 0));
}

std::string PgConnection::describe() const {
  const char* host = PQhost(conn_.get());
  const char* port = PQport(conn_.get());
  return std::string("host ") + (host ? host : "?") + " port " + (port ? port : "?");
}

}  // namespace pgbak
