#include "asc_webhookd/enrich/shape.hpp"

namespace asc_webhookd::enrich {

using nlohmann::json;

void add_to_context(json& context, const json& r) {
  if (!r.is_object() || !r.contains("data") || !r["data"].is_object()) return;
  context["instance"] = r["data"];
  if (auto inc = r.find("included"); inc != r.end() && inc->is_array()) {
    for (const auto& item : *inc) {
      if (!item.is_object()) continue;
      const std::string type = item.value("type", "");
      json flat = item.value("attributes", json::object());
      flat["id"] = item.value("id", "");
      if (type == "apps" && !context.contains("app")) context["app"] = flat;
      if (type == "builds" && !context.contains("build")) context["build"] = item;
    }
  }
}

}  // namespace asc_webhookd::enrich
