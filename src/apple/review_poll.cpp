#include "asc_webhookd/apple/review_poll.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/event/review.hpp"
#include "asc_webhookd/apple/found_event.hpp"
#include "asc_webhookd/store/async.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace asc_webhookd::apple {

namespace net = boost::asio;
using nlohmann::json;

namespace {

constexpr std::int64_t kDayMs = 24 * 3600'000;
constexpr std::int64_t kHourMs = 3600'000;
constexpr int kMaxPages = 500;  // 100,000 reviews: beyond any floor's reach

std::int64_t ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

struct Watermark {
  std::optional<std::int64_t> newest_ms;  // the newest review's createdDate seen by a complete pass
  std::int64_t start_ms = 0;              // the very first pass's floor
};

std::optional<Watermark> read_watermark(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  auto j = json::parse(*value, nullptr, false);
  if (!j.is_object() || !j.contains("start_ms") || !j["start_ms"].is_number_integer()) return std::nullopt;
  Watermark w;
  w.start_ms = j["start_ms"].get<std::int64_t>();
  if (j.contains("newest_ms") && j["newest_ms"].is_number_integer()) w.newest_ms = j["newest_ms"].get<std::int64_t>();
  return w;
}

std::int64_t floor_of(const config::Config& cfg, const config::ReviewPolling& p, const std::optional<Watermark>& mark,
                      std::int64_t now_ms) {
  if (!mark) return now_ms - ms(p.backfill);
  const std::int64_t behind = mark->newest_ms ? *mark->newest_ms - kDayMs : now_ms - ms(p.backfill) - kDayMs;
  return std::max({behind, mark->start_ms, now_ms - ms(cfg.store.retention) + kHourMs});
}

}  // namespace

std::string ReviewPassResult::summary() const {
  std::string s = "reviews webhook=" + webhook + " since=" + apple_time(since_ms) + " pages=" + std::to_string(pages) +
                  " listed=" + std::to_string(listed) + " stored=" + std::to_string(stored) +
                  " already_stored=" + std::to_string(already) + " jobs=" + std::to_string(jobs);
  if (rate_limit.remaining) s += " rate_limit_remaining=" + std::to_string(*rate_limit.remaining);
  if (!error.empty()) s += " error=\"" + error + "\"";
  return s;
}

net::awaitable<ReviewPassResult> poll_reviews(std::shared_ptr<const config::Config> cfg, const config::WebhookConfig& hook,
                                              Api& api, store::Store& store, std::int64_t now_ms) {
  ReviewPassResult out;
  out.webhook = hook.name;
  const config::ReviewPolling polling = hook.apple->reviews.value_or(config::ReviewPolling{});
  const std::string key = "reviews:" + hook.name;
  // Named first: GCC 12 miscompiles capturing lambdas inside co_await (bug 107288).
  auto get = [&store, key](auto cb) { store.kv_get_async(key, std::move(cb)); };
  auto stored_mark = co_await store::await_store<store::StoreResult<std::optional<std::string>>>(std::move(get));
  if (!stored_mark) {  // not "no watermark yet": that would start over from backfill
    out.error = "the store failed to read the watermark: " + stored_mark.error().message;
    co_return out;
  }
  const auto mark = read_watermark(*stored_mark);
  out.since_ms = floor_of(*cfg, polling, mark, now_ms);
  std::optional<std::int64_t> newest = mark ? mark->newest_ms : std::nullopt;
  std::set<std::string> seen;  // a review read twice in one pass (it moved to the next page)
  auto lg = log::get("reviews");
  std::string next;
  bool reached_floor = false;
  while (!reached_floor && out.pages < kMaxPages) {
    auto page = co_await api.review_page(hook.apple->app_id, polling.territories, next);
    out.rate_limit = api.rate_limit();
    if (!page) {
      out.error = page.error().message;
      out.rate_limited = page.error().rate_limited();
      co_return out;  // the watermark stays: the next pass reads this again
    }
    ++out.pages;
    for (const auto& r : page->reviews) {
      // Newest first: the first review older than the floor ends the pass.
      if (r.created_ms != 0 && r.created_ms < out.since_ms) {
        reached_floor = true;
        break;
      }
      if (!seen.insert(r.id).second) continue;
      ++out.listed;
      if (r.created_ms != 0) newest = std::max(newest.value_or(r.created_ms), r.created_ms);
      auto decoded = event::decode_event(event::review_event_body(r.id, r.review, cfg->app_store_connect->base_url));
      if (!decoded) {  // our own body: only a review id beyond the event's limits
        lg->warn("reviews webhook={} review={} not stored error=\"{}\"", hook.name, r.id.substr(0, 80), decoded.error().message);
        continue;
      }
      auto ingested = co_await store_found_event(*cfg, hook.name, std::move(*decoded), now_ms, "poll", store);
      if (!ingested) {
        out.error = "the store failed: " + ingested.error().message;
        co_return out;
      }
      if (ingested->duplicate) {
        ++out.already;
        continue;
      }
      ++out.stored;
      out.jobs += ingested->jobs;
      lg->info("event webhook={} type={} id={} outcome=accepted source=poll rating={} territory={} jobs={}", hook.name,
               event::kReviewEventType, r.id, r.review.rating, r.review.territory, ingested->jobs);
    }
    next = page->next;
    if (next.empty()) break;
  }
  json kept = {{"start_ms", mark ? mark->start_ms : out.since_ms}, {"pass_ms", now_ms}};
  if (newest) kept["newest_ms"] = *newest;
  const std::string value = kept.dump();
  auto put = [&store, key, value](auto cb) { store.kv_put_async(key, value, std::move(cb)); };
  if (auto kept_ok = co_await store::await_store<store::StoreResult<void>>(std::move(put)); !kept_ok)
    out.error = "the store failed to keep the watermark: " + kept_ok.error().message;
  co_return out;
}

