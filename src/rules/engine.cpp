#include "asc_webhookd/rules/engine.hpp"

namespace asc_webhookd::rules {

using nlohmann::json;
namespace cfg = config;

namespace {

bool matches_review(const cfg::When& when, const std::optional<event::Review>& review) {
  if (!review) return when.rating.values.empty() && when.territory.values.empty() && !when.has_response;
  return when.rating.matches(review->rating) && when.territory.matches(review->territory) &&
         (!when.has_response || *when.has_response == review->response.has_value());
}

}  // namespace

bool matches(const cfg::When& when, std::string_view webhook, const event::Event& event) {
  return when.webhook.matches(webhook) && when.event.matches(event.type_name) &&
         when.from.matches_state(event.old_state) && when.to.matches_state(event.new_state) &&
         matches_review(when, event.review);
}

std::vector<std::string> needed_subscriptions(const cfg::Config& config, std::string_view webhook) {
  std::vector<std::string> out;
  for (const auto& type : event::known_event_types()) {
    if (type.subscription.empty()) continue;
    for (const auto& rule : config.rules) {
      const cfg::When& w = rule.when;
      // An event Apple sends has no review: a rule asking for one never matches it.
      if (w.webhook.matches(webhook) && w.event.matches(type.name) && matches_review(w, std::nullopt)) {
        out.emplace_back(type.subscription);
        break;
      }
    }
  }
  return out;
}

std::string instance_key(std::string_view webhook, const event::Event& event) {
  if (!event.instance) return "";
  return std::string(webhook) + "|" + event.instance->type + "|" + event.instance->id;
}

std::vector<PlannedAction> plan(const cfg::Config& config, std::string_view webhook, const event::Event& event) {
  std::vector<PlannedAction> jobs;
  // Jobs of one action for one instance are delivered in the order received;
  // events without an instance have no order to keep.
  std::string order = instance_key(webhook, event);
  if (order.empty()) order = std::string(webhook) + "|event|" + event.id;
  for (const std::size_t index : config.rules_for_type(event.type_name)) {
    const cfg::Rule& rule = config.rules[index];
    if (!matches(rule.when, webhook, event)) continue;
    for (std::size_t i = 0; i < rule.actions.size(); ++i) {
      const cfg::Action& action = rule.actions[i];
      PlannedAction job;
      job.rule = rule.name;
      job.action_index = static_cast<int>(i);
      job.kind = cfg::kind_of(action);
      job.stored = json(action).dump();
      job.order_key = order + "|" + rule.name + "|" + std::to_string(i);
      job.action = &action;
      jobs.push_back(std::move(job));
    }
    if (rule.stop) break;
  }
  return jobs;
}

Result<cfg::Action, Error> decode_action(std::string_view stored) {
  try {
    return json::parse(stored).get<cfg::Action>();
  } catch (const json::exception& e) {
    return Error{std::string("stored action is malformed: ") + e.what()};
  }
}

Result<std::vector<PlannedAction>, Error> plan_stored(const config::Config& cfg, std::string_view webhook, std::string_view raw) {
  auto event = event::decode_event(raw);
  if (!event) return event.error();
  return plan(cfg, webhook, *event);
}

}  // namespace asc_webhookd::rules
