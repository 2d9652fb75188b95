#pragma once
// Rule matching at ingest (DESIGN.md §2, §4 rules[].when): every matching
// rule fires in file order until one says stop; each of its actions becomes a
// planned job that carries the action as it was configured then (so a reload
// never orphans queued work). Pure: no I/O, no clock.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/ingest/event.hpp"
#include "asc_webhookd/store/store.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::rules {

bool matches(const config::When& when, std::string_view webhook, const ingest::Event& event);

// "webhook|type|id" of the event's instance, "" when it has none: the key
// of per-instance order, Slack threads and history.
std::string instance_key(std::string_view webhook, const ingest::Event& event);

std::vector<store::PlannedJob> plan(const config::Config& cfg, std::string_view webhook, const ingest::Event& event);

// The action as stored with a job, and back. Connections are kept by name:
// credentials are looked up in the live config when the job runs.
nlohmann::json action_to_json(const config::Action& action);
Result<config::Action, Error> action_from_json(const nlohmann::json& j);
std::string kind_of(const config::Action& action);

}  // namespace asc_webhookd::rules
