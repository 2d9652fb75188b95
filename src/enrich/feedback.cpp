#include "asc_webhookd/enrich/feedback.hpp"

namespace asc_webhookd::enrich {

using nlohmann::json;

namespace {

std::string text_at(const json& j, const json::json_pointer& p) {
  if (!j.contains(p)) return "";
  const json& v = j.at(p);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

bool is_feedback(const std::string& type) {
  return type == "betaFeedbackScreenshotSubmissions" || type == "betaFeedbackCrashSubmissions";
}

}  // namespace

json feedback_data(const json& c) {
  if (!c.is_object() || !c.contains("instance") || !is_feedback(text_at(c, "/instance/type"_json_pointer))) return nullptr;
  const json& a = c["instance"].value("attributes", json::object());
  auto attr = [&](const char* key) { return text_at(a, json::json_pointer(std::string("/") + key)); };
  json out = {{"id", text_at(c, "/instance/id"_json_pointer)},
              {"kind", text_at(c, "/instance/type"_json_pointer) == "betaFeedbackCrashSubmissions" ? "crash" : "screenshot"},
              {"comment", attr("comment")},
              {"email", attr("email")},
              {"device_model", attr("deviceModel")},
              {"os_version", attr("osVersion")},
              {"locale", attr("locale")},
              {"battery", attr("batteryPercentage")},
              {"connection", attr("connectionType")},
              {"created", attr("createdDate")},
              {"build_number", text_at(c, "/build/attributes/version"_json_pointer)},
              {"app_version", ""},  // the build's pre-release version: the lookup adds it
              {"screenshots", json::array()},
              {"crash_log", ""}};
  if (auto shots = a.find("screenshots"); shots != a.end() && shots->is_array())
    for (const auto& s : *shots) {
      if (!s.is_object()) continue;
      json shot = {{"url", text_at(s, "/url"_json_pointer)},
                   {"width", text_at(s, "/width"_json_pointer)},
                   {"height", text_at(s, "/height"_json_pointer)},
                   {"expires", text_at(s, "/expirationDate"_json_pointer)}};
      if (!shot["url"].get_ref<const std::string&>().empty()) out["screenshots"].push_back(std::move(shot));
    }
  std::string log = text_at(c, "/instance/crash_log"_json_pointer);
  if (log.size() > kFeedbackCrashLogMax) {
    std::size_t cut = kFeedbackCrashLogMax;
    while (cut > 0 && (static_cast<unsigned char>(log[cut]) & 0xC0) == 0x80) --cut;
    log = log.substr(0, cut) + "\n… (cut at 64 KiB)";
  }
  out["crash_log"] = log;
  return out;
}

std::vector<std::string> screenshot_signatures(const json& context) {
  std::vector<std::string> out;
  const auto fb = context.find("feedback");
  if (fb == context.end() || !fb->is_object()) return out;
  for (const auto& shot : fb->value("screenshots", json::array())) {
    const std::string url = shot.value("url", "");
    if (auto q = url.find('?'); q != std::string::npos && q + 1 < url.size()) out.push_back(url.substr(q + 1));
  }
  return out;
}

}  // namespace asc_webhookd::enrich
