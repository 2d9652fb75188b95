// `asc-webhookd apple webhooks|setup|ping|deliveries|reconcile`: Apple's side
// of a webhook from the command line. They read the whole config but
// resolve only app_store_connect's key (and, for `apple setup` without
// --secret-out, the webhook's secret); the store is opened only where a
// command needs it, and never created.
#include "apple_context.hpp"

#include "asc_webhookd/app/cli.hpp"
#include "asc_webhookd/apple/reconcile.hpp"
#include "asc_webhookd/apple/webhook_health.hpp"
#include "asc_webhookd/store/store.hpp"

#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

namespace asc_webhookd::app::detail {

namespace {

// --- apple webhooks ---------------------------------------------------------

// The health verdict on a linked webhook (apple/webhook_health.hpp), judged
// now as a reconcile pass would: "health of NAME: healthy", or each problem
// with its fix.
std::string judge_now(AppleContext& ctx, const config::WebhookConfig& hook, const std::vector<apple::Webhook>& listed) {
  apple::AppleSide side;
  auto linked = std::find_if(listed.begin(), listed.end(), [&](const auto& w) { return w.id == hook.apple->webhook_id; });
  if (linked != listed.end()) side.webhook = *linked;
  else side.app_webhooks = listed;
  auto& s = *ctx.session;
  const std::int64_t now = s.clock.now_ms();
  const std::int64_t window_start = apple::health_window_start(*ctx.cfg, now);
  std::vector<apple::Delivery> deliveries;
  if (side.webhook) {
    auto got = s.run(s.api->deliveries(hook.apple->webhook_id, window_start, now + 60'000));
    if (!got) return "health of " + hook.name + ": not judged (Apple's delivery log: " + got.error().message + ")\n";
    deliveries = std::move(*got);
  }
  const auto v = apple::judge_webhook(*ctx.cfg, hook, side, deliveries, window_start);
  std::string text = "health of " + hook.name + ": " + (v.healthy() ? "healthy" : "UNHEALTHY") + "\n";
  for (const auto& p : v.problems) text += "  - " + p + "\n";
  return text;
}

int cmd_webhooks(const Args& a, std::ostream& out, std::ostream& err) {
  int code = ok;
  auto ctx = open_apple(a, err, code);
  if (!ctx) return code;
  auto hooks = selected_webhooks(*ctx, a, err, code, /*linked=*/false);
  if (!hooks) return code;
  out << "APP\tID\tNAME\tURL\tENABLED\tEVENTS\tLINKED\n";
  std::vector<std::string> verdicts;  // after the table
  for (const auto* hook : *hooks) {
    if (!hook->apple) {
      err << "asc-webhookd: webhook " << hook->name << " has no apple.app_id (the app's Apple ID)\n";
      return invalid;
    }
    auto list = ctx->session->run(ctx->session->api->app_webhooks(hook->apple->app_id));
    if (!list) return api_failed(list.error(), err);
    for (const auto& w : *list)
      out << hook->apple->app_id << "\t" << w.id << "\t" << w.name << "\t" << w.url << "\t" << (w.enabled ? "yes" : "no")
          << "\t" << w.event_types.size() << "\t" << (w.id == hook->apple->webhook_id ? hook->name : "-") << "\n";
    if (!hook->apple->webhook_id.empty()) verdicts.push_back(judge_now(*ctx, *hook, *list));
  }
  for (const auto& v : verdicts) out << v;
  return ok;
}

// --- apple setup --------------------------------------------------------------

// 32 random bytes as hex, written to `path` with mode 0600 (replacing it).
std::optional<std::string> new_secret_file(const std::string& path, std::ostream& err) {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    err << "asc-webhookd: no random bytes for a secret\n";
    return std::nullopt;
  }
  static const char* hex = "0123456789abcdef";
  std::string secret;
  for (unsigned char b : bytes) (secret += hex[b >> 4]) += hex[b & 15];
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0 || ::write(fd, secret.data(), secret.size()) != static_cast<ssize_t>(secret.size()) ||
      ::close(fd) != 0) {
    err << "asc-webhookd: cannot write " << path << ": " << std::strerror(errno) << "\n";
    if (fd >= 0) ::close(fd);
    return std::nullopt;
  }
  return secret;
}

int cmd_setup(const Args& a, std::ostream& out, std::ostream& err) {
  auto hook_opt = a.options.find("--webhook");
  auto url_opt = a.options.find("--url");
  if (hook_opt == a.options.end() || url_opt == a.options.end()) {
    err << "usage: asc-webhookd apple setup --config FILE --webhook NAME --url URL [--app APP_ID] [--secret-out FILE]\n";
    return usage;
  }
  auto secret_out = a.options.find("--secret-out");
  std::vector<std::string> also;
  if (secret_out == a.options.end()) also.push_back("webhook " + hook_opt->second + " secret");
  int code = ok;
  auto ctx = open_apple(a, err, code, also);
  if (!ctx) return code;
  const auto* hook = named_webhook(*ctx, a, err, code);
  if (!hook) return code;
  std::string app_id = hook->apple ? hook->apple->app_id : "";
  if (auto it = a.options.find("--app"); it != a.options.end()) app_id = it->second;
  if (app_id.empty() || !all_digits(app_id)) {
    err << "asc-webhookd: which app? --app APP_ID (the app's Apple ID, a number), or apple.app_id on webhook "
        << hook->name << "\n";
    return usage;
  }
  apple::WebhookSpec spec{"asc-webhookd " + hook->name, url_opt->second, "", apple::subscription_types(), true};
  if (secret_out != a.options.end()) {
    auto s = new_secret_file(secret_out->second, err);
    if (!s) return runtime;
    spec.secret = *s;
  } else {
    spec.secret = hook->secret.reveal();
  }
  auto& s = *ctx->session;
  // The webhook to update: the linked one, else the app's one with this URL.
  std::string existing;
  if (hook->apple && !hook->apple->webhook_id.empty()) {
    auto w = s.run(s.api->webhook(hook->apple->webhook_id));
    if (w) existing = w->id;
    else if (w.error().status != 404) return api_failed(w.error(), err);
  }
  if (existing.empty()) {
    auto list = s.run(s.api->app_webhooks(app_id));
    if (!list) return api_failed(list.error(), err);
    for (const auto& w : *list)
      if (w.url == spec.url) existing = w.id;
  }
  auto done = existing.empty() ? s.run(s.api->create_webhook(app_id, spec)) : s.run(s.api->update_webhook(existing, spec));
  if (!done) return api_failed(done.error(), err);
  out << (existing.empty() ? "created" : "updated") << " Apple's webhook " << done->id << " for app " << app_id << ": "
      << done->url << ", " << count_of(done->event_types.size(), "event type", "event types") << ", "
      << (done->enabled ? "enabled" : "disabled") << "\n";
  out << "in " << ctx->config_path << ", webhook " << hook->name << ":\n";
  if (secret_out != a.options.end())
    out << "    secret: ${file:" << std::filesystem::absolute(secret_out->second).string() << "}\n";
  out << "    apple:\n      app_id: \"" << app_id << "\"\n      webhook_id: " << done->id << "\n";
  return ok;
}

// --- apple deliveries -----------------------------------------------------------

int cmd_deliveries(const Args& a, std::ostream& out, std::ostream& err) {
  std::string state;
  if (auto it = a.options.find("--state"); it != a.options.end()) {
    state = it->second;
    for (auto& c : state) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (state != "FAILED" && state != "SUCCEEDED" && state != "PENDING") {
      err << "asc-webhookd: --state must be failed, succeeded or pending\n";
      return usage;
    }
  }
  int code = ok;
  auto ctx = open_apple(a, err, code);
  if (!ctx) return code;
  const auto* hook = linked_webhook(*ctx, a, err, code);
  if (!hook) return code;
  const std::int64_t now = ctx->session->clock.now_ms();
  auto since = since_option(a, now, err, code);
  if (!since) return code;
  auto list = ctx->session->run(ctx->session->api->deliveries(hook->apple->webhook_id, *since, now + 60'000));
  if (!list) return api_failed(list.error(), err);
  auto st = store_if_any(*ctx);
  out << "CREATED\tSENT\tSTATE\tHTTP\tERROR\tTYPE\tEVENT\tSTORED\n";
  for (const auto& d : *list) {
    if (!state.empty() && d.state != state) continue;
    std::string stored = "-";
    if (st && !d.event_id.empty()) {
      auto found = st->find_events(d.event_id);
      stored = found && std::any_of(found->begin(), found->end(), [&](const auto& e) { return e.webhook == hook->name; })
                   ? "yes" : "no";
    }
    out << (d.created.empty() ? "-" : d.created) << "\t" << (d.sent.empty() ? "-" : d.sent) << "\t" << d.state << "\t"
        << (d.http_status ? std::to_string(*d.http_status) : "-") << "\t" << (d.error.empty() ? "-" : d.error) << "\t"
        << (d.ping ? "ping" : d.event_type.empty() ? "-" : d.event_type) << "\t"
        << (d.event_id.empty() ? "-" : d.event_id) << "\t" << stored << "\n";
  }
  return ok;
}

// --- apple ping -------------------------------------------------------------------

int cmd_ping(const Args& a, std::ostream& out, std::ostream& err) {
  Duration wait = std::chrono::seconds(60);
  if (auto it = a.options.find("--wait"); it != a.options.end()) {
    auto d = parse_duration(it->second);
    if (!d) {
      err << "asc-webhookd: --wait takes a duration (60s, 2m), not \"" << it->second << "\"\n";
      return usage;
    }
    wait = *d;
  }
  int code = ok;
  auto ctx = open_apple(a, err, code);
  if (!ctx) return code;
  const auto* hook = linked_webhook(*ctx, a, err, code);
  if (!hook) return code;
  auto st = store_if_any(*ctx);
  auto& s = *ctx->session;
  const std::int64_t asked = s.clock.now_ms();
  auto ping = s.run(s.api->ping(hook->apple->webhook_id));
  if (!ping) return api_failed(ping.error(), err);
  out << "Apple accepted ping " << *ping << " for webhook " << hook->name << "\n";
  if (!st) {
    err << "asc-webhookd: no store at " << ctx->cfg->store.path
        << ": cannot see whether the ping arrived (run this beside the running daemon, as its user)\n";
    return runtime;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    store::EventQuery newest;
    newest.limit = 50;
    auto recent = st->list_events(newest);
    if (recent)
      for (const auto& e : *recent)
        if (e.webhook == hook->name && e.type == "webhookPingCreated" && e.received_at_ms >= asked) {
          out << "the ping arrived: event " << e.event_id << " stored as #" << e.seq << "\n";
          return ok;
        }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  // Not here: what does Apple say about it?
  std::string report = "Apple lists no ping delivery yet";
  auto list = s.run(s.api->deliveries(hook->apple->webhook_id, asked - 60'000, s.clock.now_ms() + 60'000));
  if (!list) {
    report = "Apple's delivery log could not be read: " + list.error().message;
  } else {
    for (const auto& d : *list)
      if (d.ping)
        report = "Apple's delivery " + d.id + " is " + d.state +
                 (d.http_status ? ", HTTP " + std::to_string(*d.http_status) : std::string()) +
                 (d.error.empty() ? std::string() : ": " + d.error);
  }
  err << "asc-webhookd: no ping reached the store within " << format_duration(wait) << "; " << report << "\n";
  return runtime;
}

// --- apple reconcile --------------------------------------------------------------

int cmd_reconcile(const Args& a, std::ostream& out, std::ostream& err) {
  int code = ok;
  auto ctx = open_apple(a, err, code);
  if (!ctx) return code;
  auto hooks = selected_webhooks(*ctx, a, err, code, /*linked=*/true);
  if (!hooks) return code;
  auto& s = *ctx->session;
  std::optional<std::int64_t> since;
  if (a.options.count("--since")) {
    since = since_option(a, s.clock.now_ms(), err, code);
    if (!since) return code;
  }
  auto st = open_existing_store(ctx->cfg->store, err, code);
  if (!st) return code;
  int result = ok;
  for (const auto* hook : *hooks) {
    auto pass = s.run(apple::reconcile_webhook(ctx->cfg, *hook, *s.api, *st, s.clock.now_ms(), since));
    out << pass.summary() << "\n";
    if (!pass.error.empty()) result = runtime;
  }
  return result;
}

}  // namespace

int cmd_apple(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string sub = a.positional.size() >= 2 ? a.positional[1] : "";
  if (a.positional.size() == 2) {
    if (sub == "webhooks") return cmd_webhooks(a, out, err);
    if (sub == "setup") return cmd_setup(a, out, err);
    if (sub == "ping") return cmd_ping(a, out, err);
    if (sub == "deliveries") return cmd_deliveries(a, out, err);
    if (sub == "reconcile") return cmd_reconcile(a, out, err);
  }
  err << "usage: asc-webhookd apple webhooks|setup|ping|deliveries|reconcile --config FILE ... (asc-webhookd --help)\n";
  return usage;
}

}  // namespace asc_webhookd::app::detail
