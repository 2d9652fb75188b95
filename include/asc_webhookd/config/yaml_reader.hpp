#pragma once
// For the config loader and the integrations' own loading: typed, error-collecting accessors over
// yaml-cpp nodes. Each accessor reports a problem at the node's line:col and
// returns std::nullopt, so a section can keep going and report every error.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/config/loader.hpp"

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace asc_webhookd::config::detail {

class YamlReader {
public:
  YamlReader(std::string file, const Environment& env) : file_(std::move(file)), env_(env) {}

  std::vector<Diagnostic>& diagnostics() { return diags_; }
  bool has_errors() const;

  void error(const YAML::Mark& mark, std::string message);
  void error(const YAML::Node& node, std::string message) { error(node.Mark(), std::move(message)); }
  void warning(const YAML::Node& node, std::string message);
  void error_at(SourcePos pos, std::string message);
  void warning_at(SourcePos pos, std::string message);
  SourcePos pos(const YAML::Node& node) const;

  // A map whose keys are all in `allowed`; reports unknown and duplicate keys.
  // A null node (key written with no value) counts as an empty map.
  bool map(const YAML::Node& node, std::string_view what, std::span<const std::string_view> allowed);
  // The same, with the keys of `section` in config/keys.hpp.
  bool section_map(const YAML::Node& node, std::string_view what, std::string_view section);
  // The value of `key` in map `node`, if present and not null.
  static std::optional<YAML::Node> field(const YAML::Node& node, std::string_view key);

  std::optional<std::string> string(const YAML::Node& node, std::string_view what);
  std::optional<std::string> nonempty_string(const YAML::Node& node, std::string_view what);
  std::optional<bool> boolean(const YAML::Node& node, std::string_view what);
  std::optional<std::int64_t> integer(const YAML::Node& node, std::string_view what, std::int64_t min,
                                      std::int64_t max);
  std::optional<Duration> duration(const YAML::Node& node, std::string_view what);
  std::optional<std::uint64_t> size(const YAML::Node& node, std::string_view what);
  // A scalar or a list of scalars.
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node, std::string_view what);
  std::optional<Template> template_text(const YAML::Node& node, std::string_view what);
  // Reports a template that does not compile or names unknown data, at the
  // line and column of the offending tag.
  bool check_template(const YAML::Node& node, const std::string& text, std::string_view what);
  std::optional<std::string> url(const YAML::Node& node, std::string_view what);
  // A YAML value as JSON: plain scalars that look like numbers/booleans/null
  // become those, quoted scalars stay strings.
  std::optional<nlohmann::json> json(const YAML::Node& node, std::string_view what);

  // Resolves ${env:}, ${file:}, ${credential:} references anywhere in the
  // string. `credential` marks a value that is a credential in itself: written
  // inline it draws a warning, and it must not be empty.
  std::optional<Secret> secret(const YAML::Node& node, std::string_view what, bool credential = true);
  // A secret that is a whole URL (a chat service's webhook URL): left
  // unresolved, it stands in as https://unresolved.invalid/REFERENCE.
  std::optional<Secret> url_secret(const YAML::Node& node, std::string_view what);
  // A secret left as its reference text (Secrets::skip, or a credential
  // check-config cannot read), or url_secret's stand-in for one: its value
  // cannot be checked.
  bool unresolved(const Secret& s) const {
    const std::string& v = s.reveal();
    if (env_.secrets == Secrets::resolve) return false;
    return (v.rfind("${", 0) == 0 && v.back() == '}') || v.rfind(kUrlStandIn, 0) == 0;
  }
  static constexpr std::string_view kUrlStandIn = "https://unresolved.invalid/";

private:
  std::optional<std::string> resolve_reference(const std::string& kind, const std::string& arg, std::string& why,
                                               bool& available) const;

  std::string file_;
  const Environment& env_;
  std::vector<Diagnostic> diags_;
};

}  // namespace asc_webhookd::config::detail
