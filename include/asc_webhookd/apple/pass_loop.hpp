#pragma once
// A background task that reads App Store Connect in passes: reconcile (the
// delivery log) and the review poller. A round runs at start and then after
// the wait the round itself returns; it runs only while the config has
// app_store_connect and `cadence(config)` is not zero, and only on the replica that
// holds the store's lead for `task` (several replicas on one PostgreSQL:
// one reads Apple at a time, the others wait for their next round). A
// round's failures are its own to log and count: a loop never touches
// ingest or readiness.
#include "asc_webhookd/apple/api.hpp"
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace asc_webhookd::apple {

class PassLoop {
public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
  // One round with the lead held; the wait before the next round.
  using Round = std::function<boost::asio::awaitable<Duration>(std::shared_ptr<const config::Config>, Api&)>;
  // How often rounds come with this config (0: off); a replica that does
  // not get the lead looks again after this long.
  using Cadence = std::function<Duration(const config::Config&)>;

  // `task` names the lead and the log ("reconcile", "reviews").
  PassLoop(boost::asio::io_context& io, std::string task, ConfigSource config, store::Store& store, const Clock& clock,
           Cadence cadence, Round round);
  ~PassLoop();
  void start();
  // No new round starts; `done` runs once the current one (if any) ended.
  void stop(std::function<void()> done);

  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace asc_webhookd::apple
