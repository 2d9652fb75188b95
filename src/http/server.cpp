#include "asc_webhookd/http/server.hpp"

#include "session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/strand.hpp>

namespace asc_webhookd::http {

namespace {

std::string address_text(const tcp::endpoint& ep) {
  return ListenAddress{ep.address().to_string(), ep.port()}.text();
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

template <class S>
void spawn_session(const std::shared_ptr<Server::Impl>& server, std::shared_ptr<S> session, const std::string& peer,
                   bool refused) {
  // A refused connection is not a session: it lives a few seconds at most
  // and only counts toward the refusals open.
  const auto id = refused ? 0 : server->add_session([weak = std::weak_ptr<S>(session)] {
    if (auto s = weak.lock()) s->stop_if_idle();
  }, peer);
  auto done = [server, id, peer, refused](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log::get("http")->error("connection failed remote={} error=\"{}\"", peer, ex.what());
      }
    }
    if (refused) server->refused_done();
    else server->remove_session(id);
  };
  auto ex = session->executor();
  net::co_spawn(ex, run_session(std::move(session)), std::move(done));
}

void Server::Impl::start_session(tcp::socket socket) {
  error_code ec;
  auto peer_ep = socket.remote_endpoint(ec);
  std::string peer = ec ? "?" : peer_ep.address().to_string();
  const auto cfg = config();
  bool trusted = false;
  for (const auto& c : cfg->server.trusted_proxies) trusted = trusted || c.contains(peer);
  const std::size_t max = cfg->server.max_connections;
  const auto admission = admit(peer, !trusted, std::max<std::size_t>(8, max / 8), max, std::max<std::size_t>(64, max / 4));
  if (admission == Admission::drop) {
    metrics::Registry::global().inc("asc_webhookd_connections_dropped_total", {});
    error_code ignored;
    socket.close(ignored);
    return;
  }
  const bool over = admission == Admission::refuse;
  std::shared_ptr<net::ssl::context> tls_ctx;
  {
    std::lock_guard lock(mutex);
    tls_ctx = tls;
  }
  auto self = shared_from_this();
  if (tls_ctx) {
    using S = beast::ssl_stream<tcp::socket>;
    spawn_session(self, std::make_shared<Session<S>>(self, tls_ctx, S(std::move(socket), *tls_ctx), peer, over), peer, over);
  } else {
    spawn_session(self, std::make_shared<Session<tcp::socket>>(self, nullptr, std::move(socket), peer, over), peer, over);
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
    for (auto& [id, open] : impl_->sessions) stops.push_back(open.stop_if_idle);
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