namespace {

// When each webhook's next pass is due, and its backoff after a 429.
struct Schedule {
  std::map<std::string, std::int64_t> due_ms;
  std::map<std::string, Duration> backoff;
};

net::awaitable<Duration> review_round(std::shared_ptr<const config::Config> cfg, Api& api, store::Store& store,
                                      const Clock& clock, std::function<void()> jobs_stored, std::shared_ptr<Schedule> plan) {
  auto& reg = metrics::Registry::global();
  Duration wait = std::chrono::hours(1);
  for (const auto& hook : cfg->webhooks) {
    if (!hook.apple || !hook.apple->reviews) continue;
    const Duration interval = hook.apple->reviews->interval;
    const std::int64_t now = clock.now_ms();
    if (auto due = plan->due_ms.find(hook.name); due != plan->due_ms.end() && due->second > now) {
      wait = std::min(wait, Duration(std::chrono::milliseconds(due->second - now)));
      continue;
    }
    ReviewPassResult r = co_await poll_reviews(cfg, hook, api, store, now);
    const std::string result = r.error.empty() ? "ok" : r.rate_limited ? "rate_limited" : "error";
    reg.inc("asc_webhookd_review_polls_total", {{"webhook", hook.name}, {"result", result}});
    reg.inc("asc_webhookd_reviews_stored_total", {{"webhook", hook.name}}, static_cast<double>(r.stored));
    Duration next = interval;
    if (r.rate_limited) {
      Duration& b = plan->backoff[hook.name];
      b = std::min<Duration>(b.count() ? b * 2 : interval * 2, std::chrono::hours(1));
      next = std::max(b, interval);
      log::get("reviews")->error("{}; Apple's rate limit: next pass in {}s", r.summary(),
                                 std::chrono::duration_cast<std::chrono::seconds>(next).count());
    } else {
      plan->backoff.erase(hook.name);
      if (r.rate_limit.low()) next = std::max<Duration>(interval, std::chrono::minutes(15));
      if (r.error.empty()) log::get("reviews")->info("{}", r.summary());
      else log::get("reviews")->error("{}; tried again at the next pass", r.summary());
    }
    plan->due_ms[hook.name] = clock.now_ms() + ms(next);
    wait = std::min(wait, next);
    if (r.jobs > 0 && jobs_stored) jobs_stored();
  }
  co_return std::max<Duration>(wait, std::chrono::seconds(1));
}

}  // namespace

std::unique_ptr<PassLoop> make_review_poller(net::io_context& io, PassLoop::ConfigSource config, store::Store& store,
                                             const Clock& clock, std::function<void()> jobs_stored) {
  auto cadence = [](const config::Config& cfg) {
    Duration every = Duration::zero();
    for (const auto& hook : cfg.webhooks)
      if (hook.apple && hook.apple->reviews)
        every = every.count() ? std::min(every, hook.apple->reviews->interval) : hook.apple->reviews->interval;
    return every;
  };
  auto plan = std::make_shared<Schedule>();
  auto round = [&store, &clock, jobs_stored, plan](std::shared_ptr<const config::Config> cfg, Api& api) {
    return review_round(std::move(cfg), api, store, clock, jobs_stored, plan);
  };
  return std::make_unique<PassLoop>(io, "reviews", std::move(config), store, clock, cadence, round);
}

}  // namespace asc_webhookd::apple
