#pragma once
// What the server's sessions share with it: the config source, the router,
// the set of open sessions (for graceful stop). Private to src/http.
#include "asc_webhookd/http/server.hpp"

#include "asc_webhookd/http/router.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace asc_webhookd::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Shared by all sessions; outlives them (sessions hold a shared_ptr).
struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  net::io_context& ioc;
  ConfigSource config;
  std::shared_ptr<Router> router;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;

  mutable std::mutex mutex;  // guards tls, sessions, on_drained
  std::shared_ptr<net::ssl::context> tls;
  std::map<std::uint64_t, std::function<void()>> sessions;  // id → "stop if idle"
  std::function<void()> on_drained;
  std::uint64_t next_id = 0;
  std::atomic<bool> stopping{false};

  Impl(net::io_context& io, ConfigSource c, std::shared_ptr<Router> r)
      : ioc(io), config(std::move(c)), router(std::move(r)) {}

  std::uint64_t add_session(std::function<void()> stop_if_idle) {
    std::lock_guard lock(mutex);
    sessions.emplace(++next_id, std::move(stop_if_idle));
    return next_id;
  }

  void remove_session(std::uint64_t id) {
    std::function<void()> done;
    {
      std::lock_guard lock(mutex);
      sessions.erase(id);
      if (stopping && sessions.empty()) done = std::move(on_drained);
    }
    if (done) done();
  }

  std::size_t session_count() const {
    std::lock_guard lock(mutex);
    return sessions.size();
  }

  net::awaitable<void> accept_loop(tcp::acceptor& acceptor);
  void start_session(tcp::socket socket);
};

}  // namespace asc_webhookd::http
