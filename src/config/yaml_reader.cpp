// YamlReader: a YAML value read as the type a key wants (string, duration,
// size, template, JSON …), every mistake reported at its line. Secret
// references are resolved in yaml_secrets.cpp.
#include "asc_webhookd/config/yaml_reader.hpp"

#include "asc_webhookd/config/keys.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <algorithm>

#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace asc_webhookd::config::detail {
namespace {

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

bool YamlReader::has_errors() const {
  for (const auto& d : diags_)
    if (d.severity == Diagnostic::Severity::error) return true;
  return false;
}

void YamlReader::error(const YAML::Mark& mark, std::string message) {
  Diagnostic d;
  d.file = file_;
  d.line = mark.line >= 0 ? mark.line + 1 : 0;
  d.column = mark.column >= 0 ? mark.column + 1 : 0;
  d.message = std::move(message);
  diags_.push_back(std::move(d));
}

void YamlReader::warning(const YAML::Node& node, std::string message) {
  error(node.Mark(), std::move(message));
  diags_.back().severity = Diagnostic::Severity::warning;
}

void YamlReader::warning_at(SourcePos pos, std::string message) {
  error_at(pos, std::move(message));
  diags_.back().severity = Diagnostic::Severity::warning;
}

void YamlReader::error_at(SourcePos pos, std::string message) {
  diags_.push_back(Diagnostic{});
  auto& d = diags_.back();
  d.file = file_;
  d.line = pos.line;
  d.column = pos.column;
  d.message = std::move(message);
}

SourcePos YamlReader::pos(const YAML::Node& node) const {
  auto m = node.Mark();
  return {m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0};
}

bool YamlReader::section_map(const YAML::Node& node, std::string_view what, std::string_view section) {
  return map(node, what, keys_of(section));
}

bool YamlReader::map(const YAML::Node& node, std::string_view what, std::span<const std::string_view> allowed) {
  if (node.IsNull()) return true;
  if (!node.IsMap()) {
    error(node, std::string(what) + " must be a mapping");
    return false;
  }
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: it-> yields a temporary proxy
    if (!key.IsScalar()) {
      error(key, std::string(what) + ": keys must be plain strings");
      continue;
    }
    const std::string& k = key.Scalar();
    if (!seen.insert(k).second) error(key, "duplicate key \"" + k + "\" in " + std::string(what));
    bool ok = false;
    for (auto a : allowed) ok = ok || a == k;
    if (!ok) error(key, "unknown key \"" + k + "\" in " + std::string(what) + " (expected one of: " + join(allowed) + ")");
  }
  return true;
}

std::optional<YAML::Node> YamlReader::field(const YAML::Node& node, std::string_view key) {
  if (!node.IsMap()) return std::nullopt;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      if (it->second.IsNull()) return std::nullopt;
      return it->second;
    }
  }
  return std::nullopt;
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) {
    error(node, std::string(what) + " must be a string");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::string> YamlReader::nonempty_string(const YAML::Node& node, std::string_view what) {
  auto s = string(node, what);
  if (s && s->empty()) {
    error(node, std::string(what) + " must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  error(node, std::string(what) + " must be true or false");
  return std::nullopt;
}

std::optional<std::int64_t> YamlReader::integer(const YAML::Node& node, std::string_view what, std::int64_t min,
                                                std::int64_t max) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && p == s.data() + s.size() && !s.empty()) {
      if (v >= min && v <= max) return v;
      error(node, std::string(what) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
  }
  error(node, std::string(what) + " must be a whole number");
  return std::nullopt;
}

std::optional<Duration> YamlReader::duration(const YAML::Node& node, std::string_view what) {
  // A year is beyond any sensible timeout or window, and far from the point
  // where now() + d overflows a clock.
  constexpr Duration kMax = std::chrono::hours(24 * 366);
  if (node.IsScalar())
    if (auto d = parse_duration(node.Scalar())) {
      if (*d <= kMax) return d;
      error(node, std::string(what) + " is at most 366d");
      return std::nullopt;
    }
  error(node, std::string(what) + " must be a duration such as 250ms, 10s, 5m, 2h or 30d");
  return std::nullopt;
}

std::optional<std::uint64_t> YamlReader::size(const YAML::Node& node, std::string_view what) {
  if (node.IsScalar())
    if (auto s = parse_size(node.Scalar())) return s;
  error(node, std::string(what) + " must be a size such as 1MiB, 512KiB or a number of bytes");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YAML::Node& node, std::string_view what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
    error(node, std::string(what) + " must be a string or a list of strings");
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      error(item, std::string(what) + ": each item must be a string");
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Template> YamlReader::template_text(const YAML::Node& node, std::string_view what) {
  auto s = string(node, what);
  if (!s) return std::nullopt;
  if (!check_template(node, *s, what)) return std::nullopt;
  return Template{*s, pos(node)};
}

bool YamlReader::check_template(const YAML::Node& node, const std::string& text, std::string_view what) {
  std::size_t offset = 0;
  std::string problem = rules::check_template(text, offset);
  if (problem.empty()) return true;
  // Point at the tag: same line, further right; or lines further down
  // inside a multi-line scalar.
  SourcePos p = pos(node);
  const std::string before = text.substr(0, std::min(offset, text.size()));
  const auto newlines = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  if (newlines == 0) {
    p.column += static_cast<int>(offset) + (node.Tag() == "!" ? 1 : 0);  // past an opening quote
  } else {
    p.line += newlines + (node.Tag() == "!" ? 0 : 1);
    p.column = static_cast<int>(before.size() - before.rfind('\n'));
  }
  error_at(p, std::string(what) + " template: " + problem);
  return false;
}

std::optional<std::string> YamlReader::url(const YAML::Node& node, std::string_view what) {
  auto s = nonempty_string(node, what);
  if (!s) return std::nullopt;
  if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0) {
    error(node, std::string(what) + " must be an http:// or https:// URL");
    return std::nullopt;
  }
  while (s->size() > 8 && s->back() == '/') s->pop_back();
  return s;
}

std::optional<nlohmann::json> YamlReader::json(const YAML::Node& node, std::string_view what) {
  if (node.IsNull()) return nlohmann::json(nullptr);
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    if (node.Tag() == "!") {  // quoted: always a string, and a template
      if (!check_template(node, s, what)) return std::nullopt;
      return nlohmann::json(s);
    }
    if (s == "true") return nlohmann::json(true);
    if (s == "false") return nlohmann::json(false);
    if (s == "null" || s == "~") return nlohmann::json(nullptr);
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
    if (ec == std::errc{} && p == s.data() + s.size() && !s.empty()) return nlohmann::json(i);
    if (!check_template(node, s, what)) return std::nullopt;
    return nlohmann::json(s);
  }
  if (node.IsSequence()) {
    auto arr = nlohmann::json::array();
    for (const auto& item : node) {
      auto v = json(item, what);
      if (!v) return std::nullopt;
      arr.push_back(std::move(*v));
    }
    return arr;
  }
  if (node.IsMap()) {
    auto obj = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        error(it->first, std::string(what) + ": keys must be strings");
        return std::nullopt;
      }
      auto v = json(it->second, what);
      if (!v) return std::nullopt;
      obj[it->first.Scalar()] = std::move(*v);
    }
    return obj;
  }
  error(node, std::string(what) + " has an unsupported YAML value");
  return std::nullopt;
}

}  // namespace asc_webhookd::config::detail
