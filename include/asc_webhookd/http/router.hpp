#pragma once
// Maps a parsed request to its answer (DESIGN.md §5). Pure request →
// response; the server owns sockets, deadlines and limits.
#include "asc_webhookd/config/config.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>

namespace asc_webhookd::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct RequestInfo {
  std::string request_id;
  std::string remote;  // client address (X-Forwarded-For honoured from trusted proxies)
};

// A JSON answer with the headers every answer carries.
Response json_response(unsigned status, const std::string& json_body, const Request& req, const RequestInfo& info);

class Router {
public:
  using ConfigSource = std::function<std::shared_ptr<const config::Config>()>;
  explicit Router(ConfigSource config) : config_(std::move(config)) {}
  virtual ~Router() = default;

  virtual Response handle(Request& req, const RequestInfo& info);

protected:
  Response webhook(Request& req, const RequestInfo& info, std::string_view name);
  ConfigSource config_;
};

}  // namespace asc_webhookd::http
