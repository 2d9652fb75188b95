// connections: named credentials and endpoints that actions refer to, one
// mapping per integration (each loads its own: integrations/<kind>/).
#include "asc_webhookd/integrations/registry.hpp"
#include "sections.hpp"

namespace asc_webhookd::config::detail {

void load_connections(YamlReader& r, const YAML::Node& n, Connections& out) {
  if (!r.section_map(n, "connections", "connections")) return;
  for (const auto& integration : integrations::all())
    if (auto v = YamlReader::field(n, integration.kind)) integration.load_connections(r, *v, out);
}

}  // namespace asc_webhookd::config::detail
