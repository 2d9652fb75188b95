#include "asc_webhookd/apple/reconcile.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/apple/found_event.hpp"
#include "asc_webhookd/apple/webhook_health.hpp"
#include "asc_webhookd/store/async.hpp"


#include <algorithm>
#include <set>

namespace asc_webhookd::apple {

namespace net = boost::asio;
using nlohmann::json;

namespace {

// Each pass reaches this far behind the last one: a delivery created just
// before the last listing but not yet in it (Apple's clock, its indexing)
// is still found.
constexpr std::int64_t kOverlapMs = 15 * 60'000;
// Apple lists the last 10 days only; ask a little less, so a clock ahead of
// Apple's never asks beyond it.
constexpr std::int64_t kAppleLimitMs = std::chrono::duration_cast<std::chrono::milliseconds>(config::kAppleDeliveryLogLimit).count() - 60'000;

std::string watermark_key(const std::string& webhook) { return "reconcile:" + webhook; }

std::optional<std::int64_t> read_watermark(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  auto j = json::parse(*value, nullptr, false);
  if (!j.is_object() || !j.contains("until_ms") || !j["until_ms"].is_number_integer()) return std::nullopt;
  return j["until_ms"].get<std::int64_t>();
}

}  // namespace

std::string PassResult::summary() const {
  std::string s = "reconcile webhook=" + webhook + " since=" + apple_time(since_ms) +
                  " deliveries=" + std::to_string(deliveries) + " not_delivered=" + std::to_string(failed) +
                  " stored=" + std::to_string(stored) + " already_stored=" + std::to_string(already) +
                  " pings=" + std::to_string(pings) + " jobs=" + std::to_string(jobs);
  if (unreadable) s += " unreadable=" + std::to_string(unreadable);
  if (!error.empty()) s += " error=\"" + error + "\"";
  return s;
}

std::int64_t pass_since(std::int64_t now_ms, std::optional<std::int64_t> watermark_ms, Duration window) {
  const std::int64_t window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
  std::int64_t since = now_ms - window_ms;
  if (watermark_ms) since = std::min(since, *watermark_ms - kOverlapMs);
  return std::max(since, now_ms - kAppleLimitMs);
}

net::awaitable<PassResult> reconcile_webhook(std::shared_ptr<const config::Config> cfg, const config::WebhookConfig& hook,
                                             Api& api, store::Store& store, std::int64_t now_ms,
                                             std::optional<std::int64_t> since_ms) {
  PassResult out;
  out.webhook = hook.name;
  out.until_ms = now_ms;
  auto lg = log::get("reconcile");
  const std::string key = watermark_key(hook.name);
  auto get = [&store, key](auto cb) { store.kv_get_async(key, std::move(cb)); };
  auto stored_mark = co_await store::await_store<store::StoreResult<std::optional<std::string>>>(std::move(get));
  if (!stored_mark) {  // not "no watermark yet": that would ask Apple for the whole window again
    out.error = "the store failed to read the watermark: " + stored_mark.error().message;
    co_return out;
  }
  const auto watermark = read_watermark(*stored_mark);
  out.since_ms = since_ms ? std::max(*since_ms, now_ms - kAppleLimitMs) : pass_since(now_ms, watermark, cfg->reconcile.window);

  auto listed = co_await api.deliveries(hook.apple->webhook_id, out.since_ms, now_ms + 60'000);
  if (!listed) {
    out.error = listed.error().message;
    out.rate_limited = listed.error().rate_limited();
    out.listing_status = listed.error().status;
    co_return out;
  }
  out.listing = *listed;
  out.deliveries = listed->size();
  for (const auto& d : *listed) {
    if (d.state != "SUCCEEDED") ++out.failed;
    if (d.ping) {
      ++out.pings;
      continue;
    }
    auto event = event::decode_event(d.payload);
    if (!event) {
      ++out.unreadable;
      lg->warn("reconcile webhook={} delivery={} unreadable payload error=\"{}\"", hook.name, d.id, event.error().message);
      continue;
    }
    if (event->type == event::EventType::webhook_ping_created) {
      ++out.pings;
      continue;
    }
    const std::string id = event->id;
    auto stored = co_await store_found_event(*cfg, hook.name, std::move(*event), now_ms, "reconcile", store);
    if (!stored) {
      out.error = "the store failed: " + stored.error().message;
      co_return out;  // the watermark stays: the next pass asks again
    }
    if (stored->duplicate) {
      ++out.already;
      continue;
    }
    ++out.stored;
    out.jobs += stored->jobs;
    lg->info("event webhook={} id={} outcome=accepted source=reconcile apple_state={} jobs={}", hook.name, id, d.state,
             stored->jobs);
  }
  const std::string mark = json{{"until_ms", now_ms}, {"found", out.stored}}.dump();
  auto put = [&store, key, mark](auto cb) { store.kv_put_async(key, mark, std::move(cb)); };
  if (auto kept = co_await store::await_store<store::StoreResult<void>>(std::move(put)); !kept)
    out.error = "the store failed to keep the watermark: " + kept.error().message;
  co_return out;
}

namespace {

// After the pass: Apple's webhook judged (apple/webhook_health.hpp). Only
// with Apple's listing in hand -- or a 404 for it, the webhook gone: a 429
// or a 5xx is a failed pass, never an unhealthy verdict.
net::awaitable<std::size_t> check_health(const config::Config& cfg, const config::WebhookConfig& hook, Api& api,
                                         store::Store& store, const PassResult& pass, std::int64_t now_ms,
                                         std::set<std::string>& judged) {
  auto lg = log::get("reconcile");
  if (!pass.listing && pass.listing_status != 404) {
    lg->warn("apple webhook health webhook={} not judged: the delivery listing failed; judged again at the next pass", hook.name);
    co_return 0;
  }
  auto side = co_await read_apple_side(api, hook);
  if (!side) {
    lg->warn("apple webhook health webhook={} not judged error=\"{}\"; judged again at the next pass", hook.name,
             side.error().message);
    co_return 0;
  }
  const auto verdict = judge_webhook(cfg, hook, *side, pass.listing ? *pass.listing : std::vector<Delivery>{},
                                     health_window_start(cfg, now_ms));
  auto recorded = co_await record_verdict(cfg, hook, verdict, store, now_ms, judged);
  if (!recorded.error.empty())
    lg->error("apple webhook health webhook={} error=\"{}\"; judged again at the next pass", hook.name, recorded.error);
  co_return recorded.jobs;
}

net::awaitable<Duration> reconcile_round(std::shared_ptr<const config::Config> cfg, Api& api, store::Store& store,
                                         const Clock& clock, std::function<void()> jobs_stored,
                                         std::shared_ptr<std::set<std::string>> judged) {
  auto& reg = metrics::Registry::global();
  for (const auto& hook : cfg->webhooks) {
    if (!hook.apple || hook.apple->webhook_id.empty()) continue;
    PassResult r = co_await reconcile_webhook(cfg, hook, api, store, clock.now_ms());
    const std::size_t health_jobs = co_await check_health(*cfg, hook, api, store, r, clock.now_ms(), *judged);
    const std::string outcome = r.error.empty() ? "ok" : r.rate_limited ? "rate_limited" : "error";
    reg.inc("asc_webhookd_reconcile_passes_total", {{"webhook", hook.name}, {"outcome", outcome}});
    reg.inc("asc_webhookd_reconciled_events_total", {{"webhook", hook.name}}, static_cast<double>(r.stored));
    if (r.error.empty()) {
      reg.set("asc_webhookd_reconcile_last_success_timestamp_seconds", {{"webhook", hook.name}},
              static_cast<double>(r.until_ms / 1000));
      log::get("reconcile")->info("{}", r.summary());
    } else {
      log::get("reconcile")->error("{}; tried again at the next pass", r.summary());
    }
    if (r.jobs + health_jobs > 0 && jobs_stored) jobs_stored();
  }
  co_return cfg->reconcile.interval;
}

}  // namespace

std::unique_ptr<PassLoop> make_reconciler(net::io_context& io, PassLoop::ConfigSource config, store::Store& store,
                                          const Clock& clock, std::function<void()> jobs_stored) {
  auto cadence = [](const config::Config& cfg) { return cfg.reconcile.interval; };
  // The webhooks this process has judged: its first verdict on each is a
  // change only when unhealthy.
  auto judged = std::make_shared<std::set<std::string>>();
  auto round = [&store, &clock, jobs_stored, judged](std::shared_ptr<const config::Config> cfg, Api& api) {
    return reconcile_round(std::move(cfg), api, store, clock, jobs_stored, judged);
  };
  return std::make_unique<PassLoop>(io, "reconcile", std::move(config), store, clock, cadence, round);
}

}  // namespace asc_webhookd::apple
