#include "asc_webhookd/outbound/client.hpp"

#include "asc_webhookd/outbound/request_check.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <strings.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

namespace asc_webhookd::outbound {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr auto kIdleLimit = std::chrono::seconds(30);  // below common server keep-alive timeouts
constexpr std::size_t kIdlePerHost = 8;

std::string ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

ProxySettings ProxySettings::from_environment() {
  auto env = [](const char* upper, const char* lower) {
    if (const char* v = std::getenv(lower); v && *v) return std::string(v);
    if (const char* v = std::getenv(upper); v && *v) return std::string(v);
    return std::string();
  };
  return {env("HTTP_PROXY", "http_proxy"), env("HTTPS_PROXY", "https_proxy"), env("NO_PROXY", "no_proxy")};
}

std::string ProxySettings::proxy_for(const std::string& scheme, const std::string& host) const {
  const std::string& proxy = scheme == "https" ? https_proxy : http_proxy;
  if (proxy.empty()) return {};
  std::size_t pos = 0;
  while (pos <= no_proxy.size()) {
    auto comma = no_proxy.find(',', pos);
    std::string item = no_proxy.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? no_proxy.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) continue;
    if (item == "*") return {};
    if (auto colon = item.rfind(':'); colon != std::string::npos && item.find(']') == std::string::npos &&
                                      item.find(':') == colon)
      item.resize(colon);  // "host:port" entries match the host
    std::string bare = item.front() == '.' ? item.substr(1) : item;
    if (strcasecmp(host.c_str(), bare.c_str()) == 0) return {};
    if (host.size() > bare.size() && host[host.size() - bare.size() - 1] == '.' &&
        strcasecmp(host.c_str() + host.size() - bare.size(), bare.c_str()) == 0)
      return {};
  }
  return proxy;
}

namespace {

struct Target {
  bool tls = false;
  std::string scheme;
  std::string host;
  std::string port;
  std::string path;
  std::string key() const { return scheme + "://" + host + ":" + port; }
};

Result<Target, Error> parse_target(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return Error{"not an absolute URL"};
  Target t;
  t.scheme = std::string(u->scheme());
  if (t.scheme == "https") t.tls = true;
  else if (t.scheme != "http") return Error{"unsupported URL scheme " + t.scheme};
  t.host = std::string(u->host_address());
  if (t.host.empty()) return Error{"URL has no host"};
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = std::string(u->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

}  // namespace

// One connection: plain, or TLS over TCP. Used by one request at a time.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  std::chrono::steady_clock::time_point idle_since;
  bool via_http_proxy = false;  // absolute-form request targets
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

struct HttpClient::Impl {
  net::any_io_executor executor;
  ProxySettings proxy;
  // Made on the first https request: loading the system's CA store costs
  // ~20 ms, paid otherwise by every start (and every test daemon) that never
  // speaks TLS.
  std::once_flag tls_once;
  std::optional<net::ssl::context> tls_ctx;
  mutable std::mutex mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  Impl(net::any_io_executor ex, ProxySettings p) : executor(std::move(ex)), proxy(std::move(p)) {}

  net::ssl::context& tls_context() {
    std::call_once(tls_once, [this] {
      tls_ctx.emplace(net::ssl::context::tls_client);
      tls_ctx->set_options(net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
      tls_ctx->set_default_verify_paths();
      tls_ctx->set_verify_mode(net::ssl::verify_peer);
    });
    return *tls_ctx;
  }

  std::unique_ptr<Connection> take(const std::string& key) {
    std::lock_guard lock(mutex);
    auto it = idle.find(key);
    while (it != idle.end() && !it->second.empty()) {
      auto c = std::move(it->second.back());
      it->second.pop_back();
      // Bytes that arrived while nobody asked (a late answer, a server's
      // stray output) would be read as the next request's answer.
      boost::system::error_code ec;
      const bool quiet = c->tcp().socket().available(ec) == 0 && !ec;
      if (quiet && std::chrono::steady_clock::now() - c->idle_since < kIdleLimit) return c;
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> c) {
    c->idle_since = std::chrono::steady_clock::now();
    c->tcp().expires_never();
    std::lock_guard lock(mutex);
    auto& v = idle[key];
    if (v.size() < kIdlePerHost) v.push_back(std::move(c));
  }

  net::awaitable<Result<std::unique_ptr<Connection>, Error>> connect(const Target& t, Duration timeout) {
    auto c = std::make_unique<Connection>();
    auto proxy_url = proxy.proxy_for(t.scheme, t.host);
    std::string host = t.host, port = t.port;
    if (!proxy_url.empty()) {
      auto p = parse_target(proxy_url);
      if (!p) co_return Error{"bad proxy URL " + proxy_url + ": " + p.error().message};
      host = p->host;
      port = p->port;
    }
    tcp::resolver resolver(executor);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, use_tuple);
    if (rec) co_return Error{"cannot resolve " + host + ": " + rec.message()};
    auto stream = std::make_unique<beast::tcp_stream>(executor);
    stream->expires_after(timeout);
    auto [cec, ep] = co_await stream->async_connect(endpoints, use_tuple);
    if (cec) co_return Error{"cannot connect to " + host + ":" + port + ": " + cec.message()};
    if (!proxy_url.empty() && t.tls) {
      // An HTTPS target through a proxy: a CONNECT tunnel, then TLS inside it.
      bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, t.host + ":" + t.port, 11};
      req.set(bhttp::field::host, t.host + ":" + t.port);
      auto [wec, wn] = co_await bhttp::async_write(*stream, req, use_tuple);
      if (wec) co_return Error{"proxy CONNECT failed: " + wec.message()};
      beast::flat_buffer buf;
      bhttp::response_parser<bhttp::empty_body> parser;
      parser.skip(true);  // a CONNECT answer has no body
      auto [pec, pn] = co_await bhttp::async_read_header(*stream, buf, parser, use_tuple);
      if (pec) co_return Error{"proxy CONNECT failed: " + pec.message()};
      if (parser.get().result_int() != 200)
        co_return Error{"proxy refused CONNECT with " + std::to_string(parser.get().result_int())};
    } else if (!proxy_url.empty()) {
      c->via_http_proxy = true;
    }
    if (!t.tls) {
      c->plain = std::move(stream);
      co_return c;
    }
    c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), tls_context());
    if (!SSL_set_tlsext_host_name(c->tls->native_handle(), t.host.c_str()))
      co_return Error{"cannot set TLS server name"};
    c->tls->set_verify_callback(net::ssl::host_name_verification(t.host));
    auto [hec] = co_await c->tls->async_handshake(net::ssl::stream_base::client, use_tuple);
    if (hec) co_return Error{"TLS handshake with " + t.host + " failed: " + hec.message()};
    co_return c;
  }
};

