#pragma once
// The composition root: the store, the io_context, the delivery engine, the
// router and the server, wired once. `serve` adds what only a service has
// around it (signals, sd_notify, the watchdog, reload from the file, the
// pruner); the tests build the very same Daemon.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/core/result.hpp"

#include <functional>
#include <memory>
#include <mutex>

namespace boost::asio {
class io_context;
}

namespace asc_webhookd::store {
class Store;
}
namespace asc_webhookd::delivery {
class Engine;
}
namespace asc_webhookd::http {
class Server;
}
namespace asc_webhookd::apple {
class PassLoop;
}
namespace asc_webhookd::admin {
class Console;
}

namespace asc_webhookd::app {

struct DaemonOptions {
  std::string vfs;               // the store's SQLite VFS ("" = default; tests inject faults)
  const Clock* clock = nullptr;  // default: the system clock
};

class Daemon {
public:
  // Opens the store (its errors are returned, not thrown) and wires the rest.
  static Result<std::unique_ptr<Daemon>, Error> create(std::shared_ptr<const config::Config> cfg,
                                                       DaemonOptions options = {});
  ~Daemon();

  // Opens the listeners (throws std::runtime_error when one cannot open)
  // and starts delivery. The caller runs io().
  void start();
  // Stops accepting, lets requests and running attempts finish, then calls
  // `on_stopped` (on an io thread).
  void stop(std::function<void()> on_stopped);

  // The configuration in force, swapped whole on reload; readers keep the
  // snapshot they took for as long as they need it.
  std::shared_ptr<const config::Config> config() const;
  void set_config(std::shared_ptr<const config::Config> cfg);

  boost::asio::io_context& io() { return *ioc_; }
  store::Store& store() { return *store_; }
  http::Server& server() { return *server_; }
  http::Server* admin_server() { return admin_server_.get(); }
  const Clock& clock() const { return *clock_; }

private:
  Daemon() = default;
  mutable std::mutex config_mutex_;
  std::shared_ptr<const config::Config> config_;
  SystemClock system_clock_;
  const Clock* clock_ = &system_clock_;
  // Destroyed in reverse: server, engine, then the store (its threads joined,
  // their last callbacks done), then the io_context they posted to.
  std::unique_ptr<boost::asio::io_context> ioc_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Store> ceiling_;  // benchmark builds only (ceiling_store.hpp)
  std::unique_ptr<delivery::Engine> engine_;
  std::unique_ptr<admin::Console> console_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Server> admin_server_;  // server.admin_listen: the console alone
  std::unique_ptr<apple::PassLoop> reconciler_;
  std::unique_ptr<apple::PassLoop> review_poller_;  // customer reviews
};

}  // namespace asc_webhookd::app
