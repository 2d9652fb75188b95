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

// How secret references are treated while loading.
enum class Secrets {
  resolve,  // serve, send: every reference must resolve, or it is an error
  check,    // check-config: as resolve, but a ${credential:} where no credentials
            // directory exists is a warning (only the service is given one)
  skip,     // simulate, event replay: not looked up; the reference text stands in
            // for the value (these commands mask or never use secrets)
};

// Where secret references are looked up; tests substitute their own.
struct Environment {
  std::function<std::optional<std::string>(const std::string&)> getenv;
  Secrets secrets = Secrets::resolve;
  // With Secrets::skip: the secrets that are resolved all the same, by the
  // name diagnostics give them ("app_store_connect.private_key",
  // "webhook NAME secret"): the apple commands need those and nothing else.
  std::vector<std::string> resolve_only = {};
  // systemd's credentials directory for the unit, used when
  // $CREDENTIALS_DIRECTORY is not set (a command run beside the service).
  std::string default_credentials_dir = "/run/credentials/asc-webhookd.service";
  static Environment process(Secrets secrets = Secrets::resolve);
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when there is any error
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return config != nullptr; }
  std::string errors_text() const;  // every diagnostic, one per line
};

LoadResult load_config_file(const std::string& path, const Environment& env = Environment::process());

// The operator commands' view (events, event ..., job ...): the `store`
// section only, with its default ($STATE_DIRECTORY/state.db, else
// ./asc-webhookd.db). Nothing else is read, so no secret is resolved and a
// problem elsewhere in the file does not stop them.
struct StoreLoadResult {
  std::optional<StoreConfig> store;  // absent when there is any error
  std::vector<Diagnostic> diagnostics;
};
StoreLoadResult load_store_config_file(const std::string& path, const Environment& env = Environment::process());
LoadResult load_config_string(std::string_view yaml, const std::string& source_name,
                              const Environment& env = Environment::process());

}  // namespace asc_webhookd::config
