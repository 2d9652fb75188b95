#include "asc_webhookd/apple/webhook_health.hpp"

#include "asc_webhookd/apple/found_event.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/store/async.hpp"

#include <algorithm>

namespace asc_webhookd::apple {

namespace net = boost::asio;
using nlohmann::json;

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The command that makes Apple's webhook right again: `apple setup`
// enables it, points it at the URL, subscribes to every event type and
// gives Apple the webhook's secret (or creates the webhook anew).
std::string setup_command(const config::Config& cfg, const config::WebhookConfig& hook, const std::string& url) {
  std::string cmd = "asc-webhookd apple setup";
  if (!cfg.source_path.empty()) cmd += " --config " + cfg.source_path;
  return cmd + " --webhook " + hook.name + " --url " + url;
}

// The newest deliveries in the window, when the newest kFailingInARow all
// FAILED: "deliveries failing: N of M since T (...)"; "" otherwise.
std::string failing_deliveries(const std::vector<Delivery>& deliveries, std::int64_t window_start_ms,
                               const std::string& fix_url, const std::string& fix) {
  std::vector<const Delivery*> tried;  // sent (or tried): PENDING ones are still in Apple's queue
  for (const auto& d : deliveries)
    if ((d.created_ms == 0 || d.created_ms >= window_start_ms) && (d.state == "FAILED" || d.state == "SUCCEEDED"))
      tried.push_back(&d);
  std::stable_sort(tried.begin(), tried.end(), [](const Delivery* a, const Delivery* b) { return a->created_ms > b->created_ms; });
  if (tried.size() < kFailingInARow) return "";
  for (std::size_t i = 0; i < kFailingInARow; ++i)
    if (tried[i]->state != "FAILED") return "";
  const auto failed = std::count_if(tried.begin(), tried.end(), [](const Delivery* d) { return d->state == "FAILED"; });
  const Delivery& newest = *tried.front();
  std::string last = newest.error;
  if (newest.http_status) last += (last.empty() ? "" : ", ") + std::string("HTTP ") + std::to_string(*newest.http_status);
  std::string text = "deliveries failing: " + std::to_string(failed) + " of " + std::to_string(tried.size()) + " since " +
                     apple_time(window_start_ms) + " (the newest " + std::to_string(kFailingInARow) + " all FAILED";
  if (!last.empty()) text += "; Apple's last error: " + last;
  text += ") — fix: make " + fix_url +
          " reach this daemon (proxy, DNS, TLS certificate); if it answered 401, Apple signs with another secret: " + fix +
          " gives Apple the webhook's secret again";
  return text;
}

}  // namespace

std::string health_key(const std::string& webhook) { return "reconcile:" + webhook + ":health"; }

std::int64_t health_window_start(const config::Config& cfg, std::int64_t now_ms) {
  return now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(cfg.reconcile.window).count();
}

HealthVerdict judge_webhook(const config::Config& cfg, const config::WebhookConfig& hook, const AppleSide& apple,
                            const std::vector<Delivery>& deliveries, std::int64_t window_start_ms) {
  HealthVerdict v;
  auto add = [&v](std::string key, std::string text) {
    v.keys.push_back(std::move(key));
    v.problems.push_back(std::move(text));
  };
  const std::string& expected = hook.apple->url;
  const std::string placeholder = "https://PUBLIC-HOST/webhooks/" + hook.name;
  if (!apple.webhook) {
    const std::string fix = setup_command(cfg, hook, expected.empty() ? placeholder : expected);
    std::string text = "deleted: App Store Connect has no webhook " + hook.apple->webhook_id + " for app " +
                       hook.apple->app_id + " — fix: " + fix + " creates one; put the id it prints in apple.webhook_id";
    for (const auto& other : apple.app_webhooks)
      if (!expected.empty() && other.url == expected)
        text += " (or, if Apple's webhook " + other.id + " that calls " + other.url + " is this one, put " + other.id +
                " in apple.webhook_id)";
    add("deleted", text);
    return v;
  }
  const Webhook& w = *apple.webhook;
  const std::string fix = setup_command(cfg, hook, expected.empty() ? (w.url.empty() ? placeholder : w.url) : expected);
  if (!w.enabled) add("disabled", "disabled: Apple sends nothing while it is off — fix: " + fix + " enables it");
  if (!expected.empty() && w.url != expected)
    add("url differs: " + w.url, "url differs: " + w.url + " (Apple calls that; this daemon is at " + expected +
                                     ") — fix: " + fix);
  std::vector<std::string> missing;
  for (const auto& type : rules::needed_subscriptions(cfg, hook.name))
    if (std::find(w.event_types.begin(), w.event_types.end(), type) == w.event_types.end()) missing.push_back(type);
  if (!missing.empty())
    add("missing event types: " + joined(missing),
        "missing event types: " + joined(missing) + " (rules of webhook " + hook.name +
            " match them; Apple does not send them) — fix: " + fix + " subscribes to every event type");
  if (auto failing = failing_deliveries(deliveries, window_start_ms, w.url.empty() ? expected : w.url, fix); !failing.empty())
    add("deliveries failing", failing);
  return v;
}

