// The API session and the options the apple commands share; see
// apple_context.hpp.
#include "apple_context.hpp"

#include "asc_webhookd/app/cli.hpp"
#include "asc_webhookd/app/open_store.hpp"

#include <filesystem>

namespace asc_webhookd::app::detail {

std::optional<AppleContext> open_apple(const Args& a, std::ostream& err, int& code, std::vector<std::string> also) {
  auto it = a.options.find("--config");
  if (it == a.options.end()) {
    err << "asc-webhookd: --config FILE is required\n";
    code = usage;
    return std::nullopt;
  }
  auto env = config::Environment::process(config::Secrets::skip);
  env.resolve_only = {"app_store_connect.private_key"};
  env.resolve_only.insert(env.resolve_only.end(), also.begin(), also.end());
  auto loaded = config::load_config_file(it->second, env);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Diagnostic::Severity::error) err << d.text() << "\n";
  if (!loaded.config) {
    code = invalid;
    return std::nullopt;
  }
  if (!loaded.config->app_store_connect) {
    err << "asc-webhookd: the apple commands need app_store_connect in " << it->second
        << " (an API key with the Admin or App Manager role)\n";
    code = invalid;
    return std::nullopt;
  }
  AppleContext ctx{it->second, loaded.config, std::make_unique<AppleSession>()};
  auto api = apple::Api::create(*ctx.cfg->app_store_connect, ctx.session->clock, ctx.session->transport,
                                ctx.cfg->delivery.timeout);
  if (!api) {
    err << "asc-webhookd: " << api.error().message << "\n";
    code = invalid;
    return std::nullopt;
  }
  ctx.session->api.emplace(std::move(*api));
  return ctx;
}

const config::WebhookConfig* named_webhook(const AppleContext& ctx, const Args& a, std::ostream& err, int& code) {
  auto it = a.options.find("--webhook");
  if (it == a.options.end()) {
    err << "asc-webhookd: --webhook NAME is required\n";
    code = usage;
    return nullptr;
  }
  const auto* hook = ctx.cfg->find_webhook(it->second);
  if (!hook) {
    err << "asc-webhookd: no webhook named \"" << it->second << "\" in " << ctx.config_path << "\n";
    code = invalid;
  }
  return hook;
}

const config::WebhookConfig* linked_webhook(const AppleContext& ctx, const Args& a, std::ostream& err, int& code) {
  const auto* hook = named_webhook(ctx, a, err, code);
  if (hook && (!hook->apple || hook->apple->webhook_id.empty())) {
    err << "asc-webhookd: webhook " << hook->name << " has no apple.webhook_id in " << ctx.config_path
        << " (asc-webhookd apple setup prints it)\n";
    code = invalid;
    return nullptr;
  }
  return hook;
}

std::optional<std::vector<const config::WebhookConfig*>> selected_webhooks(const AppleContext& ctx, const Args& a,
                                                                            std::ostream& err, int& code, bool linked) {
  std::vector<const config::WebhookConfig*> hooks;
  if (a.options.count("--webhook")) {
    const auto* hook = linked ? linked_webhook(ctx, a, err, code) : named_webhook(ctx, a, err, code);
    if (!hook) return std::nullopt;
    hooks.push_back(hook);
    return hooks;
  }
  for (const auto& w : ctx.cfg->webhooks)
    if (w.apple && (!linked || !w.apple->webhook_id.empty())) hooks.push_back(&w);
  if (hooks.empty()) {
    err << "asc-webhookd: no webhook in " << ctx.config_path
        << (linked ? " has apple.webhook_id (asc-webhookd apple setup prints it)\n"
                   : " has apple.app_id (the app's Apple ID); add it, or run: asc-webhookd apple setup --app APP_ID ...\n");
    code = invalid;
    return std::nullopt;
  }
  return hooks;
}

std::optional<std::int64_t> since_option(const Args& a, std::int64_t now_ms, std::ostream& err, int& code) {
  Duration back = std::chrono::hours(72);
  if (auto it = a.options.find("--since"); it != a.options.end()) {
    auto d = parse_duration(it->second);
    if (!d || d->count() <= 0) {
      err << "asc-webhookd: --since takes a duration (3d, 12h, 30m), not \"" << it->second << "\"\n";
      code = usage;
      return std::nullopt;
    }
    back = *d;
  }
  if (back > config::kAppleDeliveryLogLimit) {
    err << "asc-webhookd: --since " << format_duration(back) << " is beyond Apple's 10 days; asking for 10d\n";
    back = config::kAppleDeliveryLogLimit;
  }
  return now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(back).count();
}

int api_failed(const apple::ApiError& e, std::ostream& err) {
  err << "asc-webhookd: " << e.message << "\n";
  return runtime;
}

std::unique_ptr<store::Store> store_if_any(const AppleContext& ctx) {
  std::error_code ec;
  if (!ctx.cfg->store.url && !std::filesystem::exists(ctx.cfg->store.path, ec)) return nullptr;
  auto st = open_configured_store(ctx.cfg->store);
  return st ? std::move(*st) : nullptr;
}

}  // namespace asc_webhookd::app::detail
