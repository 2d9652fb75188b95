#include "asc_webhookd/delivery/engine.hpp"

#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/delivery/attempt.hpp"
#include "asc_webhookd/delivery/exchange_log.hpp"
#include "asc_webhookd/enrich/asc_api.hpp"
#include "asc_webhookd/enrich/feedback.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/store/async.hpp"
#include "store_key_value.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <deque>
#include <random>
#include <set>

namespace asc_webhookd::delivery {

namespace net = boost::asio;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
// With nothing due the leaser sleeps until the earliest due time, a new job,
// a finished one, or a change to the store file by another process (the
// operator commands' requeues; Store::watch_changes). Where the store
// cannot watch, it also looks every 5 s; otherwise once a minute, as a
// safety net only.
constexpr std::int64_t kPollMs = 5000;
constexpr std::int64_t kSafetyNetMs = 60'000;
constexpr auto kLeaseRetry = std::chrono::seconds(1);
// A record that failed (disk full, I/O error) is written again from memory,
// waiting 100 ms, doubling to 5 s between tries. While the engine stops it
// keeps trying for kRecordAtStop before giving up (a restart repeats that
// attempt: the at-least-once promise for a request in flight).
constexpr auto kRecordFirstWait = std::chrono::milliseconds(100);
constexpr auto kRecordMaxWait = std::chrono::seconds(5);
constexpr auto kRecordAtStop = std::chrono::seconds(10);

struct Engine::Impl : std::enable_shared_from_this<Engine::Impl> {
  net::io_context& ioc;
  ConfigSource config;
  store::Store& store;
  const Clock& clock;
  // The leaser and every running job share one strand.
  net::strand<net::io_context::executor_type> strand;
  std::unique_ptr<net::steady_timer> wake;  // the leaser's sleep; cancelled by notify() and finished jobs
  std::unique_ptr<outbound::HttpClient> client;
  std::unique_ptr<outbound::ClientTransport> transport;
  std::unique_ptr<StoreKeyValue> kv;
  actions::TokenCache tokens;
  std::shared_ptr<enrich::AscApi> asc;  // rebuilt when app_store_connect changes

  // The API client for the current config (null: no enrichment configured).
  std::shared_ptr<enrich::AscApi> asc_for(const config::Config& cfg) {
    if (!cfg.app_store_connect) return nullptr;
    if (asc && asc->same_config(*cfg.app_store_connect)) return asc;
    auto created = enrich::AscApi::create(*cfg.app_store_connect, clock);
    if (!created) {
      log::get("enrich")->error("app_store_connect disabled error=\"{}\"", created.error().message);
      return nullptr;
    }
    asc = *created;
    return asc;
  }
  bool stopping = false;
  bool leaser_done = false;
  bool poked = false;  // something may have become due since the last lease
  std::size_t capacity = 0;
  std::size_t in_flight = 0;
  std::int64_t max_sleep_ms = kPollMs;
  std::string lease_error;  // the last lease failure, logged once per reason
  std::deque<store::LeasedJob> ready;  // leased, waiting for a slot
  // Jobs whose attempt is done but whose record is not yet durable: never
  // leased again meanwhile, even once their lease has run out in the store.
  std::set<std::int64_t> unrecorded;
  std::set<std::int64_t> running;  // started, until their attempt is recorded
  std::function<void()> on_stopped;
  std::mt19937_64 rng{std::random_device{}()};

  Impl(net::io_context& io, ConfigSource c, store::Store& s, const Clock& k)
      : ioc(io), config(std::move(c)), store(s), clock(k), strand(net::make_strand(io)) {}

