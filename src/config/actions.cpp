// One action under rules[].actions[]: its key names the integration, which
// loads the rest (integrations/<kind>/).
#include "asc_webhookd/integrations/registry.hpp"
#include "sections.hpp"

namespace asc_webhookd::config::detail {

std::optional<Action> load_action(YamlReader& r, const YAML::Node& key, const YAML::Node& n, const Config& cfg,
                                  const std::string& rule) {
  const std::string kind = key.Scalar();
  if (const auto* integration = integrations::find(kind)) return integration->load_action(r, n, cfg, rule);
  r.error(key, "rule " + rule + ": unknown action \"" + kind + "\" (expected " + integrations::kind_names() + ")");
  return std::nullopt;
}

}  // namespace asc_webhookd::config::detail
