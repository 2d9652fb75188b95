#include "asc_webhookd/store/errors.hpp"

#include <sqlite3.h>

#include <ostream>
#include <stdexcept>

namespace asc_webhookd::store {

namespace {

// Boost's error_category has a protected non-virtual destructor by design
// (categories are never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "asc_webhookd.store"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::failed: return "the store failed";
      case errc::disk_full: return "the store's disk is full";
      case errc::read_only: return "the store is read-only";
      case errc::busy: return "the store is locked by another process";
      case errc::io_error: return "the store's disk answered with an I/O error";
      case errc::corrupt: return "the store file is damaged";
      case errc::unavailable: return "the store's database cannot be reached";
    }
    return "unknown store error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& store_category() {
  static const Category c;
  return c;
}

boost::system::error_code make_error_code(errc e) { return {static_cast<int>(e), store_category()}; }

errc from_sqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return errc::disk_full;
    case SQLITE_READONLY: return errc::read_only;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return errc::busy;
    case SQLITE_IOERR: return errc::io_error;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return errc::corrupt;
    default: return errc::failed;
  }
}

std::ostream& operator<<(std::ostream& os, const StoreError& e) {
  return os << (e.message.empty() ? e.code.message() : e.message);
}

void throw_exception_from_error(const StoreError& e, const boost::source_location&) {
  throw std::runtime_error(e.message.empty() ? e.code.message() : e.message);
}

}  // namespace asc_webhookd::store
