#include "asc_webhookd/delivery/exchange_log.hpp"

#include "asc_webhookd/integrations/common/notice.hpp"
#include "asc_webhookd/outbound/request_text.hpp"

namespace asc_webhookd::delivery {

namespace {

// An answer that hands out a credential (an app installation token) is
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

boost::asio::awaitable<outbound::HttpResult> ExchangeLog::send(outbound::ClientRequest request) {
  const std::string shown = outbound::describe(request);
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
      std::string body = outbound::mask(result->body, secrets);
      answer += actions::truncate_utf8(body, kAnswerBytes) + "\n";
    }
  }
  append((text_.empty() ? "" : "\n") + shown + answer);
  co_return result;
}

}  // namespace asc_webhookd::delivery
