#pragma once
// What one attempt sent and what came back, for its durable record (`event
// show`, the console): each request as `simulate` prints it (method, URL,
// headers, body; credentials masked), then the answer's status and first
// bytes. A Transport that passes every request on to the real one.
#include "asc_webhookd/outbound/transport.hpp"

#include <boost/asio/awaitable.hpp>

#include <string>

namespace asc_webhookd::delivery {

class ExchangeLog final : public outbound::Transport {
public:
  static constexpr std::size_t kMaxBytes = 64 * 1024;  // the whole record, cut beyond
  static constexpr std::size_t kAnswerBytes = 512;    // of each answer's body

  explicit ExchangeLog(outbound::Transport& inner) : inner_(inner) {}

  boost::asio::awaitable<outbound::HttpResult> send(outbound::ClientRequest request) override;

  // The record so far ("" when nothing was sent).
  const std::string& text() const { return text_; }

private:
  void append(const std::string& part);

  outbound::Transport& inner_;
  std::string text_;
  bool cut_ = false;
};

}  // namespace asc_webhookd::delivery
