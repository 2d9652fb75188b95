#pragma once
// Maps a parsed request to its answer (docs/http.md). The server owns
// sockets, deadlines and limits; the router routes: a webhook's POST to the
// ingest pipeline (ingest/receive.hpp), the rest to its endpoint.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/store.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>

namespace asc_webhookd::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct RequestInfo {
  std::string request_id;
  std::string remote;  // client address (X-Forwarded-For honoured from trusted proxies)
  std::string peer;    // the connection's own address (the proxy, behind one)
};

// JSON text of an answer; bytes that are not UTF-8 (from the client: a path,
// a parse error quoting the body) become U+FFFD instead of throwing.
std::string json_text(const nlohmann::json& j);

// A JSON answer with the headers every answer carries.
Response json_response(unsigned status, const std::string& json_body, const Request& req, const RequestInfo& info);

// The metrics label of a request target: its endpoint's path ("/webhooks",
// "/healthz", ...) or "other"; never the raw path.
std::string_view route_label(std::string_view target);

class Router {
public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;

  struct Dependencies {
    ConfigSource config;
    store::Store* store = nullptr;
    const Clock* clock = nullptr;
    std::function<void()> jobs_stored;  // wakes the delivery workers
    // The delivery console (/api, /ui); null: those paths answer 404 here.
    std::function<boost::asio::awaitable<Response>(Request&, const RequestInfo&)> console;
    bool console_only = false;  // the admin listener: nothing but the console
  };

  explicit Router(Dependencies deps) : deps_(std::move(deps)) {}
  virtual ~Router() = default;

  virtual boost::asio::awaitable<Response> handle(Request& req, const RequestInfo& info);

protected:
  boost::asio::awaitable<Response> webhook(Request& req, const RequestInfo& info, std::string_view name);
  boost::asio::awaitable<Response> ready(Request& req, const RequestInfo& info);
  Dependencies deps_;
};

}  // namespace asc_webhookd::http
