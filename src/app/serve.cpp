#include "asc_webhookd/app/serve.hpp"

#include "asc_webhookd/app/cli.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/core/thread_name.hpp"
#include "asc_webhookd/app/daemon.hpp"
#include "background_thread.hpp"
#include "asc_webhookd/http/server.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <systemd/sd-daemon.h>

#include <time.h>

#include <iostream>
#include <thread>

namespace asc_webhookd::app {
namespace {

namespace net = boost::asio;

constexpr auto kShutdownGrace = std::chrono::seconds(10);

void apply_logging(const config::Config& cfg) {
  log::init({cfg.log.level, cfg.log.json ? log::Format::json : log::Format::text, log::stderr_is_journal()});
}

// RELOADING=1 with MONOTONIC_USEC, as systemd 253+ expects for
// Type=notify-reload (harmless for older systemd and without systemd).
void notify_reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ull + static_cast<unsigned long long>(ts.tv_nsec) / 1000;
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
}

// WATCHDOG=1 from the event loop itself every half WatchdogSec: if the loop
// wedges, the pings stop and systemd restarts the service.
// The timer lives on the control strand, where `stopped` is also set, so a
// ping that is already running cannot re-arm after the stop.
void start_watchdog(net::steady_timer& timer, std::chrono::microseconds interval, const bool& stopped) {
  timer.expires_after(interval);
  timer.async_wait([&timer, interval, &stopped](boost::system::error_code ec) {
    if (ec || stopped) return;
    sd_notify(0, "WATCHDOG=1");
    start_watchdog(timer, interval, stopped);
  });
}

// Applies a configuration read by the Reloader (on the control strand).
void reload(Daemon& daemon, const config::LoadResult& result) {
  auto lg = log::get("app");
  auto old = daemon.config();
  auto& reg = metrics::Registry::global();
  if (!result.ok()) {
    for (const auto& d : result.diagnostics) lg->error("reload rejected: {}", d.text());
    lg->error("reload failed; still serving the previous configuration");
    reg.inc("asc_webhookd_config_reloads_total", {{"result", "failure"}});
    return;
  }
  for (const auto& d : result.diagnostics) lg->warn("{}", d.text());
  const auto& next = *result.config;
  if (next.server.listen != old->server.listen)
    lg->warn("server.listen changed; the new addresses take effect after a restart");
  if (next.server.tls.has_value() != old->server.tls.has_value())
    lg->warn("server.tls was switched on or off; that takes effect after a restart");
  if (next.store.path != old->store.path) lg->warn("store.path changed; that takes effect after a restart");
  if (next.delivery.concurrency != old->delivery.concurrency)
    lg->warn("delivery.concurrency changed; that takes effect after a restart");
  if (next.server.io_threads != old->server.io_threads)
    lg->warn("server.io_threads changed; that takes effect after a restart");
  if (next.server.tls && old->server.tls) {
    try {
      daemon.server().reload_tls(*next.server.tls);
    } catch (const std::exception& e) {
      lg->error("reload failed: {}; still serving the previous configuration", e.what());
      reg.inc("asc_webhookd_config_reloads_total", {{"result", "failure"}});
      return;
    }
  }
  daemon.set_config(result.config);
  apply_logging(next);
  reg.inc("asc_webhookd_config_reloads_total", {{"result", "success"}});
  lg->info("configuration reloaded webhooks={} rules={}", next.webhooks.size(), next.rules.size());
}

// Reads the configuration file (and the secret files it names) on its own
// thread after each SIGHUP, never on an io thread: a file on a hung mount
// must not stop requests, signals or the watchdog. `apply` gets the result;
// SIGHUPs that arrive during a read are folded into one more read.
class Reloader {
public:
  Reloader(std::string path, std::function<void(config::LoadResult)> apply)
      : thread_("reload", [path = std::move(path), apply = std::move(apply)](BackgroundThread& self) {
          while (self.wait()) apply(config::load_config_file(path));
        }) {}
  void request() { thread_.wake(); }

private:
  BackgroundThread thread_;
};

// Prunes done events older than store.retention: at start, then hourly.
class Pruner {
public:
  Pruner(store::Store& store, std::function<std::shared_ptr<const config::Config>()> config, const Clock& clock)
      : thread_("pruner", [&store, config, &clock](BackgroundThread& self) {
          do {
            auto cfg = config();
            auto n = store.prune(clock.now_ms() - cfg->store.retention.count());
            if (!n) log::get("store")->error("prune failed error=\"{}\"; next try in an hour", n.error().message);
            else if (*n > 0) log::get("store")->info("pruned events={} older_than={}", *n, format_duration(cfg->store.retention));
          } while (self.wait(std::chrono::hours(1)));
        }) {}

private:
  BackgroundThread thread_;
};

}  // namespace

