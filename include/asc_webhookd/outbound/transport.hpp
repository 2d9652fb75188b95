#pragma once
// The seam every outbound request goes through: the delivery engine, the
// Apple API and enrichment send through a Transport, so tests and
// `simulate` put a recorder or a fake in the real client's place.
#include "asc_webhookd/outbound/client.hpp"

#include <boost/asio/awaitable.hpp>

namespace asc_webhookd::outbound {

using HttpResult = Result<ClientResponse, Error>;

class Transport {
public:
  virtual ~Transport() = default;
  virtual boost::asio::awaitable<HttpResult> send(ClientRequest request) = 0;
};

// The real one: requests go out through an HttpClient.
class ClientTransport final : public Transport {
public:
  explicit ClientTransport(HttpClient& c) : client_(c) {}
  boost::asio::awaitable<HttpResult> send(ClientRequest r) override { co_return co_await client_.request(std::move(r)); }

private:
  HttpClient& client_;
};

}  // namespace asc_webhookd::outbound
