// The config loader: any YAML → a Config or diagnostics. Secret references
// are not resolved (Secrets::skip), so no input makes it read files.
#include "asc_webhookd/config/loader.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace asc_webhookd::config;
  Environment env;
  env.getenv = [](const std::string&) { return std::optional<std::string>(); };
  env.secrets = Secrets::skip;
  env.default_credentials_dir = "";
  auto r = load_config_string(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml", env);
  (void)r.errors_text();
  return 0;
}
