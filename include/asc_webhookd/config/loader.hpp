#pragma once
// Strict YAML → Config. Every problem is collected (not just the first), each
// with file:line:col; unknown keys are errors; secret references
// ${env:NAME}, ${file:/path}, ${credential:NAME} are resolved here, so the
// rest of the daemon only ever holds resolved Secret values.
// Returns errors as diagnostics; throws nothing for bad input.
#include "asc_webhookd/config/config.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asc_webhookd::config {

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  std::string file;
  int line = 0;    // 1-based, 0 = whole file
  int column = 0;  // 1-based
  std::string message;
  // "FILE:LINE:COL: message" (errors) / "FILE:LINE:COL: warning: message"
  std::string text() const;
};

// Where secret references are looked up; tests substitute their own.
struct Environment {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  static Environment process();
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when there is any error
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return config != nullptr; }
  std::string errors_text() const;  // every diagnostic, one per line
};

LoadResult load_config_file(const std::string& path, const Environment& env = Environment::process());
LoadResult load_config_string(std::string_view yaml, const std::string& source_name,
                              const Environment& env = Environment::process());

}  // namespace asc_webhookd::config
