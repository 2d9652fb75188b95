#pragma once
// Request framing the server refuses before it reads a body (RFC 9112 §3.2,
// §6.1, §6.3). Beast reads a request whose Transfer-Encoding does not end
// in `chunked` as having no body, so the bytes of that body would run as the
// next request on the connection: request smuggling behind a proxy that
// reads the framing differently. Such requests get 400 and the connection
// is closed, never a second answer.
#include <boost/beast/http/message.hpp>

#include <optional>
#include <string>

namespace asc_webhookd::http {

struct FramingError {
  unsigned status;      // 400, or 501 for a transfer coding we do not implement
  std::string message;  // for the client: what is wrong, in our words
};

std::optional<FramingError> framing_problem(const boost::beast::http::request_header<>& header);

}  // namespace asc_webhookd::http
