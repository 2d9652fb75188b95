// `asc-webhookd review show|reply|unreply|poll`: customer reviews from the
// command line. Like the apple commands they resolve only
// app_store_connect's key; `poll` opens the store (never creates it).
#include "apple_context.hpp"

#include "asc_webhookd/app/cli.hpp"
#include "asc_webhookd/apple/review_poll.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/store/store.hpp"

#include <pwd.h>
#include <unistd.h>

namespace asc_webhookd::app::detail {

namespace {

// Who answered, for the log line: the account running the command.
std::string operator_name() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return std::string("cli:") + pw->pw_name;
  return "cli:uid-" + std::to_string(::geteuid());
}

// The review id of `review show|reply|unreply ID`.
const std::string* review_id(const Args& a, std::ostream& err, int& code) {
  if (a.positional.size() != 3 || a.positional[2].empty()) {
    err << "usage: asc-webhookd review " << (a.positional.size() > 1 ? a.positional[1] : "show")
        << " ID --config FILE (ID: the review's id, as in the event's data.id)\n";
    code = usage;
    return nullptr;
  }
  return &a.positional[2];
}

// The review ID names, as App Store Connect has it now, and the session
// that read it; nullopt with `code` (and the reason said) otherwise.
struct NamedReview {
  AppleContext ctx;
  apple::CustomerReview review;
};
std::optional<NamedReview> named_review(const Args& a, std::ostream& err, int& code) {
  const std::string* id = review_id(a, err, code);
  if (!id) return std::nullopt;
  auto ctx = open_apple(a, err, code);
  if (!ctx) return std::nullopt;
  auto review = ctx->session->run(ctx->session->api->review(*id));
  if (!review) {
    code = api_failed(review.error(), err);
    return std::nullopt;
  }
  return NamedReview{std::move(*ctx), std::move(*review)};
}

int cmd_show(const Args& a, std::ostream& out, std::ostream& err) {
  int code = ok;
  auto named = named_review(a, err, code);
  if (!named) return code;
  out << apple::review_json(named->review).dump(2) << "\n";
  return ok;
}

int cmd_reply(const Args& a, std::ostream& out, std::ostream& err) {
  int code = ok;
  const std::string* id = review_id(a, err, code);
  if (!id) return code;
  auto text = a.options.find("--text");
  if (text == a.options.end() || text->second.find_first_not_of(" \t\r\n") == std::string::npos) {
    err << "asc-webhookd: review reply needs --text TEXT (the response customers will read)\n";
    return usage;
  }
  auto ctx = open_apple(a, err, code);
  if (!ctx) return code;
  auto answer = ctx->session->run(ctx->session->api->reply(*id, text->second));
  if (!answer) return api_failed(answer.error(), err);
  log::get("reviews")->info("review reply review={} response={} state={} by={}", *id, answer->id, answer->state,
                            operator_name());
  out << "review " << *id << ": response " << answer->id << " " << answer->state
      << (answer->state == "PENDING_PUBLISH" ? " (Apple publishes it after its own review)" : "") << "\n";
  return ok;
}

int cmd_unreply(const Args& a, std::ostream& out, std::ostream& err) {
  int code = ok;
  auto named = named_review(a, err, code);
  if (!named) return code;
  const std::string& id = a.positional[2];  // as the operator wrote it
  const auto& response = named->review.response;
  if (!response) {
    err << "asc-webhookd: review " << id << " has no response to delete\n";
    return invalid;
  }
  auto& session = *named->ctx.session;
  auto deleted = session.run(session.api->delete_response(response->id));
  if (!deleted) return api_failed(deleted.error(), err);
  log::get("reviews")->info("review unreply review={} response={} by={}", id, response->id, operator_name());
  out << "review " << id << ": response " << response->id << " deleted\n";
  return ok;
}

int cmd_poll(const Args& a, std::ostream& out, std::ostream& err) {
  int code = ok;
  auto ctx = open_apple(a, err, code);
  if (!ctx) return code;
  std::vector<const config::WebhookConfig*> hooks;
  if (a.options.count("--webhook")) {
    const auto* hook = named_webhook(*ctx, a, err, code);
    if (!hook) return code;
    hooks.push_back(hook);
  } else {
    for (const auto& w : ctx->cfg->webhooks) hooks.push_back(&w);
  }
  std::erase_if(hooks, [&](const config::WebhookConfig* w) {
    const bool polled = w->apple && w->apple->reviews;
    if (!polled && a.options.count("--webhook"))
      err << "asc-webhookd: webhook " << w->name << " has no apple.reviews (add reviews: under its apple:)\n";
    return !polled;
  });
  if (hooks.empty()) {
    if (!a.options.count("--webhook")) err << "asc-webhookd: no webhook has apple.reviews\n";
    return invalid;
  }
  auto st = open_existing_store(ctx->cfg->store, err, code);
  if (!st) return code;
  int result = ok;
  auto& s = *ctx->session;
  for (const auto* hook : hooks) {
    auto pass = s.run(apple::poll_reviews(ctx->cfg, *hook, *s.api, *st, s.clock.now_ms()));
    out << pass.summary() << "\n";
    if (!pass.error.empty()) result = runtime;
  }
  return result;
}

}  // namespace

int cmd_review(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string sub = a.positional.size() >= 2 ? a.positional[1] : "";
  if (sub == "show") return cmd_show(a, out, err);
  if (sub == "reply") return cmd_reply(a, out, err);
  if (sub == "unreply") return cmd_unreply(a, out, err);
  if (sub == "poll" && a.positional.size() == 2) return cmd_poll(a, out, err);
  err << "usage: asc-webhookd review show|reply|unreply ID --config FILE, or review poll --config FILE (asc-webhookd --help)\n";
  return usage;
}

}  // namespace asc_webhookd::app::detail
