#pragma once
// The inbound HTTP/1.1 (optionally TLS) server: listeners, per-connection
// coroutines with header/body/idle deadlines, body and connection limits,
// keep-alive and pipelining, graceful stop. What a request means is the
// router's business (router.hpp); this class only moves bytes safely.
//
// start() throws std::runtime_error naming the address when a listener cannot
// be opened or the TLS files cannot be loaded; nothing else here throws.
#include "asc_webhookd/config/config.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asc_webhookd::http {

class Router;

class Server {
public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

  Server(boost::asio::io_context& ioc, ConfigSource config, std::shared_ptr<Router> router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens every server.listen address of the current config.
  void start();
  // The bound addresses ("127.0.0.1:41234"), useful with port 0.
  std::vector<ListenAddress> local_addresses() const;
  std::vector<std::uint16_t> local_ports() const;

  // Reloads the TLS certificate and key (new connections use them). Throws
  // std::runtime_error when the files do not load; the old ones stay.
  void reload_tls(const config::TlsConfig& tls);

  // Stops accepting, closes idle connections, lets requests in flight finish;
  // calls `on_drained` (on an io thread) once the last connection is gone.
  void stop(std::function<void()> on_drained);

  std::size_t open_connections() const;

  struct Impl;  // opaque; public so the connection code in server.cpp can name it

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace asc_webhookd::http
