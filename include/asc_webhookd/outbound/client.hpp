#pragma once
// The outbound HTTP/1.1 client: http:// and https:// (certificates verified
// against the system store or $SSL_CERT_FILE; SNI and host name checked),
// one deadline over the whole exchange, a cap on the response size, idle
// connections kept per host and reused, and HTTPS_PROXY / HTTP_PROXY /
// NO_PROXY honoured (CONNECT tunnels for https).
// Failures (DNS, connect, TLS, timeout, oversized answer) are returned as
// Error, never thrown.
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/core/units.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asc_webhookd::outbound {

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration timeout = std::chrono::seconds(15);
  std::size_t max_response = 1024 * 1024;
  // Credentials inside url/headers/body, masked whenever the request is shown
  // (simulate, logs). Not sent.
  std::vector<std::string> secrets{};
  // Not sent again when a kept-alive connection ends without an answer. The
  // peer usually closed it idle, but it may have acted and then failed: a
  // create must not be repeated blind (the caller searches instead).
  bool send_once = false;
  // Shown in place of the body wherever the request is shown (a file
  // upload: names and sizes, never the bytes). Not sent.
  std::string shown_body{};
};

struct ClientResponse {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const;  // case-insensitive; "" if absent
};

struct ProxySettings {
  std::string http_proxy;   // http://host:port
  std::string https_proxy;  // http://host:port (CONNECT)
  std::string no_proxy;     // comma-separated hosts or .suffixes; "*" = none
  static ProxySettings from_environment();
  // The proxy URL to use for `url`, or "".
  std::string proxy_for(const std::string& scheme, const std::string& host) const;
};

class HttpClient {
public:
  HttpClient(boost::asio::any_io_executor executor, ProxySettings proxy = ProxySettings::from_environment());
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<Result<ClientResponse, Error>> request(ClientRequest request);

  std::size_t idle_connections() const;

  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
};

// Runs its own io_context; for command-line use.
Result<ClientResponse, Error> fetch_blocking(const ClientRequest& request);

}  // namespace asc_webhookd::outbound