namespace {

// What one round trip on one connection produced. `stale` means the peer had
// closed the kept-alive connection before reading anything: safe to resend.
struct RoundTrip {
  Result<ClientResponse, Error> result = Error{"no exchange"};
  bool stale = false;
  bool reusable = false;
};

template <class Stream>
net::awaitable<RoundTrip> round_trip(Stream& stream, const ClientRequest& request, const Target& t, bool absolute_form,
                                  bool reused) {
  RoundTrip out;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(request.method),
                                         absolute_form ? t.scheme + "://" + t.host + ":" + t.port + t.path : t.path, 11};
  bool ipv6 = t.host.find(':') != std::string::npos;
  std::string host_header = ipv6 ? "[" + t.host + "]" : t.host;
  if (t.port != (t.tls ? "443" : "80")) host_header += ":" + t.port;
  req.set(bhttp::field::host, host_header);
  req.set(bhttp::field::user_agent, "asc-webhookd/" ASC_WEBHOOKD_VERSION);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  req.prepare_payload();
  req.keep_alive(true);
  auto [wec, wn] = co_await bhttp::async_write(stream, req, use_tuple);
  if (wec) {
    out.stale = reused;
    out.result = Error{"sending the request failed: " + wec.message()};
    co_return out;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(request.max_response);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  if (rec) {
    // Sent, then no answer: most likely a connection the server had closed
    // idle — but a send_once request may have been acted on, so it is not resent.
    out.stale = reused && !request.send_once && rn == 0 && (rec == bhttp::error::end_of_stream || rec == net::error::eof ||
                                      rec == net::error::connection_reset);
    if (rec == bhttp::error::body_limit)
      out.result = Error{"response larger than " + std::to_string(request.max_response) + " bytes"};
    else if (rec == beast::error::timeout)
      out.result = Error{"timed out after " + format_duration(request.timeout)};
    else
      out.result = Error{"reading the response failed: " + rec.message()};
    co_return out;
  }
  ClientResponse res;
  auto& msg = parser.get();
  res.status = msg.result_int();
  for (const auto& f : msg) res.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  res.body = std::move(msg.body());
  // Reused only after a clean exchange: one complete final answer and not a
  // byte more (extra bytes mean the peer and we disagree on the framing).
  out.reusable = msg.keep_alive() && buffer.size() == 0 && res.status >= 200;
  out.result = std::move(res);
  co_return out;
}

}  // namespace

HttpClient::HttpClient(net::any_io_executor executor, ProxySettings proxy)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(proxy))) {}

HttpClient::~HttpClient() = default;

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& [k, v] : impl_->idle) n += v.size();
  return n;
}

net::awaitable<Result<ClientResponse, Error>> HttpClient::request(ClientRequest request) {
  auto impl = impl_;  // keeps the pool alive for the whole exchange
  // Actions check first and fail the job permanently; this keeps any other
  // caller from putting outside text on the wire as syntax.
  if (auto problem = request_problem(request); !problem.empty()) co_return Error{problem + "; not sent"};
  auto target = parse_target(request.url);
  if (!target) co_return target.error();
  const std::string key = target->key();
  for (int round = 0; round < 2; ++round) {
    std::unique_ptr<Connection> conn = round == 0 ? impl->take(key) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      auto fresh = co_await impl->connect(*target, request.timeout);
      if (!fresh) co_return fresh.error();
      conn = std::move(*fresh);
    }
    conn->tcp().expires_after(request.timeout);
    // Not a ?: with a co_await in each arm: GCC 12 mis-destroys such temporaries.
    RoundTrip ex;
    if (conn->tls) ex = co_await round_trip(*conn->tls, request, *target, false, reused);
    else ex = co_await round_trip(*conn->plain, request, *target, conn->via_http_proxy, reused);
    if (ex.stale) continue;  // the server had closed the idle connection: nothing was processed
    if (ex.result && ex.reusable) impl->give_back(key, std::move(conn));
    co_return std::move(ex.result);
  }
  co_return Error{"connection closed by the server"};
}

Result<ClientResponse, Error> fetch_blocking(const ClientRequest& request) {
  net::io_context ioc;
  std::optional<Result<ClientResponse, Error>> result;
  {
    HttpClient client(ioc.get_executor());
    net::co_spawn(ioc, client.request(request), [&](std::exception_ptr e, Result<ClientResponse, Error> r) {
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
  }
  if (!result) return Error{"request did not complete"};
  return std::move(*result);
}

}  // namespace asc_webhookd::outbound