  net::awaitable<void> leaser();
  net::awaitable<void> run_job(store::LeasedJob job);
  net::awaitable<void> record(std::int64_t job_id, store::Attempt attempt, const Settlement& settled);
  void start_ready();
  net::awaitable<void> give_back_ready();
  net::awaitable<void> take_back_unheld();
  bool lease_failed(const store::StoreResult<store::Leased>& batch);
  net::awaitable<actions::Outcome> attempt(const config::Config& cfg, const store::LeasedJob& job, std::string& event_id,
                                           ExchangeLog& sent);
  void observe(const store::LeasedJob& job, const Settlement& settled, std::chrono::milliseconds duration, std::int64_t now);
  void log_lookup_failure(const store::LeasedJob& job, const event::Event& event, const enrich::Enrichment& en,
                          const Prepared& prepared);
  void poke() {
    poked = true;
    wake->cancel();
  }
  void maybe_stopped() {
    if (stopping && leaser_done && in_flight == 0 && on_stopped) {
      auto f = std::move(on_stopped);
      on_stopped = nullptr;
      f();
    }
  }
};

// One leaser keeps up to `capacity` jobs running. It leases due jobs in
// batches (up to 64, or twice the capacity, ahead, so a store commit is not
// paid per job), starts each as its own coroutine when a slot is free, and
// sleeps until the earliest due time, a new job (notify) or a finished job.
// A job frees its slot (and wakes the leaser) only once its attempt record
// is durable, so the next lease sees it (and the next job of the same
// instance becomes due).
net::awaitable<void> Engine::Impl::leaser() {
  while (!stopping) {
    start_ready();
    // Leased ahead: a lease waits for a store commit, so take enough per
    // commit to keep every slot busy meanwhile.
    const std::size_t ahead = std::max<std::size_t>(2 * capacity, 64);
    if (ready.size() >= ahead / 2) {  // enough leased: wait for a slot
      wake->expires_after(std::chrono::milliseconds(max_sleep_ms));
      co_await wake->async_wait(use_tuple);
      continue;
    }
    const auto cfg = config();
    // Long enough for every job ahead of it to take its full timeout, with
    // room to spare, so a lease never runs out while its job waits here. (A
    // restart makes leased jobs due at once; the lease matters only if
    // something else were to lease from the same store.)
    const std::int64_t lease_ms =
        cfg->delivery.timeout.count() * static_cast<std::int64_t>(ahead / capacity + 2) + 60'000;
    const std::size_t want = ahead - ready.size();
    poked = false;
    // Lambdas are named before co_await: GCC 12 miscompiles a capturing
    // lambda written inside a co_await expression (gcc bug 107288).
    auto lease_start = [this, lease_ms, want](auto cb) { store.lease_async(clock.now_ms(), lease_ms, want, std::move(cb)); };
    const bool was_failing = !lease_error.empty();
    auto batch = co_await store::await_store<store::StoreResult<store::Leased>>(std::move(lease_start));
    if (lease_failed(batch)) {  // not "nothing due": look again in a second
      wake->expires_after(kLeaseRetry);
      co_await wake->async_wait(use_tuple);
      continue;
    }
    if (was_failing) co_await take_back_unheld();
    for (auto& job : batch->jobs)
      if (!unrecorded.contains(job.id)) ready.push_back(std::move(job));
    if (stopping) break;
    if (!batch->jobs.empty() || poked) continue;
    if (!ready.empty()) continue;
    std::int64_t sleep_ms = max_sleep_ms;
    if (batch->next_due_ms) sleep_ms = std::clamp<std::int64_t>(*batch->next_due_ms - clock.now_ms(), 1, max_sleep_ms);
    wake->expires_after(std::chrono::milliseconds(sleep_ms));
    co_await wake->async_wait(use_tuple);  // cancelled by notify(), stop() or a finished job
  }
  co_await give_back_ready();
  leaser_done = true;
  maybe_stopped();
}

// Starts leased jobs while slots are free; each frees its slot (and wakes
// the leaser) when its attempt is recorded.
void Engine::Impl::start_ready() {
  while (in_flight < capacity && !ready.empty()) {
    // A job whose lease would run out before its attempt could end (this
    // replica was cut off from a shared store while it waited) may be
    // leased by another replica by now: it is theirs, and is not started.
    const auto& head = ready.front();
    if (head.lease_until_ms - clock.now_ms() < config()->delivery.timeout.count()) {
      log::get("delivery")->warn("job {} not started: its lease ran out while it waited", head.id);
      ready.pop_front();
      continue;
    }
    ++in_flight;
    auto self = shared_from_this();
    const std::int64_t id = head.id;
    running.insert(id);
    net::co_spawn(strand, run_job(std::move(ready.front())), [self, id](std::exception_ptr e) {
      self->running.erase(id);
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          log::get("delivery")->error("job failed error=\"{}\"", ex.what());
        }
      }
      --self->in_flight;
      self->poke();
      self->maybe_stopped();
    });
    ready.pop_front();
  }
}

