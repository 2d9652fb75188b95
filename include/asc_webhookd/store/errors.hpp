#pragma once
// Why the store could not do something, as a code callers can branch on
// (an error_code in the "asc_webhookd.store" category, Boost.System style)
// and a message for people. From SQLite's result codes: a full disk, a
// read-only file, a lock held too long, an I/O error, a damaged file.
#include "asc_webhookd/core/result.hpp"

#include <boost/system/error_code.hpp>

#include <iosfwd>
#include <string>
#include <type_traits>

namespace asc_webhookd::store {

enum class errc {
  failed = 1,  // anything else (a statement that failed, an unexpected exception)
  disk_full,
  read_only,
  busy,
  io_error,
  corrupt,
  unavailable,  // the database server cannot be reached (PostgreSQL)
};

const boost::system::error_category& store_category();
boost::system::error_code make_error_code(errc e);
// The code for an SQLite (extended) result code.
errc from_sqlite(int rc);

struct StoreError {
  boost::system::error_code code = make_error_code(errc::failed);
  std::string message;
};

std::ostream& operator<<(std::ostream& os, const StoreError& e);

[[noreturn]] void throw_exception_from_error(const StoreError& e, const boost::source_location& loc);

template <class T>
using StoreResult = Result<T, StoreError>;

}  // namespace asc_webhookd::store

template <>
struct boost::system::is_error_code_enum<asc_webhookd::store::errc> : std::true_type {};
