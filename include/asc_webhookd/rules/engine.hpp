#pragma once
// Rule matching at ingest (docs/configuration.md, rules[].when): every matching
// rule fires in file order until one says stop; each of its actions becomes a
// planned job that carries the action as it was configured then (so a reload
// never orphans queued work). Pure: no I/O, no clock.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/store/new_job.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::rules {

bool matches(const config::When& when, std::string_view webhook, const event::Event& event);

// The subscriptions (Apple's WebhookEventType values) Apple's webhook must
// have for `webhook`'s rules: each Apple event type some rule of it could
// match. A rule that asks for a review's rating, territory or response
// matches only the poller's reviews, which Apple does not send.
std::vector<std::string> needed_subscriptions(const config::Config& cfg, std::string_view webhook);

// "webhook|type|id" of the event's instance, "" when it has none: the key
// of per-instance order, chat threads and history.
std::string instance_key(std::string_view webhook, const event::Event& event);

// One action a matching rule fires for an event: a job to store, and the
// action it came from.
struct PlannedAction : store::NewJob {
  const config::Action* action = nullptr;  // into the Config planned from: valid while it lives
};

std::vector<PlannedAction> plan(const config::Config& cfg, std::string_view webhook, const event::Event& event);
// The jobs to store for what was planned (moved out of it when it is an
// rvalue, as at ingest).
inline std::vector<store::NewJob> jobs_of(std::vector<PlannedAction> planned) {
  std::vector<store::NewJob> jobs;
  jobs.reserve(planned.size());
  for (auto& p : planned) jobs.push_back(std::move(static_cast<store::NewJob&>(p)));
  return jobs;
}
// A stored event (its raw payload) planned again with `cfg`'s rules (replay),
// or why its payload no longer decodes.
Result<std::vector<PlannedAction>, Error> plan_stored(const config::Config& cfg, std::string_view webhook, std::string_view raw);

// A stored action read back (config::from_json), or why it cannot be.
Result<config::Action, Error> decode_action(std::string_view stored);

}  // namespace asc_webhookd::rules