// At stop: jobs leased but not started go back untouched.
net::awaitable<void> Engine::Impl::give_back_ready() {
  if (ready.empty()) co_return;
  std::vector<std::int64_t> ids;
  for (const auto& j : ready) ids.push_back(j.id);
  ready.clear();
  auto give_back = [this, ids = std::move(ids)](auto cb) mutable { store.release_async(std::move(ids), std::move(cb)); };
  co_await store::await_store<store::StoreResult<void>>(std::move(give_back));  // failed: pending again at the next start
}

// The store came back after failing: a lease it committed just before (its
// answer lost with the connection) holds jobs this process never got, and
// their instances wait behind them until the lease runs out. Those go back
// to pending now; what this process holds is kept.
net::awaitable<void> Engine::Impl::take_back_unheld() {
  std::vector<std::int64_t> held(running.begin(), running.end());
  held.insert(held.end(), unrecorded.begin(), unrecorded.end());
  for (const auto& j : ready) held.push_back(j.id);
  auto take = [this, held = std::move(held)](auto cb) mutable { store.take_back_unheld_async(std::move(held), std::move(cb)); };
  auto taken = co_await store::await_store<store::StoreResult<std::size_t>>(std::move(take));
  if (!taken) log::get("delivery")->warn("taking back unheld leases failed error=\"{}\"", taken.error().message);
  else if (*taken > 0) log::get("delivery")->info("took back {} jobs leased before the store's connection was lost", *taken);
}

// A failed lease (disk full, I/O) is logged when it starts or its reason
// changes, and its end once; true while it fails.
bool Engine::Impl::lease_failed(const store::StoreResult<store::Leased>& batch) {
  if (batch) {
    if (!lease_error.empty()) log::get("delivery")->info("lease works again");
    lease_error.clear();
    return false;
  }
  if (batch.error().message != lease_error)
    log::get("delivery")->error("lease failed code={} error=\"{}\"; retrying", batch.error().code.message(),
                                batch.error().message);
  lease_error = batch.error().message;
  return true;
}

// Decodes the leased job and runs the attempt's stages (attempt.hpp):
// prepare (lookup, history, template data), execute.
// `event_id` is set once the event decodes (for the log line).
net::awaitable<actions::Outcome> Engine::Impl::attempt(const config::Config& cfg, const store::LeasedJob& job,
                                                       std::string& event_id, ExchangeLog& sent) {
  actions::Outcome outcome;
  auto action = rules::decode_action(job.action_json);
  auto event = event::decode_event(job.raw_event);
  if (event) event_id = event->id;
  if (!action || !event) {
    actions::fail(outcome, !action ? action.error().message : "stored event no longer decodes: " + event.error().message);
    co_return outcome;
  }
  std::optional<enrich::Enrichment> en;
  // A review event carries the review: nothing to look up.
  if (auto api = asc_for(cfg); api && event->instance && !event->review) {
    try {
      en = co_await api->enrich(*event, job.event_seq, sent, cfg.delivery.timeout);
    } catch (const std::exception& e) {  // an answer shaped unlike Apple documents: render without it
      en.emplace();
      en->reason = "unexpected_answer";
      en->note = std::string("unexpected App Store Connect answer: ") + e.what();
    }
  }
  std::vector<store::HistoryEntry> history;
  // A store round trip: only when shown, and not when a failed lookup
  // decides the attempt anyway.
  const bool lookup_failed = en && en->status == enrich::Enrichment::Status::failed;
  if (event->instance && !lookup_failed && shows_history(*action)) {
    auto start = [this, w = job.webhook, id = event->instance->id](auto cb) mutable {
      store.history_async(std::move(w), std::move(id), std::move(cb));
    };
    auto kept = co_await store::await_store<store::StoreResult<std::vector<store::HistoryEntry>>>(std::move(start));
    if (kept) history = std::move(*kept);  // else shown without it, as for an instance seen once
  }
  const LookupRule lookup{config::enrich_required(*action), job.attempts + 1,
                          cfg.app_store_connect ? cfg.app_store_connect->enrich_attempts : 1};
  auto prepared = prepare(*event, cfg.find_webhook(job.webhook), job.rule, en ? &*en : nullptr, history, lookup);
  // Every lookup that left the action without `instance` is counted (a
  // revoked key must not go unnoticed); a failed one is also an error line.
  if (en && !en->reason.empty())
    metrics::Registry::global().inc("asc_webhookd_enrich_failures_total", {{"reason", en->reason}});
  if (lookup_failed) log_lookup_failure(job, *event, *en, prepared);
  if (prepared.lookup_failed) co_return std::move(*prepared.lookup_failed);
  actions::Job j{cfg, *action, *event, prepared.context, job.rule, job.id, rules::instance_key(job.webhook, *event)};
  sent.also_mask(enrich::screenshot_signatures(prepared.context));
  actions::Services services{sent, *kv, clock, tokens};
  services.ticket_search_lag = cfg.delivery.ticket_search_lag;
  if (auto api = asc_for(cfg); api && prepared.context.contains("feedback"))
    services.fresh_screenshots = [api, ev = *event, seq = job.event_seq, &sent, timeout = cfg.delivery.timeout] {
      return api->fresh_screenshots(ev, seq, sent, timeout);
    };
  outcome = co_await execute(j, services);
  if (!prepared.note.empty())
    outcome.detail = "not enriched: " + prepared.note + (outcome.detail.empty() ? "" : "; " + outcome.detail);
  co_return outcome;
}

