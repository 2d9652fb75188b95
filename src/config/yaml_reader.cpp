#include "yaml_reader.hpp"

#include "asc_webhookd/config/keys.hpp"
#include "asc_webhookd/core/files.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <algorithm>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
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

std::optional<std::string> read_file(const std::string& path, std::string& error) {
  auto read = read_bounded_file(path, kMaxSecretFile);
  if (!read) {
    error = "cannot read " + path + ": " + read.error().message;
    return std::nullopt;
  }
  std::string s = std::move(*read);
  // "${file:...}": the trailing newline that editors add is not part of the secret.
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
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

// One ${kind:arg} reference's value, or why it has none; `available` is
// false when the reason is this machine (no variable, no credentials
// directory) rather than the reference itself.
std::optional<std::string> YamlReader::resolve_reference(const std::string& kind, const std::string& arg, std::string& why,
                                                         bool& available) const {
  available = true;
  if (kind == "env") {
    auto v = env_.getenv(arg);
    if (!v) {
      available = false;
      why = "environment variable " + arg + " is not set";
    }
    return v;
  }
  std::string err;
  if (kind == "file") {
    auto v = read_file(arg, err);
    if (!v) why = err;
    return v;
  }
  if (arg.find('/') != std::string::npos) {
    why = "a credential name cannot contain '/'";
    return std::nullopt;
  }
  auto dir = env_.getenv("CREDENTIALS_DIRECTORY");
  std::error_code fs_error;
  if ((!dir || dir->empty()) && !env_.default_credentials_dir.empty() &&
      std::filesystem::is_directory(env_.default_credentials_dir, fs_error))
    dir = env_.default_credentials_dir;  // beside the running service (as its user, or root)
  if (!dir || dir->empty()) {
    available = false;
    why = "${credential:" + arg + "} needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential=)";
    return std::nullopt;
  }
  auto v = read_file(*dir + "/" + arg, err);
  if (!v) why = "credential " + arg + ": " + err;
  return v;
}

std::optional<Secret> YamlReader::secret(const YAML::Node& node, std::string_view what, bool credential) {
  // Skipped, unless this command needs exactly this one (Environment::resolve_only).
  const bool skipped = env_.secrets == Secrets::skip &&
                       std::find(env_.resolve_only.begin(), env_.resolve_only.end(), what) == env_.resolve_only.end();
  auto raw = string(node, what);
  if (!raw) return std::nullopt;
  std::string out;
  bool referenced = false;
  std::size_t i = 0;
  const std::string& s = *raw;
  while (i < s.size()) {
    auto start = s.find("${", i);
    if (start == std::string::npos) {
      out.append(s, i, std::string::npos);
      break;
    }
    out.append(s, i, start - i);
    auto end = s.find('}', start);
    if (end == std::string::npos) {
      error(node, std::string(what) + ": unterminated ${...} reference");
      return std::nullopt;
    }
    std::string ref = s.substr(start + 2, end - start - 2);
    auto colon = ref.find(':');
    std::string kind = colon == std::string::npos ? ref : ref.substr(0, colon);
    std::string arg = colon == std::string::npos ? "" : ref.substr(colon + 1);
    if (arg.empty() || (kind != "env" && kind != "file" && kind != "credential")) {
      error(node, std::string(what) + ": unknown reference ${" + ref +
                      "} (expected ${env:NAME}, ${file:/path} or ${credential:NAME})");
      return std::nullopt;
    }
    referenced = true;
    i = end + 1;
    std::string why;
    bool available = true;
    if (auto v = resolve_reference(kind, arg, why, available)) {
      out += *v;
      continue;
    }
    // Where the value is not needed (skip), or cannot be had on this
    // machine (check: only the service is given its credentials), the
    // reference text stands in for it.
    if (skipped) {
      out += "${" + ref + "}";
      continue;
    }
    if (env_.secrets == Secrets::check && !available && kind == "credential") {
      warning(node, std::string(what) + ": ${credential:" + arg +
                        "} not checked here: no $CREDENTIALS_DIRECTORY (systemd's LoadCredential= gives the service "
                        "one; run check-config as the service to check it)");
      out += "${" + ref + "}";
      continue;
    }
    error(node, std::string(what) + ": " + why);
    return std::nullopt;
  }
  if (credential) {
    if (out.empty()) {
      error(node, std::string(what) + " is empty; an empty secret would accept or send anything");
      return std::nullopt;
    }
    if (!referenced && !skipped)
      warning(node, std::string(what) + " is written inline; prefer ${env:NAME}, ${file:/path} or ${credential:NAME}");
  }
  return Secret(std::move(out));
}

std::optional<Secret> YamlReader::url_secret(const YAML::Node& node, std::string_view what) {
  auto s = secret(node, what);
  if (!s || !unresolved(*s)) return s;
  // A stand-in that is still a URL, so the request can be shown (simulate).
  std::string name;
  for (char c : s->reveal().substr(2, s->reveal().size() - 3)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return Secret(std::string(kUrlStandIn) + name);
}

}  // namespace asc_webhookd::config::detail
