#pragma once
// A deliberately dumb HTTP client on a blocking POSIX socket: it writes the
// exact bytes a test gives it (so tests can pipeline, trickle headers, or lie
// about lengths) and parses answers just enough to check them.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace asc_webhookd::test {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

class RawClient {
public:
  explicit RawClient(std::uint16_t port, const std::string& host = "127.0.0.1");
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }  // for shutdown(SHUT_WR) and the like
  bool send(const std::string& bytes);
  // Reads one response (Content-Length framed). nullopt on close/timeout.
  std::optional<RawResponse> read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closed the connection within `timeout` (after
  // discarding anything it still sent).
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Bytes received but not yet read as a response (after wait_closed: all
  // the server sent before closing).
  const std::string& unread() const { return buffer_; }

private:
  bool fill(std::chrono::steady_clock::time_point deadline);
  int fd_ = -1;
  std::string buffer_;
};

// Splits an HTTP head (without the blank line) into its first line and its
// header fields (lower-case names). Shared by RawClient and FakeHttpServer.
std::string parse_head(const std::string& head, std::map<std::string, std::string>& headers);

// A listening TCP socket on 127.0.0.1, port chosen by the kernel (set in
// `port`); the fd, for tests' own fake servers.
int listen_loopback(std::uint16_t& port, int backlog = 64);
// A socket connected to 127.0.0.1:port from another loopback address
// (`source`, e.g. "127.0.0.2"): a second client address; -1 on failure.
// `source_port` 0: the kernel's pick (from the ephemeral range).
int connect_from(const char* source, std::uint16_t port, std::uint16_t source_port = 0);
// Sends `request` on `fd` and returns what arrives in one read (5 s at most).
std::string exchange_once(int fd, const std::string& request);

// A port nothing listens on now (taken and given back), for a listener a
// test must know the address of before it starts.
std::uint16_t free_loopback_port();

// A complete request with Content-Length.
std::string make_request(const std::string& method, const std::string& target, const std::string& body = "",
                         const std::map<std::string, std::string>& headers = {}, bool keep_alive = true);

}  // namespace asc_webhookd::test
