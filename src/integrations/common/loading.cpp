// What every integration's loading and stored form share.
#include "asc_webhookd/integrations/common/loading.hpp"

#include <algorithm>
#include <iterator>

namespace asc_webhookd::integrations {

using nlohmann::json;
using config::Template;

bool enrich_required(YamlReader& r, const YAML::Node& action, const std::string& rule) {
  auto v = YamlReader::field(action, "enrich");
  if (!v) return false;
  auto s = r.string(*v, "enrich");
  if (s && *s != "required" && *s != "optional") r.error(*v, with_name(rule, "enrich must be required or optional"));
  return s && *s == "required";
}

std::map<std::string, Template> template_map(YamlReader& r, const YAML::Node& v, const std::string& rule, const std::string& what,
                                             const std::string& expected) {
  std::map<std::string, Template> out;
  if (!v.IsMap()) {
    r.error(v, with_name(rule, what + " must be " + expected));
    return out;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    auto key = r.nonempty_string(it->first, what);
    if (!it->second.IsScalar()) {
      r.error(it->second, with_name(rule, what + " values must be strings"));
      continue;
    }
    auto val = r.template_text(it->second, what + " value");
    if (key && val) out[*key] = *val;
  }
  return out;
}

std::vector<std::string> attach_kinds(YamlReader& r, const YAML::Node& v, const std::string& rule) {
  std::vector<std::string> kinds;
  auto list = r.string_list(v, "attach");
  if (!list) return kinds;
  for (const auto& k : *list) {
    if (std::find(std::begin(kAttachKinds), std::end(kAttachKinds), k) == std::end(kAttachKinds))
      r.error(v, with_name(rule, "unknown attach kind \"" + k.substr(0, 64) + "\" (known: screenshots, crash_log)"));
    else if (std::find(kinds.begin(), kinds.end(), k) == kinds.end())
      kinds.push_back(k);
  }
  return kinds;
}

json text(const Template& t) { return t.text; }
json text(const std::optional<Template>& t) { return t ? json(t->text) : json(nullptr); }
json texts(const std::map<std::string, Template>& m) {
  json o = json::object();
  for (const auto& [k, v] : m) o[k] = v.text;
  return o;
}
json tree(const std::optional<json>& t) { return t ? *t : json(nullptr); }

Template tpl(const json& j, const char* key) { return {j.value(key, std::string()), {}}; }
std::optional<Template> opt_tpl(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return Template{it->get<std::string>(), {}};
}
std::map<std::string, Template> tpl_map(const json& j, const char* key) {
  std::map<std::string, Template> m;
  if (auto it = j.find(key); it != j.end() && it->is_object())
    for (const auto& [k, v] : it->items()) m[k] = {v.get<std::string>(), {}};
  return m;
}
std::optional<json> opt_tree(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return *it;
}

}  // namespace asc_webhookd::integrations
