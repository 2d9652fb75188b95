#include "asc_webhookd/config/loader.hpp"

#include "asc_webhookd/core/files.hpp"
#include "sections.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace asc_webhookd::config {

std::string Diagnostic::text() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (severity == Severity::warning) out += "warning: ";
  return out + message;
}

std::string LoadResult::errors_text() const {
  std::string out;
  for (const auto& d : diagnostics) out += d.text() + "\n";
  return out;
}

Environment Environment::process(Secrets secrets) {
  Environment env{[](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  }};
  env.secrets = secrets;
  return env;
}

bool Match::matches(std::string_view v) const {
  if (values.empty()) return true;
  for (const auto& x : values)
    if (x == "*" || x == v) return true;
  return false;
}

bool Match::matches_state(const std::optional<std::string>& v) const {
  if (values.empty()) return true;
  return v && matches(std::string_view(*v));
}

bool RatingMatch::matches(std::optional<int> rating) const {
  if (values.empty()) return true;
  return rating && std::find(values.begin(), values.end(), *rating) != values.end();
}

void Config::index_rules() {
  rules_by_type_.clear();
  rules_any_type_.clear();
  auto any_type = [](const Rule& r) {
    return r.when.event.values.empty() ||
           std::find(r.when.event.values.begin(), r.when.event.values.end(), "*") != r.when.event.values.end();
  };
  for (const auto& r : rules)
    if (!any_type(r))
      for (const auto& t : r.when.event.values) rules_by_type_.try_emplace(t);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (any_type(rules[i])) {
      rules_any_type_.push_back(i);
      for (auto& [type, list] : rules_by_type_) list.push_back(i);
    } else {
      for (const auto& t : rules[i].when.event.values) {
        auto& list = rules_by_type_[t];
        if (list.empty() || list.back() != i) list.push_back(i);  // a type listed twice in one rule
      }
    }
  }
}

const std::vector<std::size_t>& Config::rules_for_type(std::string_view type) const {
  if (auto it = rules_by_type_.find(type); it != rules_by_type_.end()) return it->second;
  return rules_any_type_;
}

const WebhookConfig* Config::find_webhook(std::string_view name) const {
  for (const auto& w : webhooks)
    if (w.name == name) return &w;
  return nullptr;
}

namespace {

YAML::Node section(const YAML::Node& root, std::string_view key) {
  if (auto v = detail::YamlReader::field(root, key)) return *v;
  return YAML::Node();
}

LoadResult load_document(const YAML::Node& root, detail::YamlReader& r, const std::string& source,
                         const Environment& env) {
  auto cfg = std::make_shared<Config>();
  cfg->source_path = source;
  if (root.IsNull() || !root.IsDefined()) {
    r.error(YAML::Mark(), "the configuration is empty (it needs at least webhooks: and rules:)");
  } else if (r.section_map(root, "the configuration", "")) {
    detail::load_server(r, section(root, "server"), cfg->server);
    detail::load_store(r, section(root, "store"), env, cfg->store);
    detail::load_reconcile(r, section(root, "reconcile"), cfg->reconcile);
    detail::load_delivery(r, section(root, "delivery"), cfg->delivery);
    detail::load_log(r, section(root, "log"), cfg->log);
    if (auto v = detail::YamlReader::field(root, "app_store_connect"))
      detail::load_app_store_connect(r, *v, cfg->app_store_connect);
    if (auto v = detail::YamlReader::field(root, "webhooks")) detail::load_webhooks(r, *v, cfg->webhooks);
    else r.error(root.Mark(), "webhooks: is required (one entry per webhook created in App Store Connect)");
    detail::load_connections(r, section(root, "connections"), cfg->connections);
    if (auto v = detail::YamlReader::field(root, "rules")) detail::load_rules(r, *v, *cfg, cfg->rules);
    else if (!root["rules"].IsDefined()) r.error(root.Mark(), "rules: is required (it may be an empty list: rules: [])");
    if (!cfg->app_store_connect) detail::warn_lookups_without_api(r, *cfg);
    detail::check_reconcile(r, root, *cfg);
    detail::check_reviews(r, root, *cfg);
    detail::reject_references_in_actions(r, *cfg);
    cfg->index_rules();
  }
  LoadResult result;
  result.diagnostics = std::move(r.diagnostics());
  bool errors = false;
  for (const auto& d : result.diagnostics) errors = errors || d.severity == Diagnostic::Severity::error;
  if (!errors) result.config = std::move(cfg);
  return result;
}

}  // namespace

namespace {

// The YAML document, or nullopt with the parser's error reported at its mark.
std::optional<YAML::Node> parse_yaml(std::string_view yaml, detail::YamlReader& r) {
  constexpr std::size_t kMaxNesting = 100;
  if (detail::nesting_depth(yaml) > kMaxNesting) {
    r.error(YAML::Mark(), "the configuration nests deeper than " + std::to_string(kMaxNesting) + " levels");
    return std::nullopt;
  }
  // A configuration has hundreds of nodes; a hundred thousand is an alias bomb.
  constexpr std::size_t kMaxNodes = 100'000;
  try {
    auto root = YAML::Load(std::string(yaml));
    if (!detail::expands_within(root, kMaxNodes)) {
      r.error(YAML::Mark(), "the configuration expands to more than " + std::to_string(kMaxNodes) +
                                " YAML nodes, or nests deeper than 256 levels, once its aliases (*name) are expanded; write the "
                                "repeated parts out");
      return std::nullopt;
    }
    return root;
  } catch (const YAML::Exception& e) {
    r.error(e.mark, e.msg);
    return std::nullopt;
  }
}

}  // namespace

LoadResult load_config_string(std::string_view yaml, const std::string& source_name, const Environment& env) {
  detail::YamlReader r(source_name, env);
  auto root = parse_yaml(yaml, r);
  if (!root) {
    LoadResult result;
    result.diagnostics = std::move(r.diagnostics());
    return result;
  }
  return load_document(*root, r, source_name, env);
}

namespace {

std::optional<std::string> read_config_text(const std::string& path, std::vector<Diagnostic>& diagnostics) {
  auto read = read_bounded_file(path, kMaxConfigFile);
  if (!read) {
    diagnostics.push_back({Diagnostic::Severity::error, path, 0, 0, "cannot read the configuration file: " + read.error().message});
    return std::nullopt;
  }
  return std::move(*read);
}

}  // namespace

LoadResult load_config_file(const std::string& path, const Environment& env) {
  LoadResult result;
  auto text = read_config_text(path, result.diagnostics);
  if (!text) return result;
  return load_config_string(*text, path, env);
}

StoreLoadResult load_store_config_file(const std::string& path, const Environment& env) {
  StoreLoadResult result;
  auto text = read_config_text(path, result.diagnostics);
  if (!text) return result;
  detail::YamlReader r(path, env);
  StoreConfig store;
  if (auto root = parse_yaml(*text, r))
    detail::load_store(r, root->IsMap() ? section(*root, "store") : YAML::Node(), env, store);
  if (!r.has_errors()) result.store = store;
  result.diagnostics = std::move(r.diagnostics());
  return result;
}

}  // namespace asc_webhookd::config
