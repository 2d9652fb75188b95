#include "asc_webhookd/http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <strings.h>

namespace asc_webhookd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

namespace {

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;
};

Result<Target, Error> parse_target(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return Error{"not an absolute URL"};
  Target t;
  if (u->scheme() == "https") t.tls = true;
  else if (u->scheme() != "http") return Error{"unsupported URL scheme " + std::string(u->scheme())};
  t.host = std::string(u->host_address());
  if (t.host.empty()) return Error{"URL has no host"};
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = std::string(u->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

template <class Stream>
net::awaitable<Result<ClientResponse, Error>> exchange(Stream& stream, const ClientRequest& request,
                                                        const Target& target) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method), target.path, 11};
  bool ipv6 = target.host.find(':') != std::string::npos;
  std::string host_header = ipv6 ? "[" + target.host + "]" : target.host;
  if (target.port != (target.tls ? "443" : "80")) host_header += ":" + target.port;
  req.set(bhttp::field::host, host_header);
  req.set(bhttp::field::user_agent, "asc-webhookd/" ASC_WEBHOOKD_VERSION);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
  if (wec) co_return Error{"sending the request failed: " + wec.message()};
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(request.max_response);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  if (rec == bhttp::error::body_limit) co_return Error{"response larger than " + std::to_string(request.max_response) + " bytes"};
  if (rec) co_return Error{"reading the response failed: " + rec.message()};
  ClientResponse out;
  auto& res = parser.get();
  out.status = res.result_int();
  for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  out.body = std::move(res.body());
  co_return out;
}

net::awaitable<Result<ClientResponse, Error>> run(ClientRequest request) {
  auto target = parse_target(request.url);
  if (!target) co_return target.error();
  auto ex = co_await net::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(target->host, target->port, use_tuple);
  if (rec) co_return Error{"cannot resolve " + target->host + ": " + rec.message()};
  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_after(request.timeout);
  auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, use_tuple);
  if (cec) co_return Error{"cannot connect to " + target->host + ":" + target->port + ": " + cec.message()};
  if (!target->tls) co_return co_await exchange(tcp_stream, request, *target);

  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.set_options(net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str()))
    co_return Error{"cannot set TLS server name"};
  stream.set_verify_callback(net::ssl::host_name_verification(target->host));
  auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::client, use_tuple);
  if (hec) co_return Error{"TLS handshake with " + target->host + " failed: " + hec.message()};
  co_return co_await exchange(stream, request, *target);
}

}  // namespace

Result<ClientResponse, Error> fetch_blocking(const ClientRequest& request) {
  net::io_context ioc;
  std::optional<Result<ClientResponse, Error>> result;
  net::co_spawn(ioc, run(request), [&](std::exception_ptr e, Result<ClientResponse, Error> r) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        result = Error{ex.what()};
      }
    } else {
      result = std::move(r);
    }
  });
  ioc.run();
  if (!result) return Error{"request did not complete"};
  return std::move(*result);
}

}  // namespace asc_webhookd::http
