#include "asc_webhookd/enrich/shape.hpp"

namespace asc_webhookd::enrich {

using nlohmann::json;

namespace {

// The answer is Apple's, not ours: a member of another type than the API
// documents is read as absent (json::value would throw on it).
std::string string_member(const json& item, const char* key) {
  auto it = item.find(key);
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

void add_to_context(json& context, const json& r) {
  if (!r.is_object() || !r.contains("data") || !r["data"].is_object()) return;
  context["instance"] = r["data"];
  if (auto inc = r.find("included"); inc != r.end() && inc->is_array()) {
    for (const auto& item : *inc) {
      if (!item.is_object()) continue;
      const std::string type = string_member(item, "type");
      auto attributes = item.find("attributes");
      json flat = attributes != item.end() && attributes->is_object() ? *attributes : json::object();
      flat["id"] = string_member(item, "id");
      if (type == "apps" && !context.contains("app")) context["app"] = flat;
      if (type == "builds" && !context.contains("build")) context["build"] = item;
    }
  }
}

}  // namespace asc_webhookd::enrich
