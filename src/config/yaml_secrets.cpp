// YamlReader's secrets: ${env:NAME}, ${file:PATH} and ${credential:NAME}
// references resolved (or left as their text where the command does not
// need them), and url_secret's stand-in for an unresolved URL.
#include "asc_webhookd/config/yaml_reader.hpp"

#include "asc_webhookd/core/files.hpp"

#include <cctype>
#include <filesystem>

namespace asc_webhookd::config::detail {
namespace {

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
