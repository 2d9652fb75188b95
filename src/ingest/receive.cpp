// The ingest pipeline: verify → decode → plan → store → answer.
#include "asc_webhookd/ingest/receive.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/ingest/signature.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/store/async.hpp"

#include <chrono>
#include <vector>

namespace asc_webhookd::ingest {

namespace {

void count(const std::string& webhook, const std::string& type, const std::string& outcome) {
  metrics::Registry::global().inc("asc_webhookd_events_total", {{"webhook", webhook}, {"type", type}, {"outcome", outcome}});
}

// 401 or 400 before anything is stored: counted and logged here.
Answer refused(const std::string& webhook, unsigned status, const std::string& outcome, const std::string& error,
               Origin origin) {
  count(webhook, "-", outcome);
  log::get("ingest")->warn("event webhook={} outcome={} error=\"{}\" remote={} request_id={}", webhook, outcome, error,
                           origin.remote, origin.request_id);
  return {status, {{"error", error}}};
}

}  // namespace

boost::asio::awaitable<Answer> receive(const config::Config& cfg, const config::WebhookConfig& hook,
                                       std::string_view signature_header, std::string_view body, const Sink& sink,
                                       Origin origin) {
  const auto started = std::chrono::steady_clock::now();
  const std::string& name = hook.name;
  std::vector<const Secret*> secrets{&hook.secret};
  for (const auto& s : hook.previous_secrets) secrets.push_back(&s);
  if (!verify(signature_header, body, secrets)) co_return refused(name, 401, "invalid_signature", "invalid signature", origin);
  auto decoded = event::decode_event(body);
  if (!decoded) co_return refused(name, 400, "bad_request", decoded.error().message, origin);

  store::NewEvent ne{name, std::move(*decoded), {}, sink.clock.now_ms()};
  ne.jobs = rules::jobs_of(rules::plan(cfg, name, ne.event));
  const std::string id = ne.event.id, type = ne.event.type_name;
  const std::string from = ne.event.old_state.value_or("-"), to = ne.event.new_state.value_or("-");
  auto* st = &sink.store;
  // Named first: GCC 12 miscompiles capturing lambdas inside co_await (bug 107288).
  auto commit = [st, ne = std::move(ne)](auto cb) mutable { st->ingest_async(std::move(ne), std::move(cb)); };
  auto stored = co_await store::await_store<store::StoreResult<store::Ingested>>(std::move(commit));
  Answer answer{200, {}};
  std::string outcome;
  if (!stored) {
    answer = {503, {{"error", "the event could not be stored; nothing was kept, deliver it again later"}}};
    outcome = "store_failed";
  } else if (stored->duplicate) {
    answer.body = {{"status", "duplicate"}, {"id", id}};
    outcome = "duplicate";
  } else {
    answer.body = {{"status", "accepted"}, {"id", id}, {"jobs", stored->jobs}};
    outcome = "accepted";
    if (stored->jobs > 0 && sink.jobs_stored) sink.jobs_stored();
  }
  // A label per documented type only: every new signed data.type would
  // otherwise add a series for good.
  count(name, event::find_event_type(type) ? type : "other", outcome);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  auto lg = log::get("ingest");
  if (answer.status == 200)
    lg->info("event webhook={} type={} id={} from={} to={} outcome={} jobs={} ms={:.2f} request_id={}", name, type, id,
             from, to, outcome, stored->jobs, ms, origin.request_id);
  else
    lg->error("event webhook={} type={} id={} outcome={} error=\"{}\" ms={:.2f} request_id={}", name, type, id, outcome,
              stored.error().message, ms, origin.request_id);
  co_return answer;
}

}  // namespace asc_webhookd::ingest
