#pragma once
// Apple's side is watched. Everything this daemon does stops silently when
// Apple's webhook is deleted, disabled, pointed elsewhere or missing event
// types, or when Apple cannot reach the daemon; reconcile cannot recover
// what Apple never tried to send. After each reconcile pass over a linked
// webhook, the monitor reads Apple's webhook and judges it: healthy, or a
// list of problems, each naming the command that fixes it. A change of that
// verdict (the first one after start only when unhealthy) is stored as a
// webhookHealthChanged event, source "monitor", and routed by the rules
// like any other. The last verdict is kept in the store (kv
// "reconcile:NAME:health", shared by replicas) and in the gauge
// asc_webhookd_apple_webhook_healthy{webhook}.
#include "asc_webhookd/apple/api.hpp"
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace asc_webhookd::apple {

// Apple lists a delivery as failing when the newest this many in the
// window all FAILED (one failure is a blip; three in a row is a pattern).
inline constexpr std::size_t kFailingInARow = 3;

struct HealthVerdict {
  std::vector<std::string> problems;  // each: what is wrong, then " — fix: ..."
  // What a change is judged on: the problems without their counts and
  // times ("deliveries failing", "url differs: URL"), so a failing count
  // that grows is not a new verdict.
  std::vector<std::string> keys;
  bool healthy() const { return problems.empty(); }
};

// What Apple has: its webhook (nullopt: Apple has none with the linked id),
// and, when it had none, the app's webhooks (one may be the same URL under
// a new id).
struct AppleSide {
  std::optional<Webhook> webhook;
  std::vector<Webhook> app_webhooks;
};

// The verdict on `hook` (which has apple.webhook_id) from what Apple has,
// the subscriptions the rules of `cfg` need (rules::needed_subscriptions)
// and Apple's deliveries (any order; those created before `window_start_ms`
// are not looked at). Pure.
HealthVerdict judge_webhook(const config::Config& cfg, const config::WebhookConfig& hook, const AppleSide& apple,
                            const std::vector<Delivery>& deliveries, std::int64_t window_start_ms);

// Where the deliveries judged start: reconcile.window before `now_ms`.
std::int64_t health_window_start(const config::Config& cfg, std::int64_t now_ms);

// Reads the linked webhook. A 404 is confirmed with the app's listing
// (Apple has answered 404 for things that exist) before it counts as
// deleted; any other failure is an error: no verdict this pass.
boost::asio::awaitable<ApiResult<AppleSide>> read_apple_side(Api& api, const config::WebhookConfig& hook);

// What the monitor did with one verdict.
struct HealthRecord {
  bool changed = false;
  std::string event_id;  // the webhookHealthChanged event stored ("" when none)
  std::size_t jobs = 0;
  std::string error;     // the store failed: the verdict is judged again next pass
};

// Compares `verdict` with the last one kept, stores the event on a change,
// keeps the verdict and sets the gauge. `judged` names the webhooks this
// process judged before (the first verdict after start is a change only
// when unhealthy); `hook` is added once its verdict is kept.
boost::asio::awaitable<HealthRecord> record_verdict(const config::Config& cfg, const config::WebhookConfig& hook,
                                                    const HealthVerdict& verdict, store::Store& store,
                                                    std::int64_t now_ms, std::set<std::string>& judged);

// The kv key of a webhook's last verdict: {"healthy", "problems", "checked_ms", "since_ms"}.
std::string health_key(const std::string& webhook);

}  // namespace asc_webhookd::apple
