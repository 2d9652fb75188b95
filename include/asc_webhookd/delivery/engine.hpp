#pragma once
// The delivery workers: `delivery.concurrency` coroutines that lease due jobs,
// run them, and record each attempt. A worker with nothing due sleeps until
// the earliest due time or until notify() (a new job) — at most 5 s, so jobs
// requeued from the command line are picked up too. Jobs of one instance and
// action run in order (the store's lease enforces it).
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>

namespace asc_webhookd::delivery {

class Engine {
public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

  Engine(boost::asio::io_context& ioc, ConfigSource config, store::Store& store, const Clock& clock);
  ~Engine();

  void start();
  // Wakes sleeping workers: new jobs were stored. Any thread.
  void notify();
  // Workers finish the attempt they are in (bounded by delivery.timeout),
  // lease nothing more, and `on_stopped` is called once all have returned.
  void stop(std::function<void()> on_stopped);


  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace asc_webhookd::delivery
