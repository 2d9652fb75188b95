#pragma once
// The App Store Connect API calls behind `asc-webhookd apple …` and
// reconcile: an app's webhooks, create/update one, a ping, and the delivery
// log (every page: `links.next` requested at base_url, a repeated link
// refused). Apple's errors are shown with their errors[].detail; each
// answer's X-Rate-Limit is exported; a 429 is returned at once as
// `rate_limited` (the caller tries again later: a pass later, or the
// operator), never hammered.
#include "asc_webhookd/outbound/transport.hpp"
#include "asc_webhookd/apple/access.hpp"
#include "asc_webhookd/apple/resources.hpp"
#include "asc_webhookd/apple/reviews.hpp"

#include <boost/asio/awaitable.hpp>

namespace asc_webhookd::apple {

struct ApiError {
  std::string message;  // "App Store Connect API answered 404: NOT_FOUND: …", or the network failure
  unsigned status = 0;  // 0: no answer
  bool rate_limited() const { return status == 429; }
};
[[noreturn]] void throw_exception_from_error(const ApiError& e, const boost::source_location& loc);

template <class T>
using ApiResult = Result<T, ApiError>;

class Api {
public:
  static Result<Api, Error> create(const config::AppStoreConnectConfig& cfg, const Clock& clock, outbound::Transport& http,
                                   Duration timeout = std::chrono::seconds(30));

  boost::asio::awaitable<ApiResult<std::vector<Webhook>>> app_webhooks(const std::string& app_id);
  boost::asio::awaitable<ApiResult<Webhook>> webhook(const std::string& webhook_id);
  boost::asio::awaitable<ApiResult<Webhook>> create_webhook(const std::string& app_id, const WebhookSpec& spec);
  boost::asio::awaitable<ApiResult<Webhook>> update_webhook(const std::string& webhook_id, const WebhookSpec& spec);
  // Asks Apple for a test delivery; the ping's id.
  boost::asio::awaitable<ApiResult<std::string>> ping(const std::string& webhook_id);
  // The deliveries created in [since_ms, until_ms), oldest first, with their
  // events. No deliveryState filter: the live API refused it.
  boost::asio::awaitable<ApiResult<std::vector<Delivery>>> deliveries(const std::string& webhook_id, std::int64_t since_ms,
                                                                      std::int64_t until_ms);

  // Customer reviews (apple/reviews.hpp). One page of the app's reviews,
  // newest first, with their responses; `next` is the previous page's
  // links.next ("" for the first page), refused unless on Apple's host.
  boost::asio::awaitable<ApiResult<ReviewPage>> review_page(const std::string& app_id,
                                                            const std::vector<std::string>& territories,
                                                            const std::string& next);
  // One review with its response (`app_id` only fills the review's links).
  boost::asio::awaitable<ApiResult<CustomerReview>> review(const std::string& review_id, const std::string& app_id = "");
  // Creates the review's response, or replaces the one it has.
  boost::asio::awaitable<ApiResult<ReviewResponse>> reply(const std::string& review_id, const std::string& text);
  // Deletes a response (by the response's id).
  boost::asio::awaitable<ApiResult<bool>> delete_response(const std::string& response_id);

  // The X-Rate-Limit of the last answer that had one.
  const RateLimit& rate_limit() const { return rate_limit_; }

private:
  Api(const config::AppStoreConnectConfig& cfg, TokenMinter token, outbound::Transport& http, Duration timeout)
      : base_url_(cfg.base_url), token_(std::move(token)), http_(&http), timeout_(timeout) {}
  boost::asio::awaitable<ApiResult<nlohmann::json>> call(std::string method, std::string url,
                                                         std::optional<nlohmann::json> body, unsigned expect);

  std::string base_url_;
  TokenMinter token_;
  outbound::Transport* http_;
  Duration timeout_;
  RateLimit rate_limit_;
};

}  // namespace asc_webhookd::apple
