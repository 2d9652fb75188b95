#include "asc_webhookd/delivery/attempt.hpp"

#include "asc_webhookd/delivery/backoff.hpp"
#include "asc_webhookd/enrich/history.hpp"
#include "asc_webhookd/rules/template.hpp"

namespace asc_webhookd::delivery {

namespace {

bool names_history(const config::Template& t) { return t.text.find("history") != std::string::npos; }
bool names_history(const std::optional<config::Template>& t) { return t && names_history(*t); }
bool names_history(const std::optional<nlohmann::json>& tree) {
  return tree && tree->dump().find("history") != std::string::npos;
}
template <class Map>
bool any_names_history(const Map& m) {
  for (const auto& [k, v] : m)
    if (names_history(v)) return true;
  return false;
}

}  // namespace

bool shows_history(const config::Action& action) {
  return std::visit(
      [](const auto& a) -> bool {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, config::GithubAction>)
          return names_history(a.ref) || any_names_history(a.inputs) || names_history(a.event_type) ||
                 names_history(a.client_payload);
        else if constexpr (std::is_same_v<T, config::SlackAction>)
          return (!a.text && !a.blocks) || names_history(a.text) || names_history(a.blocks) || names_history(a.channel);
        else if constexpr (std::is_same_v<T, config::JiraAction>)
          return names_history(a.jql) || names_history(a.transition) || names_history(a.comment) ||
                 (a.release_version && (names_history(a.release_version->project) || names_history(a.release_version->name)));
        else
          return names_history(a.url) || any_names_history(a.headers) || names_history(a.body);
      },
      action);
}

bool lookup_holds_back(const enrich::Enrichment& en, const LookupRule& rule) {
  if (rule.required) return true;
  return en.decision.verdict == http::Verdict::retry && rule.attempt_no < static_cast<int>(rule.enrich_attempts);
}

Prepared prepare(const ingest::Event& event, const config::WebhookConfig* webhook, const std::string& rule,
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

Settlement settle(const http::Decision& d, const config::DeliveryConfig& cfg, int attempt_no, std::int64_t now_ms,
                  std::int64_t created_at_ms, double unit) {
  Settlement s;
  s.next_at_ms = now_ms;
  s.next = "-";
  switch (d.verdict) {
    case http::Verdict::success:
      s.result = store::JobOutcome::done;
      return s;
    case http::Verdict::final:
      s.result = store::JobOutcome::dead;
      s.error = d.reason;
      return s;
    case http::Verdict::retry:
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
