#include "asc_webhookd/app/daemon.hpp"

#include "asc_webhookd/admin/console.hpp"
#include "asc_webhookd/apple/reconcile.hpp"
#include "asc_webhookd/apple/review_poll.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/delivery/engine.hpp"
#include "asc_webhookd/http/router.hpp"
#include "asc_webhookd/http/server.hpp"
#include "asc_webhookd/app/open_store.hpp"
#include "ceiling_store.hpp"

#include <boost/asio/io_context.hpp>

namespace asc_webhookd::app {

Result<std::unique_ptr<Daemon>, Error> Daemon::create(std::shared_ptr<const config::Config> cfg, DaemonOptions options) {
  std::unique_ptr<Daemon> d(new Daemon());
  if (options.clock) d->clock_ = options.clock;
  d->config_ = cfg;
  auto opened = open_configured_store(cfg->store, {options.vfs, false, d->clock_});
  if (!opened) return opened.error();
  d->store_ = std::move(*opened);
  d->ioc_ = std::make_unique<boost::asio::io_context>();
  auto* self = d.get();
  auto source = [self] { return self->config(); };
  d->engine_ = std::make_unique<delivery::Engine>(*d->ioc_, source, *d->store_, *d->clock_);
  auto* engine = d->engine_.get();
  store::Store* ingest_store = d->store_.get();
#ifdef ASC_WEBHOOKD_BENCH_CEILING
  d->ceiling_ = std::make_unique<CeilingStore>(*d->store_);
  ingest_store = d->ceiling_.get();
#endif
  d->console_ = std::make_unique<admin::Console>(source, *d->store_, *d->clock_, [engine] { engine->notify(); });
  using ConsoleHandler = decltype(http::Router::Dependencies::console);
  ConsoleHandler console = [c = d->console_.get()](http::Request& r, const http::RequestInfo& i) { return c->handle(r, i); };
  // With admin_listen the console is served there only (read at start: a
  // change needs a restart), never on the proxy-facing listener.
  const bool separate = cfg->server.admin_listen.has_value();
  http::Router::Dependencies deps{source, ingest_store, d->clock_, [engine] { engine->notify(); },
                                  separate ? ConsoleHandler() : console};
  d->server_ = std::make_unique<http::Server>(*d->ioc_, source, std::make_shared<http::Router>(deps));
  if (separate) {
    // The same config, seen by the admin server as listening on admin_listen
    // (plain HTTP); re-derived when a reload swaps the config.
    struct Derived {
      std::mutex mutex;
      std::shared_ptr<const config::Config> base, derived;
    };
    auto cache = std::make_shared<Derived>();
    auto admin_source = [source, cache, addr = *cfg->server.admin_listen]() {
      auto base = source();
      std::lock_guard lock(cache->mutex);
      if (base != cache->base) {
        auto copy = std::make_shared<config::Config>(*base);
        copy->server.listen = {addr};
        copy->server.tls.reset();
        cache->base = base;
        cache->derived = std::move(copy);
      }
      return cache->derived;
    };
    http::Router::Dependencies admin_deps{admin_source, ingest_store, d->clock_, [engine] { engine->notify(); }, console,
                                          /*console_only=*/true};
    d->admin_server_ = std::make_unique<http::Server>(*d->ioc_, admin_source, std::make_shared<http::Router>(admin_deps));
  }
  d->reconciler_ = apple::make_reconciler(*d->ioc_, source, *d->store_, *d->clock_, [engine] { engine->notify(); });
  d->review_poller_ = apple::make_review_poller(*d->ioc_, source, *d->store_, *d->clock_, [engine] { engine->notify(); });
  metrics::describe_standard(metrics::Registry::global());
  return d;
}

Daemon::~Daemon() = default;

void Daemon::start() {
  server_->start();
  if (admin_server_) admin_server_->start();
  engine_->start();
  reconciler_->start();
  review_poller_->start();
}

void Daemon::stop(std::function<void()> on_stopped) {
  auto* engine = engine_.get();
  auto* reconciler = reconciler_.get();
  auto* reviews = review_poller_.get();
  // No new pass; one in flight ends on its own (its requests have timeouts).
  reconciler->stop([] {});
  reviews->stop([] {});
  auto after_servers = [engine, reconciler, reviews, on_stopped = std::move(on_stopped)]() mutable {
    engine->stop([reconciler, reviews, on_stopped = std::move(on_stopped)]() mutable {
      reconciler->stop([reviews, on_stopped = std::move(on_stopped)]() mutable { reviews->stop(std::move(on_stopped)); });
    });
  };
  if (!admin_server_) {
    server_->stop(std::move(after_servers));
    return;
  }
  auto* admin = admin_server_.get();
  server_->stop([admin, after_servers = std::move(after_servers)]() mutable { admin->stop(std::move(after_servers)); });
}

std::shared_ptr<const config::Config> Daemon::config() const {
  std::lock_guard lock(config_mutex_);
  return config_;
}

void Daemon::set_config(std::shared_ptr<const config::Config> cfg) {
  std::lock_guard lock(config_mutex_);
  config_ = std::move(cfg);
}

}  // namespace asc_webhookd::app
