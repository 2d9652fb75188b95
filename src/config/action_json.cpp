// The stored form of any action: each integration writes and reads its own
// (integrations/<kind>/), found through the registry by "kind".
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/integrations/registry.hpp"

namespace asc_webhookd::config {

using nlohmann::json;

std::string kind_of(const Action& action) { return std::string(integrations::of(action).kind); }

// `enrich` is common to every kind: written only when required, so the
// stored form of an action without it is what it was before the key.
void to_json(json& j, const Action& a) {
  std::visit([&j](const auto& x) {
    to_json(j, x);
    if (x.enrich_required) j["enrich"] = "required";
  }, a);
}

void from_json(const json& j, Action& a) {
  const std::string kind = j.at("kind").get<std::string>();
  const auto* integration = integrations::find(kind);
  if (!integration) throw json::other_error::create(501, "unknown action kind " + kind, &j);
  a = integration->from_json(j);
  const bool required = j.value("enrich", std::string()) == "required";
  std::visit([required](auto& x) { x.enrich_required = required; }, a);
}

bool any_template(const Action& action, const std::function<bool(const std::string&)>& pred) {
  return integrations::of(action).any_template(action, pred);
}

bool enrich_required(const Action& action) {
  return std::visit([](const auto& x) { return x.enrich_required; }, action);
}

}  // namespace asc_webhookd::config