// A failed lookup is an error line, whether the action waits for the next
// try or runs without `instance`.
void Engine::Impl::log_lookup_failure(const store::LeasedJob& job, const event::Event& event,
                                      const enrich::Enrichment& en, const Prepared& prepared) {
  log::get("enrich")->error("App Store Connect lookup failed job={} event={} target=\"{}\" attempt={} error=\"{}\"; {}",
                            job.id, event.id, en.target, job.attempts + 1, enrich::enrichment_error(en),
                            prepared.lookup_failed ? "the action waits for the next try"
                                                   : "the action runs without the details");
}

net::awaitable<void> Engine::Impl::run_job(store::LeasedJob job) {
  const auto cfg = config();
  const std::int64_t started = clock.now_ms();
  const auto steady_start = std::chrono::steady_clock::now();
  std::string event_id = "?";
  ExchangeLog sent(*transport);
  const actions::Outcome outcome = co_await attempt(*cfg, job, event_id, sent);
  const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - steady_start);
  const int attempt_no = job.attempts + 1;
  const std::int64_t now = clock.now_ms();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const Settlement settled = settle(outcome.decision, cfg->delivery, attempt_no, now, job.created_at_ms, unit(rng));
  const char* outcome_text = settled.outcome_text();
  observe(job, settled, duration, now);
  auto level = settled.result == store::JobOutcome::done ? spdlog::level::info
               : settled.result == store::JobOutcome::dead ? spdlog::level::err
                                                           : spdlog::level::warn;
  log::get("delivery")->log(level, "attempt job={} event={} rule={} action={} target=\"{}\" status={} attempt={} outcome={} next_try={} ms={}{}{}",
          job.id, event_id, job.rule, job.kind, outcome.target,
          outcome.result.status ? std::to_string(*outcome.result.status) : "-", attempt_no, outcome_text, settled.next,
          duration.count(), settled.error.empty() ? "" : " error=\"" + settled.error + "\"",
          outcome.detail.empty() ? "" : " detail=\"" + outcome.detail + "\"");
  store::Attempt a{started, duration.count(), outcome.result.status ? std::optional<int>(static_cast<int>(*outcome.result.status)) : std::nullopt,
                   settled.error, outcome_text, outcome.detail, sent.record()};
  // The slot stays taken until the record is durable: a crash repeats at
  // most the attempts holding a slot (with concurrency 1, one), never one
  // whose successor had already started.
  co_await record(job.id, std::move(a), settled);
}

