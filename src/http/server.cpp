#include "asc_webhookd/http/server.hpp"

#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/metrics.hpp"
#include "asc_webhookd/http/router.hpp"
#include "framing.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <random>

namespace asc_webhookd::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

namespace {

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string id(16, '0');
  auto v = rng();
  for (auto& c : id) {
    c = digits[v & 0xf];
    v >>= 4;
  }
  return id;
}

// Low-cardinality route label for metrics: never the raw path.
std::string route_label(std::string_view target) {
  auto q = target.find('?');
  auto path = q == std::string_view::npos ? target : target.substr(0, q);
  if (path.rfind("/webhooks/", 0) == 0) return "/webhooks";
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") return std::string(path);
  if (path.rfind("/api/", 0) == 0 || path == "/ui") return "/api";
  return "other";
}

std::string address_text(const tcp::endpoint& ep) {
  return ListenAddress{ep.address().to_string(), ep.port()}.text();
}

// The client behind a trusted proxy: the right-most X-Forwarded-For entry
// that is not itself a trusted proxy (entries further left are client-supplied).
std::string client_address(const std::string& peer, std::string_view xff, const config::ServerConfig& cfg) {
  auto trusted = [&](std::string_view ip) {
    for (const auto& c : cfg.trusted_proxies)
      if (c.contains(ip)) return true;
    return false;
  };
  if (xff.empty() || !trusted(peer)) return peer;
  std::string current = peer;
  while (!xff.empty()) {
    auto comma = xff.rfind(',');
    auto item = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
    xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    current = std::string(item);
    if (!trusted(item)) break;
  }
  return current;
}

std::shared_ptr<net::ssl::context> make_tls_context(const config::TlsConfig& tls) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1 |
                   net::ssl::context::single_dh_use);
  error_code ec;
  ctx->use_certificate_chain_file(tls.cert_file, ec);
  if (ec) throw std::runtime_error("cannot load TLS certificate " + tls.cert_file + ": " + ec.message());
  ctx->use_private_key_file(tls.key_file, net::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS key " + tls.key_file + ": " + ec.message());
  return ctx;
}

}  // namespace

// Shared by all sessions; outlives them (sessions hold a shared_ptr).
struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  net::io_context& ioc;
  ConfigSource config;
  std::shared_ptr<Router> router;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;

  mutable std::mutex mutex;  // guards tls, sessions, on_drained
  std::shared_ptr<net::ssl::context> tls;
  std::map<std::uint64_t, std::function<void()>> sessions;  // id → "stop if idle"
  std::function<void()> on_drained;
  std::uint64_t next_id = 0;
  std::atomic<bool> stopping{false};

  Impl(net::io_context& io, ConfigSource c, std::shared_ptr<Router> r)
      : ioc(io), config(std::move(c)), router(std::move(r)) {}

  std::uint64_t add_session(std::function<void()> stop_if_idle) {
    std::lock_guard lock(mutex);
    sessions.emplace(++next_id, std::move(stop_if_idle));
    return next_id;
  }

  void remove_session(std::uint64_t id) {
    std::function<void()> done;
    {
      std::lock_guard lock(mutex);
      sessions.erase(id);
      if (stopping && sessions.empty()) done = std::move(on_drained);
    }
    if (done) done();
  }

  std::size_t session_count() const {
    std::lock_guard lock(mutex);
    return sessions.size();
  }

  net::awaitable<void> accept_loop(tcp::acceptor& acceptor);
  void start_session(tcp::socket socket);
};

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
    if (!watching_ || deadline_ < watch_until_) watch();
  }
  void disarm() { deadline_ = std::chrono::steady_clock::time_point::max(); }

  void watch() {
    watching_ = true;
    watch_until_ = deadline_;
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = this->weak_from_this(), gen = ++generation_](error_code ec) {
      auto self = weak.lock();
      if (!self || self->generation_ != gen) return;  // superseded by a newer watch
      self->watching_ = false;
      if (ec) return;
      if (self->deadline_ <= std::chrono::steady_clock::now()) {
        self->timed_out_ = true;
        error_code ignored;
        beast::get_lowest_layer(self->stream_).cancel(ignored);
      } else if (self->deadline_ != std::chrono::steady_clock::time_point::max()) {
        self->watch();
      }
    });
  }

  net::awaitable<bool> write(Response& res) {
    arm(cfg_->server.body_timeout);
    auto [ec, n] = co_await bhttp::async_write(stream_, res, use_tuple);
    disarm();
    co_return !ec;
  }

  // Answers an error the server itself detects (limits, timeouts, bad HTTP)
  // and marks the connection for closing.
  net::awaitable<void> fail(unsigned status, const std::string& message, unsigned version) {
    Request req;
    req.version(version ? version : 11);
    RequestInfo info{new_request_id(), peer_};
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

  if constexpr (!std::is_same_v<Stream, tcp::socket>) {
    arm(limits.header_timeout);
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
      arm(first ? limits.header_timeout : limits.idle_timeout);
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

    arm(limits.header_timeout);
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
      co_await fail(503, "too many connections (server.max_connections)", version);
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
    RequestInfo info{new_request_id(), client_address(peer_, req["x-forwarded-for"], limits)};
    Response res;
    try {
      res = co_await server_->router->handle(req, info);
    } catch (const std::exception& e) {
      lg->error("handler failed request_id={} error=\"{}\"", info.request_id, e.what());
      res = json_response(500, R"({"error":"internal error"})", req, info);
    }
    const bool keep = req.keep_alive() && !stopping_ && !server_->stopping;
    res.keep_alive(keep);
    const bool written = co_await write(res);
    metrics::Registry::global().inc("asc_webhookd_http_requests_total",
                                    {{"route", route_label(req.target())}, {"code", std::to_string(res.result_int())}});
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

template <class S>
void spawn_session(const std::shared_ptr<Server::Impl>& server, std::shared_ptr<S> session, const std::string& peer) {
  auto id = server->add_session([weak = std::weak_ptr<S>(session)] {
    if (auto s = weak.lock()) s->stop_if_idle();
  });
  auto done = [server, id, peer](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::get("http")->error("connection failed remote={} error=\"{}\"", peer, ex.what());
      }
    }
    server->remove_session(id);
  };
  auto ex = session->executor();
  net::co_spawn(ex, run_session(std::move(session)), std::move(done));
}

