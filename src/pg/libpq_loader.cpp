// libpq, loaded on first use instead of at program start.
//
// Linking libpq makes the dynamic loader map and relocate it and its dependency tree (libssl,
// Kerberos, LDAP, SASL, GnuTLS, ...: about 25 libraries) and run their constructors in every
// process: ~10 ms per start on the 2-core test machine, paid by every `archive-wal` and
// `restore-wal` call (one per WAL segment, neither of which talks to the server) and, during
// recovery, by the server's replay, which waits for each restore_command (bench/README.md). So
// pgbak does not link libpq: this file defines the libpq functions pgbak calls, with
// libpq-fe.h's exact signatures, each forwarding to the real one from the system's libpq.so.5,
// dlopen'ed by the first call (a security update of libpq reaches pgbak as it reaches psql; the
// Debian package depends on libpq5 by name). Using a libpq function that is not listed here
// fails at link time ("undefined reference to PQ..."): add it below.
#include <dlfcn.h>
#include <libpq-fe.h>

#include <string>

#include "io/error.h"

namespace {

constexpr const char* kLibpqSoname = "libpq.so.5";

void* libpq_handle() {
  static void* handle = [] {
    void* h = ::dlopen(kLibpqSoname, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* why = ::dlerror();
      throw pgbak::Error(std::string("cannot load ") + kLibpqSoname + ": " +
                         (why != nullptr ? why : "unknown error"));
    }
    return h;
  }();
  return handle;
}

template <typename Fn>
Fn* libpq_symbol(const char* name) {
  void* p = ::dlsym(libpq_handle(), name);
  if (p == nullptr) {
    throw pgbak::Error(std::string("cannot find ") + name + " in " + kLibpqSoname);
  }
  return reinterpret_cast<Fn*>(p);
}

}  // namespace

// RET NAME(PARAMS) forwarding to the loaded libpq's NAME with ARGS.
#define PGBAK_LIBPQ_FORWARD(ret, name, params, args)     \
  extern "C" ret name params {                           \
    static auto* real = libpq_symbol<ret params>(#name); \
    return real args;                                    \
  }

PGBAK_LIBPQ_FORWARD(PGconn*, PQconnectdb, (const char* conninfo), (conninfo))
PGBAK_LIBPQ_FORWARD(PGconn*, PQconnectdbParams,
                    (const char* const* keywords, const char* const* values, int expand_dbname),
                    (keywords, values, expand_dbname))
PGBAK_LIBPQ_FORWARD(void, PQfinish, (PGconn * conn), (conn))
PGBAK_LIBPQ_FORWARD(ConnStatusType, PQstatus, (const PGconn* conn), (conn))
PGBAK_LIBPQ_FORWARD(char*, PQerrorMessage, (const PGconn* conn), (conn))
PGBAK_LIBPQ_FORWARD(char*, PQhost, (const PGconn* conn), (conn))
PGBAK_LIBPQ_FORWARD(char*, PQport, (const PGconn* conn), (conn))
PGBAK_LIBPQ_FORWARD(int, PQserverVersion, (const PGconn* conn), (conn))
PGBAK_LIBPQ_FORWARD(PGresult*, PQexec, (PGconn * conn, const char* query), (conn, query))
PGBAK_LIBPQ_FORWARD(ExecStatusType, PQresultStatus, (const PGresult* res), (res))
PGBAK_LIBPQ_FORWARD(void, PQclear, (PGresult * res), (res))
PGBAK_LIBPQ_FORWARD(int, PQntuples, (const PGresult* res), (res))
PGBAK_LIBPQ_FORWARD(int, PQnfields, (const PGresult* res), (res))
PGBAK_LIBPQ_FORWARD(char*, PQgetvalue, (const PGresult* res, int tup_num, int field_num),
                    (res, tup_num, field_num))
PGBAK_LIBPQ_FORWARD(int, PQgetisnull, (const PGresult* res, int tup_num, int field_num),
                    (res, tup_num, field_num))
