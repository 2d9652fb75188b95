#include "asc_webhookd/delivery/exchange_log.hpp"

#include "asc_webhookd/actions/slack_message.hpp"

namespace asc_webhookd::delivery {

namespace {

// An answer that hands out a credential (GitHub's installation token) is
// recorded by its status only: the store never holds a secret.
bool answer_holds_credential(const std::string& url) { return url.find("/access_tokens") != std::string::npos; }

}  // namespace

void ExchangeLog::append(const std::string& part) {
  if (cut_) return;
  if (text_.size() + part.size() <= kMaxBytes) {
    text_ += part;
    return;
  }
  text_ = actions::truncate_utf8(text_ + part, kMaxBytes - 40) + "\n[cut at 64 KiB]\n";
  cut_ = true;
}

boost::asio::awaitable<actions::HttpResult> ExchangeLog::send(http::ClientRequest request) {
  const std::string shown = actions::describe(request);
  const bool hide_answer = answer_holds_credential(request.url);
  const auto secrets = request.secrets;
  auto result = co_await inner_.send(std::move(request));
  std::string answer;
  if (!result) {
    answer = "→ no answer: " + result.error().message + "\n";
  } else {
    answer = "→ " + std::to_string(result->status) + "\n";
    if (hide_answer && !result->body.empty()) {
      answer += "(body not recorded: it holds a credential)\n";
    } else if (!result->body.empty()) {
      std::string body = actions::mask(result->body, secrets);
      answer += actions::truncate_utf8(body, kAnswerBytes) + "\n";
    }
  }
  append((text_.empty() ? "" : "\n") + shown + answer);
  co_return result;
}

}  // namespace asc_webhookd::delivery
