#pragma once
// The delivery engine: up to `delivery.concurrency` jobs run at once. One
// leaser takes as many due jobs as there are free slots in a single store
// call and starts each as its own coroutine; with nothing due it sleeps
// until the earliest due time, a new job (notify()), a finished job, a
// change to the store file (jobs requeued from the command line, in another
// process) or a hand-moved clock (tests). Jobs of one instance and action
// run in order (the store's lease enforces it).
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
  // Running jobs finish their attempt (bounded by delivery.timeout), nothing
  // more is leased, and `on_stopped` is called once all have returned.
  void stop(std::function<void()> on_stopped);


  struct Impl;

private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace asc_webhookd::delivery
