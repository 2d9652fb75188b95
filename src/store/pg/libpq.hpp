#pragma once
// libpq, loaded when a PostgreSQL store is first opened, not at program
// start: linked directly, it and what it links (Kerberos, LDAP, GnuTLS, …)
// cost every daemon ~4 MB of idle memory, SQLite-only ones included
// (12.1 → 15.9 MB measured). Only its types and constants come from the
// header; every call goes through the table. Private to src/store/pg.
#include <libpq-fe.h>

#include <string>

namespace asc_webhookd::store::pg {

#define ASC_WEBHOOKD_LIBPQ_FUNCTIONS(X)                                                                        \
  X(PQconnectdbParams) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQsetNoticeProcessor) X(PQprepare)          \
  X(PQexecPrepared) X(PQexec) X(PQresultStatus) X(PQresultErrorField) X(PQresultErrorMessage) X(PQclear)        \
  X(PQntuples) X(PQgetisnull) X(PQgetvalue) X(PQgetlength) X(PQcmdTuples) X(PQconninfoParse) X(PQconninfoFree) \
  X(PQfreemem) X(PQbackendPID) X(PQsocket) X(PQconsumeInput) X(PQnotifies) X(PQsendPrepare)              \
  X(PQsendQueryPrepared) X(PQsendQuery) X(PQsetnonblocking) X(PQflush) X(PQisBusy) X(PQgetResult)

struct Libpq {
#define ASC_WEBHOOKD_LIBPQ_POINTER(name) decltype(&::name) name = nullptr;
  ASC_WEBHOOKD_LIBPQ_FUNCTIONS(ASC_WEBHOOKD_LIBPQ_POINTER)
#undef ASC_WEBHOOKD_LIBPQ_POINTER
};

// The library, loaded on the first call; null when it cannot be, with why
// in `error` (not installed: Debian's libpq5).
const Libpq* load_libpq(std::string* error = nullptr);

// The loaded library: only after load_libpq succeeded (every Conn opened).
inline const Libpq& lib() { return *load_libpq(); }

}  // namespace asc_webhookd::store::pg
