#include "asc_webhookd/apple/pass_loop.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/outbound/client.hpp"
#include "asc_webhookd/store/async.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace asc_webhookd::apple {

namespace net = boost::asio;

namespace {
// Off (no API key, nothing to read, another replica leading): look again
// now and then, for a reload that turns it on.
constexpr Duration kIdleLook = std::chrono::minutes(10);
}  // namespace

struct PassLoop::Impl : std::enable_shared_from_this<PassLoop::Impl> {
  std::string task;
  ConfigSource config;
  store::Store& store;
  const Clock& clock;
  Cadence cadence;
  Round round;
  net::strand<net::io_context::executor_type> strand;
  net::steady_timer sleep;
  outbound::HttpClient client;
  outbound::ClientTransport transport{client};
  bool stopping = false;
  bool running = false;
  std::function<void()> on_stopped;

  Impl(net::io_context& io, std::string t, ConfigSource c, store::Store& s, const Clock& k, Cadence w, Round r)
      : task(std::move(t)), config(std::move(c)), store(s), clock(k), cadence(std::move(w)), round(std::move(r)),
        strand(net::make_strand(io)), sleep(strand), client(strand) {}

  net::awaitable<bool> lead();
  net::awaitable<void> loop();
  void finished() {
    running = false;
    if (on_stopped) {
      auto f = std::move(on_stopped);
      on_stopped = nullptr;
      f();
    }
  }
};

net::awaitable<bool> PassLoop::Impl::lead() {
  auto ask = [this](auto cb) { store.try_lead_async(task, std::move(cb)); };
  auto led = co_await store::await_store<store::StoreResult<bool>>(std::move(ask));
  if (!led) log::get(task)->error("{} round skipped error=\"{}\"", task, led.error().message);
  else if (!*led) log::get(task)->info("another replica is running {} now; this one waits for its next round", task);
  co_return led && *led;
}

net::awaitable<void> PassLoop::Impl::loop() {
  auto self = shared_from_this();
  while (!stopping) {
    auto cfg = config();
    const Duration every = cfg->app_store_connect ? cadence(*cfg) : Duration::zero();
    Duration wait = every.count() > 0 ? every : kIdleLook;
    if (every.count() > 0) {
      auto api = Api::create(*cfg->app_store_connect, clock, transport, cfg->delivery.timeout);
      if (!api) {
        log::get(task)->error("{} disabled error=\"{}\"", task, api.error().message);
      } else if (co_await lead()) {
        wait = co_await round(cfg, *api);
        auto release = [this](auto cb) { store.release_lead_async(task, std::move(cb)); };
        co_await store::await_store<store::StoreResult<void>>(std::move(release));
      }
    }
    if (stopping) break;
    sleep.expires_after(wait);
    co_await sleep.async_wait(net::as_tuple(net::use_awaitable));
  }
  finished();
}

PassLoop::PassLoop(net::io_context& io, std::string task, ConfigSource config, store::Store& store, const Clock& clock,
                   Cadence cadence, Round round)
    : impl_(std::make_shared<Impl>(io, std::move(task), std::move(config), store, clock, std::move(cadence),
                                   std::move(round))) {}

PassLoop::~PassLoop() = default;

void PassLoop::start() {
  impl_->running = true;
  net::co_spawn(impl_->strand, impl_->loop(), net::detached);
}

void PassLoop::stop(std::function<void()> done) {
  auto impl = impl_;
  net::post(impl->strand, [impl, done = std::move(done)]() mutable {
    impl->stopping = true;
    if (!impl->running) {
      done();
      return;
    }
    impl->on_stopped = std::move(done);
    impl->sleep.cancel();
  });
}

}  // namespace asc_webhookd::apple
