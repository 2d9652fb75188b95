#include "asc_webhookd/delivery/exchange_log.hpp"

#include "asc_webhookd/integrations/common/notice.hpp"
#include "asc_webhookd/outbound/request_text.hpp"

namespace asc_webhookd::delivery {

using nlohmann::json;

namespace {

// An answer that hands out a credential (an app installation token) is
// recorded by its status only: the store never holds a secret.
bool answer_holds_credential(const std::string& url) { return url.find("/access_tokens") != std::string::npos; }

// A downloaded file (a screenshot) is recorded by its size and type: its
// bytes are not text, and the record is.
bool answer_is_file(const outbound::ClientResponse& res) {
  const std::string type = res.header("content-type");
  return type.rfind("image/", 0) == 0 || type.rfind("application/octet-stream", 0) == 0;
}

}  // namespace

boost::asio::awaitable<outbound::HttpResult> ExchangeLog::send(outbound::ClientRequest request) {
  request.secrets.insert(request.secrets.end(), also_mask_.begin(), also_mask_.end());
  // Past the record's limit, later requests are kept without their bodies.
  json shown = outbound::request_json(request, bytes_ < kMaxBytes ? kMaxBytes : 0);
  const bool hide_answer = answer_holds_credential(request.url);
  const auto secrets = request.secrets;
  auto result = co_await inner_.send(std::move(request));
  json answer;
  if (!result) {
    answer = {{"error", result.error().message}};
  } else {
    answer = {{"status", result->status}, {"body", ""}};
    if (hide_answer && !result->body.empty())
      answer["body"] = "(body not recorded: it holds a credential)";
    else if (answer_is_file(*result))
      answer["body"] = "(" + std::to_string(result->body.size()) + " bytes of " + result->header("content-type") + ")";
    else
      answer["body"] = actions::truncate_utf8(outbound::mask(result->body, secrets), kAnswerBytes);
  }
  shown["answer"] = std::move(answer);
  bytes_ += shown["body"].get_ref<const std::string&>().size() + 1024;
  exchanges_.push_back(std::move(shown));
  co_return result;
}

json exchanges_of(const std::string& record) {
  if (record.empty()) return json::array();
  auto parsed = json::parse(record, nullptr, false);
  if (parsed.is_array()) return parsed;
  const std::string first = record.substr(0, record.find('\n'));
  const auto sp = first.find(' ');
  json one = {{"method", sp == std::string::npos ? "" : first.substr(0, sp)},
              {"url", sp == std::string::npos ? "" : first.substr(sp + 1)},
              {"headers", json::array()},
              {"body", record}};
  return json::array({one});
}

}  // namespace asc_webhookd::delivery
