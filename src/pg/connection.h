// A libpq connection with RAII ownership and errors normalised into pgbak::Error.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pgbak {

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

class PgConnection {
 public:
  // Connects with conninfo (empty: the PG* environment and libpq defaults). Throws Error with the
  // first line of libpq's message.
  explicit PgConnection(const std::string& conninfo);

  // Runs a query that must succeed; throws Error naming `what` with the server's message.
  PgResult exec(const std::string& sql, const std::string& what);
  // The single value of a one-row, one-column query (nullopt for SQL NULL).
  std::optional<std::string> value(const std::string& sql, const std::string& what);

  // "host H port P" for messages.
  std::string describe() const;
  PGconn* get() const { return conn_.get(); }

 private:
  std::unique_ptr<PGconn, PgConnDeleter> conn_;
};

// The first line of a libpq error message, without the trailing newline.
std::string first_line(const char* message);

}  // namespace pgbak
