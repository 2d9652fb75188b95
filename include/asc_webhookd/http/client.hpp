#pragma once
// A small outbound HTTP/1.1 client: http:// and https:// (certificates
// verified against the system store, or $SSL_CERT_FILE; SNI sent), one
// deadline over the whole exchange, a cap on the response size.
// Failures (DNS, connect, TLS, timeout, oversized answer) are returned as
// Error, never thrown.
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/core/units.hpp"

#include <string>
#include <utility>
#include <vector>

namespace asc_webhookd::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration timeout = std::chrono::seconds(15);
  std::size_t max_response = 1024 * 1024;
};

struct ClientResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;  // case-insensitive; "" if absent
};

// Runs its own io_context; for command-line use.
Result<ClientResponse, Error> fetch_blocking(const ClientRequest& request);

}  // namespace asc_webhookd::http
