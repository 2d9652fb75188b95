#pragma once
// One accepted connection (plain or TLS): read a request within the limits
// and deadlines, answer it through the router, keep alive or close.
// Private to src/http; a template over the stream type.
#include "server_impl.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "framing.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <string>

namespace asc_webhookd::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;

// A random 16-hex-digit id for logs and the X-Request-Id header.
std::string new_request_id();

// The client behind a trusted proxy: the right-most X-Forwarded-For entry
// that is not itself a trusted proxy (entries further left are client-supplied).
std::string client_address(const std::string& peer, std::string_view xff, const config::ServerConfig& cfg);

// One connection. Deadlines: a timer that, when it fires, cancels the socket's
// pending operation; the coroutine sees operation_aborted with timed_out set
// and can still answer 408. A generation counter makes a timer that fired
// just before being re-armed harmless.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
public:
  Session(std::shared_ptr<Server::Impl> server, std::shared_ptr<net::ssl::context> tls, Stream stream,
          std::string peer, bool over_capacity)
      : server_(std::move(server)),
        tls_(std::move(tls)),
        stream_(std::move(stream)),
        timer_(beast::get_lowest_layer(stream_).get_executor()),
        peer_(std::move(peer)),
        over_capacity_(over_capacity) {}

  net::awaitable<void> run();
  net::any_io_executor executor() { return timer_.get_executor(); }

  // Called on any thread at shutdown: closes the connection if it is idle.
  void stop_if_idle() {
    net::post(timer_.get_executor(), [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (self->idle_) {
        error_code ec;
        beast::get_lowest_layer(self->stream_).cancel(ec);
      }
    });
  }

private:
  // Deadlines without a timer operation per phase: arm() only moves
  // deadline_; the one watch timer is re-armed only when the new deadline is
  // earlier than the time it is waiting for. When it fires it cancels the
  // socket if the deadline has passed, or sleeps again until the new one.
  void arm(Duration d) {
    timed_out_ = false;
    deadline_ = std::chrono::steady_clock::now() + d;
    if (!watching_ || deadline_ < watch_until_) watch(deadline_);
  }
  void disarm() { deadline_ = std::chrono::steady_clock::time_point::max(); }

  void watch(std::chrono::steady_clock::time_point at) {
    watching_ = true;
    watch_until_ = at;
    timer_.expires_at(at);
    timer_.async_wait([weak = this->weak_from_this(), gen = ++generation_](error_code ec) {
      auto self = weak.lock();
      if (!self || self->generation_ != gen) return;  // superseded by a newer watch
      self->watching_ = false;
      if (ec) return;
      const auto now = std::chrono::steady_clock::now();
      if (self->deadline_ <= now) {
        self->timed_out_ = true;
        error_code ignored;
        beast::get_lowest_layer(self->stream_).cancel(ignored);
        // A cancel that finds no read pending (a composed read between two
        // of its reads, a trickling client's byte just in) is lost: cancel
        // again shortly, until the phase ends (disarm or a new arm).
        self->watch(now + std::chrono::milliseconds(50));
      } else if (self->deadline_ != std::chrono::steady_clock::time_point::max()) {
        self->watch(self->deadline_);
      }
    });
  }

  net::awaitable<bool> write(Response& res) {
    arm(cfg_->server.body_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, use_tuple);
    disarm();
    co_return !ec;
  }

  // The answer to a HEAD request: the GET answer's header (its
  // Content-Length included) and no body (RFC 9110 §9.3.2).
  net::awaitable<bool> write_head_only(Response& res) {
    bhttp::response<bhttp::empty_body> head{res.result(), res.version()};
    for (const auto& field : res) head.set(field.name_string(), field.value());
    head.set(bhttp::field::content_length, std::to_string(res.body().size()));
    head.keep_alive(res.keep_alive());
    arm(cfg_->server.body_timeout);
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, use_tuple);
    disarm();
    co_return !ec;
  }

  // Answers an error the server itself detects (limits, timeouts, bad HTTP)
  // and marks the connection for closing.
  net::awaitable<void> fail(unsigned status, const std::string& message, unsigned version) {
    Request req;
    req.version(version ? version : 11);
    RequestInfo info{new_request_id(), peer_, peer_};
    auto res = json_response(status, json_text({{"error", message}}), req, info);
    res.keep_alive(false);
    co_await write(res);
    metrics::Registry::global().inc("asc_webhookd_http_requests_total",
                                    {{"route", "-"}, {"code", std::to_string(status)}});
    log::get("http")->info("request id={} remote={} status={} error=\"{}\"", info.request_id, peer_, status, message);
  }

  // Half-closes, then discards what the client still sends for a moment, so
  // the answer is not lost to a TCP reset over unread data.
  net::awaitable<void> linger_close();

  std::shared_ptr<Server::Impl> server_;
  std::shared_ptr<net::ssl::context> tls_;  // outlives the stream built on it
  Stream stream_;
  net::steady_timer timer_;
  std::string peer_;
  bool over_capacity_;
  std::shared_ptr<const config::Config> cfg_;
  beast::flat_buffer buffer_;
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::chrono::steady_clock::time_point watch_until_{};
  bool watching_ = false;
  bool timed_out_ = false;
  bool idle_ = true;
  bool stopping_ = false;
};

