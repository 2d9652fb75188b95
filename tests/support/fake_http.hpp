#pragma once
// A scriptable HTTP/1.1 server on 127.0.0.1:0 for tests: every request is
// recorded, and a handler (or a queue of canned answers) decides the answer.
// Keep-alive is supported; each connection has its own thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asc_webhookd::test {

struct FakeRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::chrono::steady_clock::time_point at;
  std::size_t connection = 0;  // 1 for the first connection accepted, 2 for the next, ...
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

struct FakeResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before answering
  bool cut = false;                    // the connection is closed instead of answered
};

// `a=1&b=x%20y` (a form body or a query) as a map, percent- and +-decoded.
std::string url_decode(const std::string& s);
std::map<std::string, std::string> url_decoded_fields(const std::string& text);

class FakeHttpServer {
public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  explicit FakeHttpServer(Handler handler = nullptr);
  ~FakeHttpServer();

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // Canned answers, used in order before the handler (or the default 200).
  void push(FakeResponse r);
  std::vector<FakeRequest> requests() const;
  std::size_t count() const;
  // Waits until at least `n` requests have arrived.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

private:
  void serve(int fd, std::size_t connection);
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  Handler handler_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::deque<FakeResponse> canned_;
  std::vector<FakeRequest> requests_;
  std::vector<int> client_fds_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

}  // namespace asc_webhookd::test
