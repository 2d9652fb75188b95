#pragma once
// What the server's sessions share with it: the config source, the router,
// the set of open sessions (for graceful stop). Private to src/http.
#include "asc_webhookd/http/server.hpp"

#include "asc_webhookd/http/router.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace asc_webhookd::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

// Shared by all sessions; outlives them (sessions hold a shared_ptr).
struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  net::io_context& ioc;
  ConfigSource config;
  std::shared_ptr<Router> router;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;

  mutable std::mutex mutex;  // guards tls, sessions, on_drained
  std::shared_ptr<net::ssl::context> tls;
  struct Open {
    std::function<void()> stop_if_idle;
    std::string peer;
  };
  std::map<std::uint64_t, Open> sessions;          // by id: the oldest first
  std::map<std::string, std::size_t> per_peer;     // open connections by client address
  std::size_t refusing = 0;  // connections being answered 503 (not in `sessions`)
  std::function<void()> on_drained;
  std::uint64_t next_id = 0;
  std::atomic<bool> stopping{false};

  Impl(net::io_context& io, ConfigSource c, std::shared_ptr<Router> r)
      : ioc(io), config(std::move(c)), router(std::move(r)) {}

  std::uint64_t add_session(std::function<void()> stop_if_idle, const std::string& peer) {
    std::lock_guard lock(mutex);
    sessions.emplace(++next_id, Open{std::move(stop_if_idle), peer});
    ++per_peer[peer];
    return next_id;
  }

  // What becomes of a new connection from `peer`: served; refused (answered
  // 503 once its request arrives, within a short deadline) when its own
  // address holds `per_client` already (untrusted peers only: behind a proxy
  // every connection comes from it) or beyond max + a small reserve; dropped
  // (closed unanswered) when `refuse_cap` refusals are open already. A
  // refused connection holds no slot: it is not a session, so it neither
  // counts toward max nor makes a served one close; an address that opens
  // thousands takes its share and nobody else's. At max, the oldest session
  // is asked to close (at once if it is waiting for a request, else after
  // its current one) and the new one is served, so /healthz and Apple still
  // get in while silent connections hold the slots.
  enum class Admission { serve, refuse, drop };
  static std::size_t reserve(std::size_t max) { return std::max<std::size_t>(4, max / 16); }
  Admission admit(const std::string& peer, bool limit_peer, std::size_t per_client, std::size_t max,
                  std::size_t refuse_cap) {
    std::function<void()> shed;
    {
      std::lock_guard lock(mutex);
      bool over = false;
      if (limit_peer) {
        auto it = per_peer.find(peer);
        over = it != per_peer.end() && it->second >= per_client;
      }
      over = over || sessions.size() >= max + reserve(max);
      if (over) {
        if (refusing >= refuse_cap) return Admission::drop;
        ++refusing;
        return Admission::refuse;
      }
      if (sessions.size() >= max && !sessions.empty()) shed = sessions.begin()->second.stop_if_idle;
    }
    if (shed) shed();
    return Admission::serve;
  }

  void refused_done() {
    std::lock_guard lock(mutex);
    --refusing;
  }

  void remove_session(std::uint64_t id) {
    std::function<void()> done;
    {
      std::lock_guard lock(mutex);
      if (auto it = sessions.find(id); it != sessions.end()) {
        if (auto p = per_peer.find(it->second.peer); p != per_peer.end() && --p->second == 0) per_peer.erase(p);
        sessions.erase(it);
      }
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

}  // namespace asc_webhookd::http