template <class Stream>
net::awaitable<void> Session<Stream>::linger_close() {
  auto& sock = beast::get_lowest_layer(stream_);
  error_code ec;
  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    arm(std::chrono::seconds(2));
    co_await stream_.async_shutdown(use_tuple);
    disarm();
  }
  sock.shutdown(tcp::socket::shutdown_send, ec);
  arm(std::chrono::seconds(1));
  std::array<char, 16 * 1024> scratch;
  for (std::size_t total = 0; total < 64 * 1024 * 1024;) {
    auto [rec, n] = co_await sock.async_read_some(net::buffer(scratch), use_tuple);
    if (rec) break;
    total += n;
  }
  disarm();
  sock.close(ec);
}

template <class Stream>
net::awaitable<void> Session<Stream>::run() {
  cfg_ = server_->config();
  const auto& limits = cfg_->server;
  auto lg = log::get("http");
  // A connection to be refused gets a short deadline for its request: it
  // holds no slot, but it still holds a socket.
  const Duration header_timeout = over_capacity_ ? std::min<Duration>(limits.header_timeout, std::chrono::seconds(2))
                                                 : limits.header_timeout;

  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    arm(header_timeout);
    auto [ec] = co_await stream_.async_handshake(net::ssl::stream_base::server, use_tuple);
    disarm();
    if (ec) {
      lg->debug("tls handshake failed remote={} error=\"{}\"", peer_, ec.message());
      co_return;
    }
  }

  bool first = true;
  for (;;) {
    // Wait for the first byte of the next request: a new connection gets the
    // header timeout, a kept-alive one the idle timeout.
    if (buffer_.size() == 0) {
      idle_ = true;
      if (stopping_ || server_->stopping) break;
      arm(first ? header_timeout : limits.idle_timeout);
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), use_tuple);
      disarm();
      idle_ = false;
      if (ec) break;  // closed by the client, idle timeout, or shutdown
      buffer_.commit(n);
    }
    idle_ = false;
    first = false;

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(limits.max_body);

    arm(header_timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    disarm();
    if (hec == bhttp::error::body_limit) {
      co_await fail(413, "body exceeds server.max_body (" + std::to_string(limits.max_body) + " bytes)", 11);
      co_await linger_close();
      co_return;
    }
    if (hec && timed_out_) {
      co_await fail(408, "request headers not received within server.header_timeout", 11);
      co_await linger_close();
      co_return;
    }
    if (hec == bhttp::error::end_of_stream || hec == net::error::eof || hec == net::error::operation_aborted ||
        hec == net::error::connection_reset)
      break;
    if (hec) {
      co_await fail(hec == bhttp::error::header_limit ? 431 : 400,
                    hec == bhttp::error::header_limit ? "request headers too large" : "malformed HTTP request", 11);
      co_await linger_close();
      co_return;
    }
    const unsigned version = parser.get().version();
    if (auto bad = framing_problem(parser.get())) {
      co_await fail(bad->status, bad->message, version);
      co_await linger_close();
      co_return;
    }

    if (over_capacity_) {
      co_await fail(503, "too many connections (server.max_connections, or this client address's share of it)", version);
      co_await linger_close();
      co_return;
    }

    // HTTP/1.0 clients do not know 100 Continue (RFC 9110 §10.1.1).
    if (version >= 11 && beast::iequals(parser.get()[bhttp::field::expect], "100-continue") && !parser.is_done()) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
      arm(limits.body_timeout);
      auto [cec, cn] = co_await bhttp::async_write(stream_, cont, use_tuple);
      disarm();
      if (cec) break;
    }

    arm(limits.body_timeout);
    auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
    disarm();
    if (bec == bhttp::error::body_limit) {
      co_await fail(413, "body exceeds server.max_body (" + std::to_string(limits.max_body) + " bytes)", version);
      co_await linger_close();
      co_return;
    }
    if (bec && timed_out_) {
      co_await fail(408, "request body not received within server.body_timeout", version);
      co_await linger_close();
      co_return;
    }
    if (bec) {
      if (bec != net::error::eof && bec != bhttp::error::partial_message && bec != net::error::operation_aborted)
        co_await fail(400, "malformed HTTP request body", version);
      break;
    }

    const auto started = std::chrono::steady_clock::now();
    Request req = parser.release();
    RequestInfo info{new_request_id(), client_address(peer_, req["x-forwarded-for"], limits), peer_};
    Response res;
    try {
      res = co_await server_->router->handle(req, info);
    } catch (const std::exception& e) {
      lg->error("handler failed request_id={} error=\"{}\"", info.request_id, e.what());
      res = json_response(500, R"({"error":"internal error"})", req, info);
    }
    const bool keep = req.keep_alive() && !stopping_ && !server_->stopping;
    res.keep_alive(keep);
    const bool written = req.method() == bhttp::verb::head ? co_await write_head_only(res) : co_await write(res);
    metrics::Registry::global().inc("asc_webhookd_http_requests_total",
                                    {{"route", std::string(route_label(req.target()))}, {"code", std::to_string(res.result_int())}});
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (lg->should_log(spdlog::level::info))
      lg->info("request id={} remote={} method={} target={} status={} bytes={} ms={:.2f}", info.request_id, info.remote,
               std::string(req.method_string()), std::string(req.target()), res.result_int(), req.body().size(), ms);
    if (!written) co_return;
    if (!keep) {
      co_await linger_close();
      co_return;
    }
  }
  error_code ec;
  beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream_).close(ec);
}

template <class S>
net::awaitable<void> run_session(std::shared_ptr<S> session) {
  co_await session->run();
}

}  // namespace asc_webhookd::http