net::awaitable<ApiResult<AppleSide>> read_apple_side(Api& api, const config::WebhookConfig& hook) {
  AppleSide out;
  auto read = co_await api.webhook(hook.apple->webhook_id);
  if (read) {
    out.webhook = std::move(*read);
    co_return out;
  }
  if (read.error().status != 404) co_return read.error();
  auto listed = co_await api.app_webhooks(hook.apple->app_id);
  if (!listed) co_return listed.error();
  for (const auto& w : *listed)
    if (w.id == hook.apple->webhook_id)
      co_return ApiError{"App Store Connect answered 404 for webhook " + w.id + " but lists it for app " +
                             hook.apple->app_id + "; not judged this pass",
                         404};
  out.app_webhooks = std::move(*listed);
  co_return out;
}

namespace {

// The last verdict kept (health_key). Its keys are empty exactly when it
// was healthy, so they alone say whether a verdict changed.
struct KeptVerdict {
  std::vector<std::string> problems, keys;
  std::int64_t since_ms = 0;  // when it became the verdict
};

std::optional<KeptVerdict> read_kept(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  auto j = json::parse(*value, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  KeptVerdict k;
  k.since_ms = j.value("since_ms", std::int64_t{0});
  for (auto [key, field] : {std::pair{"problems", &k.problems}, {"keys", &k.keys}})
    if (auto it = j.find(key); it != j.end() && it->is_array())
      for (const auto& s : *it)
        if (s.is_string()) field->push_back(s.get<std::string>());
  return k;
}

// The webhookHealthChanged event: the verdict and the one before it.
Result<event::Event, Error> health_event(const config::WebhookConfig& hook, const HealthVerdict& now,
                                         const std::vector<std::string>& previous, std::int64_t now_ms) {
  json attributes = {{"timestamp", apple_time(now_ms)},
                     {"healthy", now.healthy()},
                     {"problems", now.problems},
                     {"previous", previous},
                     {"webhookId", hook.apple->webhook_id}};
  json body = {{"data",
                {{"type", "webhookHealthChanged"},
                 {"id", "webhook-health-" + hook.name + "-" + std::to_string(now_ms)},
                 {"version", 1},
                 {"attributes", attributes}}}};
  return event::decode_event(body.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace

net::awaitable<HealthRecord> record_verdict(const config::Config& cfg, const config::WebhookConfig& hook,
                                            const HealthVerdict& verdict, store::Store& store, std::int64_t now_ms,
                                            std::set<std::string>& judged) {
  HealthRecord out;
  metrics::Registry::global().set("asc_webhookd_apple_webhook_healthy", {{"webhook", hook.name}}, verdict.healthy() ? 1 : 0);
  const std::string key = health_key(hook.name);
  auto get = [&store, key](auto cb) { store.kv_get_async(key, std::move(cb)); };
  auto stored = co_await store::await_store<store::StoreResult<std::optional<std::string>>>(std::move(get));
  if (!stored) {
    out.error = "the store failed to read the last verdict: " + stored.error().message;
    co_return out;
  }
  const auto kept = read_kept(*stored);
  const bool first = !judged.count(hook.name) || !kept;
  out.changed = first ? !verdict.healthy() : kept->keys != verdict.keys;
  const std::int64_t since_ms = !out.changed && kept && kept->since_ms ? kept->since_ms : now_ms;
  auto lg = log::get("reconcile");
  if (out.changed) {
    auto ev = health_event(hook, verdict, kept ? kept->problems : std::vector<std::string>{}, now_ms);
    if (!ev) {  // our own body: only a webhook name or id beyond the event's limits
      out.error = "the health event does not decode: " + ev.error().message;
      co_return out;
    }
    out.event_id = ev->id;
    auto ingested = co_await store_found_event(cfg, hook.name, std::move(*ev), now_ms, "monitor", store);
    if (!ingested) {
      out.error = "the store failed: " + ingested.error().message;
      co_return out;
    }
    out.jobs = ingested->jobs;
    if (verdict.healthy())
      lg->info("apple webhook health webhook={} healthy=true event={} jobs={} (healthy again)", hook.name, out.event_id, out.jobs);
    else
      lg->warn("apple webhook health webhook={} healthy=false event={} jobs={} problems=\"{}\"", hook.name, out.event_id,
               out.jobs, joined(verdict.problems));
  }
  const std::string value = json{{"healthy", verdict.healthy()}, {"problems", verdict.problems}, {"keys", verdict.keys},
                                 {"checked_ms", now_ms}, {"since_ms", since_ms}}
                                .dump(-1, ' ', false, json::error_handler_t::replace);
  auto put = [&store, key, value](auto cb) { store.kv_put_async(key, value, std::move(cb)); };
  if (auto kept_ok = co_await store::await_store<store::StoreResult<void>>(std::move(put)); !kept_ok) {
    out.error = "the store failed to keep the verdict: " + kept_ok.error().message;
    co_return out;
  }
  judged.insert(hook.name);
  co_return out;
}

}  // namespace asc_webhookd::apple
