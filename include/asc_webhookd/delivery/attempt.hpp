#pragma once
// One attempt of one job, as three stages that the daemon's engine and
// `simulate` both run:
//   prepare  the template data: the event, the App Store Connect instance
//            (from the API, or in simulate from a file), the instance's history
//   execute  the action against a Transport (the HTTP client, or simulate's
//            recorder); it returns its own decision (outbound::decide)
//   settle   that decision under delivery's rules: done, retry at a time
//            (backoff, a server's wait honoured), or dead
// The engine adds what only a daemon has around them: leasing, logging,
// metrics and the durable record.
#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/enrich/asc_api.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace asc_webhookd::delivery {

// What the instance lookup gave, as the template data will show it.
struct Prepared {
  nlohmann::json context;           // the template data
  std::optional<actions::Outcome> lookup_failed;  // set: the lookup decided the attempt (retry / final)
  std::string note;                 // why the action runs without `instance`, for the attempt's detail
};

// When a failed lookup stops holding the action back (DESIGN: enrichment
// never silences an alert): a transient failure (timeout, 5xx, 429) is
// retried with the job until its `enrich_attempts`-th try; a permanent one
// (401, 403, a refused answer) gives up at once. `required` (the action's
// `enrich: required`) never gives up: the lookup's decision stands.
struct LookupRule {
  bool required = false;
  int attempt_no = 1;            // this attempt, 1 for the first
  unsigned enrich_attempts = 3;  // app_store_connect.enrich_attempts
};

// Whether the action shows history (a template that names it, or a built-in
// message that shows it: Integration::builtin_shows_history), so its store round trip is paid only then.
bool shows_history(const config::Action& action);

// The template data for one job: event, webhook, rule; then the lookup's
// answer (`enrichment`, null when none was made; `enrichment.error` says why
// `instance` is absent), `links`, and the history entries.
Prepared prepare(const event::Event& event, const config::WebhookConfig* webhook, const std::string& rule,
                 const enrich::Enrichment* enrichment, const std::vector<store::HistoryEntry>& history,
                 const LookupRule& lookup = {});

// Runs the action; an exception (an answer shaped unlike the service
// documents) is the attempt's final failure, never an escaped error.
boost::asio::awaitable<actions::Outcome> execute(const actions::Job& job, actions::Services& services);

struct Settlement {
  store::JobOutcome result = store::JobOutcome::dead;
  std::int64_t next_at_ms = 0;
  std::string error;  // empty when done; the reason, and why it is dead
  std::string next;   // "5s" until the next try, "-" when none
  const char* outcome_text() const;  // done | retry | dead
};

// `attempt_no` counts this attempt (1 for the first); `unit` in [0, 1)
// picks the backoff jitter.
Settlement settle(const outbound::Decision& decision, const config::DeliveryConfig& cfg, int attempt_no,
                  std::int64_t now_ms, std::int64_t created_at_ms, double unit);

}  // namespace asc_webhookd::delivery
