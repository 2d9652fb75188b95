#pragma once
// Result<T, E>: a value or the reason there is none. Failures that input can
// cause are returned this way; exceptions are for the unexpected.
#include <boost/system/result.hpp>

#include <string>

namespace asc_webhookd {

template <class T, class E = boost::system::error_code>
using Result = boost::system::result<T, E>;

// An error that only needs to be shown to a person.
struct Error {
  std::string message;
};

[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

}  // namespace asc_webhookd
