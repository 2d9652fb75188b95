#pragma once
// What every integration's loading shares: named connections, the
// `connection:` an action refers to, `enrich:`, mappings of templates, and
// errors that name the rule.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/config/yaml_reader.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asc_webhookd::integrations {

using config::detail::YamlReader;

inline bool is_static(const std::string& t) { return t.find("{{") == std::string::npos; }

inline std::string with_name(const std::string& rule, const std::string& what) { return "rule " + rule + ": " + what; }

// `enrich: required | optional` (default optional: after
// app_store_connect.enrich_attempts failed lookups the action runs without
// `instance`; required keeps retrying the lookup like any failure).
bool enrich_required(YamlReader& r, const YAML::Node& action, const std::string& rule);

// `attach: [screenshots, crash_log]`: the feedback files a ticket or a
// Slack post carries; an unknown kind is an error naming the known ones.
inline constexpr std::string_view kAttachKinds[] = {"screenshots", "crash_log"};
std::vector<std::string> attach_kinds(YamlReader& r, const YAML::Node& v, const std::string& rule);

// A mapping of names to string templates (inputs, headers, variables).
std::map<std::string, config::Template> template_map(YamlReader& r, const YAML::Node& v, const std::string& rule,
                                                     const std::string& what, const std::string& expected);

// The connection an action names (or `fallback`), checked to be configured
// so a typo fails check-config rather than the first delivery.
template <class Map>
std::optional<std::string> connection_ref(YamlReader& r, const YAML::Node& action, const Map& known, std::string_view kind,
                                          const std::string& rule, std::optional<std::string> fallback) {
  std::string name;
  auto v = YamlReader::field(action, "connection");
  if (v) {
    auto s = r.nonempty_string(*v, "connection");
    if (!s) return std::nullopt;
    name = *s;
  } else if (fallback) {
    name = *fallback;
  } else {
    r.error(action, "rule " + rule + ": " + std::string(kind) + " action needs a connection");
    return std::nullopt;
  }
  if (!known.count(name)) {
    r.error(v ? *v : action, "rule " + rule + ": no connections." + std::string(kind) + "." + name + " is configured");
    return std::nullopt;
  }
  return name;
}

// connections.<kind>: a mapping of names to connections, each read by `load`
// (false: not a connection, left out).
template <class T, class F>
void each_named(YamlReader& r, const YAML::Node& n, const std::string& what, std::map<std::string, T>& out, F&& load) {
  if (n.IsNull()) return;
  if (!n.IsMap()) {
    r.error(n, what + " must be a mapping of names to connections");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar().empty()) {
      r.error(it->first, what + ": connection names must be strings");
      continue;
    }
    const std::string name = it->first.Scalar();
    if (out.count(name)) {
      r.error(it->first, "duplicate connection " + what + "." + name);
      continue;
    }
    T value;
    if (load(r, it->second, what + "." + name, value)) out.emplace(name, std::move(value));
  }
}

// Stored-form helpers: templates as their text, and back.
nlohmann::json text(const config::Template& t);
nlohmann::json text(const std::optional<config::Template>& t);
nlohmann::json texts(const std::map<std::string, config::Template>& m);
nlohmann::json tree(const std::optional<nlohmann::json>& t);
config::Template tpl(const nlohmann::json& j, const char* key);
std::optional<config::Template> opt_tpl(const nlohmann::json& j, const char* key);
std::map<std::string, config::Template> tpl_map(const nlohmann::json& j, const char* key);
std::optional<nlohmann::json> opt_tree(const nlohmann::json& j, const char* key);

// any_template's pieces: one template, a tree's JSON text, each of a map.
inline bool holds(const std::optional<config::Template>& t, const std::function<bool(const std::string&)>& pred) {
  return t && pred(t->text);
}
inline bool holds(const std::optional<nlohmann::json>& t, const std::function<bool(const std::string&)>& pred) {
  return t && pred(t->dump());
}
inline bool holds(const std::map<std::string, config::Template>& m, const std::function<bool(const std::string&)>& pred) {
  for (const auto& [k, v] : m)
    if (pred(v.text)) return true;
  return false;
}

// A field of a stored action, "" when absent (the console's target line).
inline std::string field(const nlohmann::json& a, const char* k) {
  return a.contains(k) && a[k].is_string() ? a[k].get<std::string>() : std::string();
}

}  // namespace asc_webhookd::integrations
