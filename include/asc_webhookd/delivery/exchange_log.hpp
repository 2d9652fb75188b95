#pragma once
// What one attempt sent and what came back, for its durable record (`event
// show`, the console): a JSON list with one object per request, as
// outbound::request_json writes it (method, URL, headers as [name, value]
// pairs, the body as sent; credentials masked), with the answer's status and
// first bytes under "answer" ({"status", "body"} or {"error"}). A Transport
// that passes every request on to the real one.
#include "asc_webhookd/outbound/transport.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::delivery {

class ExchangeLog final : public outbound::Transport {
public:
  static constexpr std::size_t kMaxBytes = 64 * 1024;  // each body, and the whole record: bodies left out beyond
  static constexpr std::size_t kAnswerBytes = 512;    // of each answer's body

  explicit ExchangeLog(outbound::Transport& inner) : inner_(inner) {}

  boost::asio::awaitable<outbound::HttpResult> send(outbound::ClientRequest request) override;

  // Masked in every request of this attempt besides its own credentials
  // (a screenshot link's signature inside a message).
  void also_mask(std::vector<std::string> secrets) { also_mask_ = std::move(secrets); }

  // The record so far as JSON text ("" when nothing was sent).
  std::string record() const { return exchanges_.empty() ? "" : exchanges_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

private:
  outbound::Transport& inner_;
  nlohmann::json exchanges_ = nlohmann::json::array();
  std::size_t bytes_ = 0;
  std::vector<std::string> also_mask_;
};

// A stored record read back: the list of exchanges. A record written as
// text by an earlier version becomes one exchange with its method and URL
// read from the first line and the rest as "body".
nlohmann::json exchanges_of(const std::string& record);

}  // namespace asc_webhookd::delivery
