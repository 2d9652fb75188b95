// /api/v1/reviews/{id}: a customer review and its response, and the
// console's Reply box (PUT creates or replaces the response, DELETE removes
// it). Each call goes to App Store Connect with the daemon's API key, from
// the io thread (the client is asynchronous); Apple's refusals come back
// with Apple's reason and status. Every change is logged with who (the
// client address) and which review.
#include "console_impl.hpp"

#include "asc_webhookd/apple/api.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/outbound/client.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>

namespace asc_webhookd::admin {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

// Apple's answer to the console: its 4xx as they are (the review is
// unknown, the text too long, the key may not answer), anything else 502.
http::Response apple_refused(const apple::ApiError& e, const http::Request& req, const http::RequestInfo& info) {
  const unsigned status = e.status >= 400 && e.status < 500 ? e.status : 502;
  return api_error(status, e.message, req, info);
}

}  // namespace

net::awaitable<http::Response> Console::Impl::reviews(http::Request& req, const http::RequestInfo& info,
                                                      const std::string& review_id, bool response_path) {
  auto cfg = config();
  if (!cfg->app_store_connect)
    co_return api_error(409, "reviews are read and answered with an App Store Connect API key: configure app_store_connect",
                        req, info);
  auto ex = co_await net::this_coro::executor;
  outbound::HttpClient client(ex);
  outbound::ClientTransport transport(client);
  auto api = apple::Api::create(*cfg->app_store_connect, clock, transport, cfg->delivery.timeout);
  if (!api) co_return api_error(503, api.error().message, req, info);
  auto lg = log::get("admin");
  const auto method = req.method();

  if (!response_path) {
    if (method != bhttp::verb::get) {
      auto res = api_error(405, "method not allowed; use GET", req, info);
      res.set(bhttp::field::allow, "GET");
      co_return res;
    }
    auto review = co_await api->review(review_id);
    if (!review) co_return apple_refused(review.error(), req, info);
    co_return api_json(200, apple::review_json(*review), req, info);
  }

  if (method == bhttp::verb::put) {
    auto body = json::parse(req.body(), nullptr, false);
    if (!body.is_object() || !body.contains("text") || !body["text"].is_string())
      co_return api_error(400, "the body is {\"text\": \"...\"}: the response customers will read", req, info);
    const std::string text = body["text"].get<std::string>();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
      co_return api_error(400, "text is empty; to remove the response, DELETE it", req, info);
    auto made = co_await api->reply(review_id, text);
    if (!made) {
      lg->warn("admin review reply review={} refused error=\"{}\" remote={} request_id={}", review_id, made.error().message,
               info.remote, info.request_id);
      co_return apple_refused(made.error(), req, info);
    }
    lg->info("admin review reply review={} response={} state={} remote={} request_id={}", review_id, made->id, made->state,
             info.remote, info.request_id);
    co_return api_json(200, {{"id", made->id}, {"state", made->state}}, req, info);
  }

  if (method == bhttp::verb::delete_) {
    auto review = co_await api->review(review_id);
    if (!review) co_return apple_refused(review.error(), req, info);
    if (!review->response) co_return api_error(404, "review " + review_id + " has no response", req, info);
    auto deleted = co_await api->delete_response(review->response->id);
    if (!deleted) co_return apple_refused(deleted.error(), req, info);
    lg->info("admin review unreply review={} response={} remote={} request_id={}", review_id, review->response->id,
             info.remote, info.request_id);
    co_return api_json(200, {{"deleted", review->response->id}}, req, info);
  }

  auto res = api_error(405, "method not allowed; use PUT or DELETE", req, info);
  res.set(bhttp::field::allow, "PUT, DELETE");
  co_return res;
}

}  // namespace asc_webhookd::admin