void Server::Impl::start_session(tcp::socket socket) {
  error_code ec;
  auto peer_ep = socket.remote_endpoint(ec);
  std::string peer = ec ? "?" : peer_ep.address().to_string();
  const bool over = session_count() >= config()->server.max_connections;
  std::shared_ptr<net::ssl::context> tls_ctx;
  {
    std::lock_guard lock(mutex);
    tls_ctx = tls;
  }
  auto self = shared_from_this();
  if (tls_ctx) {
    using S = beast::ssl_stream<tcp::socket>;
    spawn_session(self, std::make_shared<Session<S>>(self, tls_ctx, S(std::move(socket), *tls_ctx), peer, over), peer);
  } else {
    spawn_session(self, std::make_shared<Session<tcp::socket>>(self, nullptr, std::move(socket), peer, over), peer);
  }
}

net::awaitable<void> Server::Impl::accept_loop(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] =
        co_await acceptor.async_accept(net::any_io_executor(net::make_strand(ioc)), use_tuple);
    if (ec) {
      if (ec == net::error::operation_aborted || stopping) co_return;
      // EMFILE and friends: say so, breathe, keep accepting.
      log::get("http")->error("accept failed error=\"{}\"", ec.message());
      net::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_tuple);
      continue;
    }
    if (stopping) co_return;
    start_session(std::move(socket));
  }
}

Server::Server(net::io_context& ioc, ConfigSource config, std::shared_ptr<Router> router)
    : impl_(std::make_shared<Impl>(ioc, std::move(config), std::move(router))) {}

Server::~Server() = default;

void Server::start() {
  auto cfg = impl_->config();
  if (cfg->server.tls) impl_->tls = make_tls_context(*cfg->server.tls);
  for (const auto& addr : cfg->server.listen) {
    error_code ec;
    tcp::resolver resolver(impl_->ioc);
    auto results = resolver.resolve(addr.host, std::to_string(addr.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
      throw std::runtime_error("cannot resolve listen address " + addr.text() + ": " + ec.message());
    tcp::endpoint ep = results.begin()->endpoint();
    auto acceptor = std::make_unique<tcp::acceptor>(net::make_strand(impl_->ioc));
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && ep.address().is_v6()) acceptor->set_option(net::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + addr.text() + ": " + ec.message());
    impl_->acceptors.push_back(std::move(acceptor));
  }
  for (auto& acc : impl_->acceptors) {
    auto self = impl_;
    log::get("http")->info("listening address={} tls={}", address_text(acc->local_endpoint()),
                           impl_->tls ? "on" : "off");
    net::co_spawn(acc->get_executor(), impl_->accept_loop(*acc), [self](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::get("http")->error("accept loop failed error=\"{}\"", ex.what());
      }
    });
  }
}

std::vector<ListenAddress> Server::local_addresses() const {
  std::vector<ListenAddress> out;
  for (const auto& acc : impl_->acceptors) {
    error_code ec;
    auto ep = acc->local_endpoint(ec);
    if (!ec) out.push_back({ep.address().to_string(), ep.port()});
  }
  return out;
}

std::vector<std::uint16_t> Server::local_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& a : local_addresses()) out.push_back(a.port);
  return out;
}

void Server::reload_tls(const config::TlsConfig& tls) {
  auto ctx = make_tls_context(tls);
  std::lock_guard lock(impl_->mutex);
  impl_->tls = std::move(ctx);
}

void Server::stop(std::function<void()> on_drained) {
  std::vector<std::function<void()>> stops;
  bool drained_now = false;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->on_drained = std::move(on_drained);
    for (auto& [id, f] : impl_->sessions) stops.push_back(f);
    drained_now = impl_->sessions.empty();
  }
  for (auto& acc : impl_->acceptors)
    net::post(acc->get_executor(), [a = acc.get()] {
      error_code ec;
      a->close(ec);
    });
  for (auto& f : stops) f();
  if (drained_now) {
    std::function<void()> done;
    {
      std::lock_guard lock(impl_->mutex);
      done = std::move(impl_->on_drained);
    }
    if (done) done();
  }
}

std::size_t Server::open_connections() const { return impl_->session_count(); }

}  // namespace asc_webhookd::http