// Writes the attempt's record until it is durable. A failure is never
// dropped: the job would stay `running` in the store and be sent again when
// its lease ran out, though its answer is known. The job keeps its slot
// and stays out of any lease meanwhile; the failure is logged once, counted
// per try, and its end logged.
net::awaitable<void> Engine::Impl::record(std::int64_t job_id, store::Attempt attempt, const Settlement& settled) {
  auto wait = kRecordFirstWait;
  std::optional<std::chrono::steady_clock::time_point> give_up_at;
  for (int tries = 1;; ++tries) {
    auto start = [this, job_id, a = attempt, result = settled.result, next_at = settled.next_at_ms](auto cb) mutable {
      store.record_async(job_id, std::move(a), result, next_at, std::move(cb));
    };
    auto recorded = co_await store::await_store<store::StoreResult<void>>(std::move(start));
    if (recorded) {
      if (tries > 1) log::get("delivery")->info("attempt recorded job={} tries={}", job_id, tries);
      break;
    }
    metrics::Registry::global().inc("asc_webhookd_record_failures_total", {});
    if (tries == 1)
      log::get("delivery")->error("recording the attempt failed job={} code={} error=\"{}\"; retrying from memory, "
                                  "the job stays leased and is not sent again",
                                  job_id, recorded.error().code.message(), recorded.error().message);
    unrecorded.insert(job_id);
    if (stopping && !give_up_at) give_up_at = std::chrono::steady_clock::now() + kRecordAtStop;
    if (give_up_at && std::chrono::steady_clock::now() >= *give_up_at) {
      log::get("delivery")->error("stopping with the attempt of job {} unrecorded error=\"{}\"; the next start repeats it",
                                  job_id, recorded.error().message);
      break;
    }
    net::steady_timer pause(strand, wait);
    co_await pause.async_wait(use_tuple);
    wait = std::min<std::chrono::milliseconds>(wait * 2, kRecordMaxWait);
  }
  unrecorded.erase(job_id);
}

void Engine::Impl::observe(const store::LeasedJob& job, const Settlement& settled, std::chrono::milliseconds duration,
                           std::int64_t now) {
  auto& reg = metrics::Registry::global();
  reg.inc("asc_webhookd_attempts_total", {{"kind", job.kind}, {"outcome", settled.outcome_text()}});
  reg.observe("asc_webhookd_attempt_duration_seconds", {{"kind", job.kind}}, static_cast<double>(duration.count()) / 1000.0);
  if (settled.result == store::JobOutcome::done)
    reg.observe("asc_webhookd_event_to_action_seconds", {{"kind", job.kind}},
                static_cast<double>(std::max<std::int64_t>(0, now - job.created_at_ms)) / 1000.0);
}

Engine::Engine(net::io_context& ioc, ConfigSource config, store::Store& store, const Clock& clock)
    : impl_(std::make_shared<Impl>(ioc, std::move(config), store, clock)) {}

Engine::~Engine() {
  if (!impl_->wake) return;  // never started: never watched
  // After these return, neither calls wake_up again (both call under a lock).
  impl_->store.watch_changes(nullptr);
  impl_->clock.watch(nullptr);
}

void Engine::start() {
  auto cfg = impl_->config();
  impl_->client = std::make_unique<outbound::HttpClient>(impl_->ioc.get_executor());
  impl_->transport = std::make_unique<outbound::ClientTransport>(*impl_->client);
  impl_->kv = std::make_unique<StoreKeyValue>(impl_->store);
  impl_->wake = std::make_unique<net::steady_timer>(impl_->strand);
  impl_->capacity = std::max(1u, cfg->delivery.concurrency);
  // Both call from their own threads; a weak pointer, as they may outlive us.
  auto wake_up = [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto self = weak.lock()) net::post(self->strand, [self] { if (self->wake) self->poke(); });
  };
  if (impl_->store.watch_changes(wake_up)) impl_->max_sleep_ms = kSafetyNetMs;
  impl_->clock.watch(wake_up);
  auto self = impl_;
  net::co_spawn(impl_->strand, impl_->leaser(), [self](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::get("delivery")->error("leaser failed error=\"{}\"", ex.what());
      }
    }
    self->leaser_done = true;
    self->maybe_stopped();
  });
}

void Engine::notify() {
  net::post(impl_->strand, [self = impl_] {
    if (self->wake) self->poke();
  });
}

void Engine::stop(std::function<void()> on_stopped) {
  net::post(impl_->strand, [self = impl_, on_stopped = std::move(on_stopped)]() mutable {
    self->stopping = true;
    self->on_stopped = std::move(on_stopped);
    if (!self->wake) {  // never started
      auto f = std::move(self->on_stopped);
      f();
      return;
    }
    self->wake->cancel();
    self->maybe_stopped();
  });
}

}  // namespace asc_webhookd::delivery