int serve(const std::string& config_path) {
  auto result = config::load_config_file(config_path);
  for (const auto& d : result.diagnostics) std::cerr << d.text() << "\n";
  if (!result.ok()) return invalid;
  auto cfg = result.config;
  apply_logging(*cfg);
  auto lg = log::get("app");

  auto created = Daemon::create(cfg);
  if (!created) {
    lg->error("cannot start: {}", created.error().message);
    return runtime;
  }
  Daemon& daemon = **created;
  auto& st = daemon.store();
  auto& ioc = daemon.io();
  auto& reg = metrics::Registry::global();
  reg.on_scrape([&st](metrics::Registry& r) {
    for (const char* state : {"pending", "running", "dead"})
      if (auto n = st.count_jobs(state)) r.set("asc_webhookd_jobs", {{"state", state}}, static_cast<double>(*n));
    metrics::update_process_metrics(r);
  });
  auto resumed = st.recover_running();
  if (!resumed) {
    lg->error("cannot start: {}", resumed.error().message);
    return runtime;
  }
  if (*resumed > 0) lg->warn("resuming jobs left running by an earlier stop jobs={}", *resumed);
  try {
    daemon.start();
  } catch (const std::exception& e) {
    lg->error("cannot start: {}", e.what());
    return runtime;
  }
  Pruner pruner(st, [&daemon] { return daemon.config(); }, daemon.clock());

  // Signals, the watchdog and the shutdown grace timer share one strand:
  // their state is touched only there, whichever io thread runs it.
  auto control = net::make_strand(ioc);
  net::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
  net::steady_timer watchdog(control);
  net::steady_timer grace(control);
  bool stopping = false;
  Reloader reloader(cfg->source_path, [&](config::LoadResult loaded) {
    net::post(control, [&daemon, &stopping, loaded = std::move(loaded)] {
      if (stopping) return;
      reload(daemon, loaded);
      sd_notify(0, "READY=1");
    });
  });
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      notify_reloading();
      reloader.request();
      signals.async_wait(on_signal);
      return;
    }
    if (stopping) return;
    stopping = true;
    sd_notify(0, "STOPPING=1");
    signals.cancel();
    watchdog.cancel();  // and `stopping` keeps a ping already running from re-arming
    grace.expires_after(kShutdownGrace);
    grace.async_wait([&](boost::system::error_code gec) {
      if (gec) return;
      lg->warn("still busy after {}s; stopping anyway (queued jobs stay in the store)", kShutdownGrace.count());
      ioc.stop();
    });
    // Requests in flight finish (their events are stored), then running
    // attempts finish; queued jobs wait in the store for the next start.
    daemon.stop([&] { net::post(control, [&] { grace.cancel(); }); });
    // Said once the listeners no longer accept and every answer from now on
    // closes its connection (daemon.stop marks the servers first).
    lg->info("stopping signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  };
  signals.async_wait(on_signal);

  unsigned threads = cfg->server.io_threads ? cfg->server.io_threads : std::max(1u, std::thread::hardware_concurrency());
  lg->info("started version={} io_threads={} store={} webhooks={} rules={}", ASC_WEBHOOKD_VERSION, threads,
           cfg->store.path, cfg->webhooks.size(), cfg->rules.size());
#ifdef ASC_WEBHOOKD_BENCH_CEILING
  lg->error("benchmark build (ASC_WEBHOOKD_BENCH_CEILING): webhooks are answered WITHOUT being stored");
#endif
  sd_notify(0, "READY=1");
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0)
    net::post(control, [&] { start_watchdog(watchdog, std::chrono::microseconds(watchdog_usec / 2), stopping); });

  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] {
      name_this_thread("io");
      ioc.run();
    });
  ioc.run();
  for (auto& t : pool) t.join();
  // A round trip through the store queue: every task queued before it has
  // run, so no store callback outlives the io_context.
  const auto pending = st.count_jobs("pending");
  lg->info("stopped pending_jobs={}", pending ? std::to_string(*pending) : std::string("?"));
  return ok;
}

}  // namespace asc_webhookd::app
