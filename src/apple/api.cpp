#include "asc_webhookd/apple/api.hpp"

#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/outbound/exchange.hpp"
#include "asc_webhookd/outbound/request_check.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace asc_webhookd::apple {

namespace net = boost::asio;
using nlohmann::json;

void throw_exception_from_error(const ApiError& e, const boost::source_location&) { throw std::runtime_error(e.message); }

namespace {
constexpr int kMaxPages = 500;  // 200 deliveries a page: far beyond 10 days of any app's events
}  // namespace

Result<Api, Error> Api::create(const config::AppStoreConnectConfig& cfg, const Clock& clock, outbound::Transport& http,
                               Duration timeout) {
  auto token = TokenMinter::create(cfg, clock);
  if (!token) return token.error();
  return Api(cfg, std::move(*token), http, timeout);
}

net::awaitable<ApiResult<json>> Api::call(std::string method, std::string url, std::optional<json> body, unsigned expect) {
  outbound::ClientRequest req;
  req.method = method;
  req.url = url;
  req.timeout = timeout_;
  const std::string tok = token_.token();
  if (tok.empty()) co_return ApiError{"cannot sign an App Store Connect API token with app_store_connect.private_key", 0};
  req.headers = {{"Authorization", "Bearer " + tok}, {"Accept", "application/json"}};
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  req.secrets.push_back(tok);
  // What is asked, for the messages: the method and the path, not the host.
  const std::string what = method + " " + url.substr(std::min(url.size(), base_url_.size()));
  auto res = co_await http_->send(std::move(req));
  auto& reg = metrics::Registry::global();
  if (!res) {
    reg.inc("asc_webhookd_asc_api_calls_total", {{"code", "error"}});
    co_return ApiError{what + ": " + res.error().message, 0};
  }
  reg.inc("asc_webhookd_asc_api_calls_total", {{"code", std::to_string(res->status)}});
  if (const std::string limit = res->header("x-rate-limit"); !limit.empty()) {
    export_rate_limit(limit);
    rate_limit_ = parse_rate_limit(limit);
  }
  if (res->status != expect) {
    std::string message = what + ": App Store Connect API answered " + std::to_string(res->status);
    if (const std::string detail = outbound::service_message(res->body); !detail.empty()) message += ": " + detail;
    if (res->status == 401 || res->status == 403)
      message += " (is the API key revoked, or without the Admin or App Manager role?)";
    if (res->status == 429) message += " (rate limit: " + res->header("x-rate-limit") + ")";
    co_return ApiError{message, res->status};
  }
  if (res->status == 204) co_return ApiResult<json>(boost::system::in_place_value, nullptr);  // no content
  auto parsed = json::parse(res->body, nullptr, false);
  if (parsed.is_discarded()) co_return ApiError{what + ": the answer is not JSON", res->status};
  co_return ApiResult<json>(boost::system::in_place_value, std::move(parsed));
}

namespace {
template <class T>
ApiResult<T> decoded(Result<T, Error> r, const char* what) {
  if (!r) return ApiError{std::string(what) + ": " + r.error().message, 0};
  return ApiResult<T>(boost::system::in_place_value, std::move(*r));
}
ApiResult<Webhook> one_webhook(const ApiResult<json>& answer, const char* what) {
  if (!answer) return answer.error();
  auto list = decoded(decode_webhooks(*answer), what);
  if (!list) return list.error();
  if (list->size() != 1) return ApiError{std::string(what) + ": expected one webhook in Apple's answer", 0};
  return list->front();
}
}  // namespace

net::awaitable<ApiResult<std::vector<Webhook>>> Api::app_webhooks(const std::string& app_id) {
  std::vector<Webhook> out;
  std::string url = base_url_ + "/v1/apps/" + app_id + "/webhooks?limit=200";
  std::set<std::string> seen;
  for (int page = 0; page < kMaxPages && !url.empty(); ++page) {
    auto answer = co_await call("GET", url, std::nullopt, 200);
    if (!answer) co_return answer.error();
    auto list = decoded(decode_webhooks(*answer), "the app's webhooks");
    if (!list) co_return list.error();
    out.insert(out.end(), list->begin(), list->end());
    const std::string next = next_link(*answer);
    url.clear();
    if (next.empty() || !seen.insert(next).second) break;
    std::string why;
    auto at_base = link_at_base(base_url_, next, why);
    if (!at_base) co_return ApiError{"the app's webhooks: links.next " + why, 0};
    url = *at_base;
  }
  co_return out;
}

net::awaitable<ApiResult<Webhook>> Api::webhook(const std::string& webhook_id) {
  co_return one_webhook(co_await call("GET", base_url_ + "/v1/webhooks/" + webhook_id, std::nullopt, 200), "the webhook");
}

net::awaitable<ApiResult<Webhook>> Api::create_webhook(const std::string& app_id, const WebhookSpec& spec) {
  co_return one_webhook(co_await call("POST", base_url_ + "/v1/webhooks", webhook_create_body(app_id, spec), 201),
                        "the created webhook");
}

