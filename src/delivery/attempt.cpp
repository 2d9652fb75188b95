#include "asc_webhookd/delivery/attempt.hpp"

#include "asc_webhookd/delivery/backoff.hpp"
#include "asc_webhookd/enrich/history.hpp"
#include "asc_webhookd/integrations/registry.hpp"
#include "asc_webhookd/rules/template.hpp"

namespace asc_webhookd::delivery {

bool shows_history(const config::Action& action) {
  if (integrations::of(action).builtin_shows_history(action)) return true;  // a built-in message shows review times
  return config::any_template(action, [](const std::string& t) { return t.find("history") != std::string::npos; });
}

bool lookup_holds_back(const enrich::Enrichment& en, const LookupRule& rule) {
  if (rule.required) return true;
  return en.decision.verdict == outbound::Verdict::retry && rule.attempt_no < static_cast<int>(rule.enrich_attempts);
}

Prepared prepare(const event::Event& event, const config::WebhookConfig* webhook, const std::string& rule,
                 const enrich::Enrichment* en, const std::vector<store::HistoryEntry>& history, const LookupRule& lookup) {
  Prepared p;
  p.context = rules::template_context(event, webhook, rule);
  p.context["enrichment"] = {{"error", ""}};
  if (en && en->status == enrich::Enrichment::Status::failed && lookup_holds_back(*en, lookup)) {
    actions::Outcome failed;
    failed.result = en->failure;
    failed.decision = en->decision;
    failed.target = en->target;
    p.lookup_failed = std::move(failed);
    return p;
  }
  if (en) {
    enrich::add_enrichment(p.context, *en);
    const std::string why = enrich::enrichment_error(*en);
    p.context["enrichment"]["error"] = why;
    p.note = why;
  }
  rules::add_links(p.context);
  if (!history.empty()) p.context["history"] = enrich::history_data(history);
  return p;
}

boost::asio::awaitable<actions::Outcome> execute(const actions::Job& job, actions::Services& services) {
  try {
    co_return co_await actions::run(job, services);
  } catch (const std::exception& e) {
    actions::Outcome out;
    actions::fail(out, std::string("internal error while running the action: ") + e.what());
    co_return out;
  }
}

const char* Settlement::outcome_text() const {
  switch (result) {
    case store::JobOutcome::done: return "done";
    case store::JobOutcome::retry: return "retry";
    case store::JobOutcome::dead: break;
  }
  return "dead";
}

Settlement settle(const outbound::Decision& d, const config::DeliveryConfig& cfg, int attempt_no, std::int64_t now_ms,
                  std::int64_t created_at_ms, double unit) {
  Settlement s;
  s.next_at_ms = now_ms;
  s.next = "-";
  switch (d.verdict) {
    case outbound::Verdict::success:
      s.result = store::JobOutcome::done;
      return s;
    case outbound::Verdict::final:
      s.result = store::JobOutcome::dead;
      s.error = d.reason;
      return s;
    case outbound::Verdict::retry:
      break;
  }
  s.error = d.reason;
  auto plan = plan_retry(cfg, attempt_no, now_ms, created_at_ms, unit, d.wait);
  if (plan.dead) {
    s.result = store::JobOutcome::dead;
    s.error += "; " + plan.why_dead;
  } else {
    s.result = store::JobOutcome::retry;
    s.next_at_ms = plan.next_at_ms;
    s.next = format_duration(Duration(plan.next_at_ms - now_ms));
  }
  return s;
}

}  // namespace asc_webhookd::delivery