net::awaitable<ApiResult<Webhook>> Api::update_webhook(const std::string& webhook_id, const WebhookSpec& spec) {
  co_return one_webhook(
      co_await call("PATCH", base_url_ + "/v1/webhooks/" + webhook_id, webhook_update_body(webhook_id, spec), 200),
      "the updated webhook");
}

net::awaitable<ApiResult<std::string>> Api::ping(const std::string& webhook_id) {
  auto answer = co_await call("POST", base_url_ + "/v1/webhookPings", ping_body(webhook_id), 201);
  if (!answer) co_return answer.error();
  co_return decoded(decode_created_id(*answer, "webhookPings"), "the ping");
}

net::awaitable<ApiResult<std::vector<Delivery>>> Api::deliveries(const std::string& webhook_id, std::int64_t since_ms,
                                                                 std::int64_t until_ms) {
  std::string url = base_url_ + "/v1/webhooks/" + webhook_id +
                    "/deliveries?include=event&limit=200&filter%5BcreatedDateGreaterThanOrEqualTo%5D=" +
                    apple_time(since_ms) + "&filter%5BcreatedDateLessThan%5D=" + apple_time(until_ms);
  std::vector<Delivery> out;
  std::set<std::string> seen;  // a next link seen before would loop
  for (int page = 0; page < kMaxPages && !url.empty(); ++page) {
    auto answer = co_await call("GET", url, std::nullopt, 200);
    if (!answer) co_return answer.error();
    auto decoded_page = decoded(decode_deliveries(*answer), "the delivery log");
    if (!decoded_page) co_return decoded_page.error();
    out.insert(out.end(), decoded_page->deliveries.begin(), decoded_page->deliveries.end());
    url.clear();
    if (decoded_page->next.empty()) break;
    if (!seen.insert(decoded_page->next).second)
      co_return ApiError{"the delivery log: links.next repeats an earlier page (" + decoded_page->next + ")", 0};
    std::string why;
    auto at_base = link_at_base(base_url_, decoded_page->next, why);
    if (!at_base) co_return ApiError{"the delivery log: links.next " + why, 0};
    url = *at_base;
  }
  std::stable_sort(out.begin(), out.end(), [](const Delivery& a, const Delivery& b) { return a.created_ms < b.created_ms; });
  co_return out;
}

// --- customer reviews ---------------------------------------------------------

net::awaitable<ApiResult<ReviewPage>> Api::review_page(const std::string& app_id, const std::vector<std::string>& territories,
                                                       const std::string& next) {
  std::string url;
  if (next.empty()) {
    // Newest first, with each review's response; 200 is Apple's largest page.
    url = base_url_ + "/v1/apps/" + app_id + "/customerReviews?sort=-createdDate&include=response&limit=200";
    if (!territories.empty()) {
      url += "&filter%5Bterritory%5D=";
      for (std::size_t i = 0; i < territories.size(); ++i) url += (i ? "," : "") + territories[i];
    }
  } else {
    std::string why;
    auto at_base = link_at_base(base_url_, next, why);
    if (!at_base) co_return ApiError{"the app's customer reviews: links.next " + why, 0};
    url = *at_base;
  }
  auto answer = co_await call("GET", url, std::nullopt, 200);
  if (!answer) co_return answer.error();
  co_return decoded(decode_review_page(*answer, app_id), "the app's customer reviews");
}

net::awaitable<ApiResult<CustomerReview>> Api::review(const std::string& review_id, const std::string& app_id) {
  auto answer = co_await call("GET", base_url_ + "/v1/customerReviews/" + outbound::encode_component(review_id) +
                                         "?include=response",
                              std::nullopt, 200);
  if (!answer) co_return answer.error();
  co_return decoded(decode_review(*answer, app_id), "the customer review");
}

namespace {
// Reading reviews works with most roles; answering them does not.
ApiError with_reply_roles(ApiError e) {
  const std::string hint = " (is the API key revoked, or without the Admin or App Manager role?)";
  if (auto at = e.message.find(hint); e.status == 403 && at != std::string::npos)
    e.message.replace(at, hint.size(), " (answering reviews needs a key with the Admin role; App Manager can only read them)");
  return e;
}
}  // namespace

net::awaitable<ApiResult<ReviewResponse>> Api::reply(const std::string& review_id, const std::string& text) {
  auto answer = co_await call("POST", base_url_ + "/v1/customerReviewResponses", review_reply_body(review_id, text), 201);
  if (!answer) co_return with_reply_roles(answer.error());
  co_return decoded(decode_review_response(*answer), "the review's response");
}

net::awaitable<ApiResult<bool>> Api::delete_response(const std::string& response_id) {
  auto answer = co_await call("DELETE", base_url_ + "/v1/customerReviewResponses/" + outbound::encode_component(response_id),
                              std::nullopt, 204);
  if (!answer) co_return with_reply_roles(answer.error());
  co_return true;
}

}  // namespace asc_webhookd::apple
