#pragma once
// A network path between one replica and its database that a test can cut:
// a TCP port on 127.0.0.1 forwarding each connection to a Unix socket (the
// tests' PostgreSQL). sever() is a partition as the replica sees it: bytes
// sent either way go nowhere, new connections are accepted by the kernel
// but never reach the server, and nothing errors (no kernel on either side
// gives up: the proxy's answers every probe). restore() ends every
// connection opened before it (they timed out in the partition) and
// forwards new ones again.
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asc_webhookd::test {

class SeverableLink {
public:
  explicit SeverableLink(std::string unix_socket_path);
  ~SeverableLink();
  SeverableLink(const SeverableLink&) = delete;
  SeverableLink& operator=(const SeverableLink&) = delete;

  std::uint16_t port() const { return port_; }
  void sever();
  void restore();

private:
  struct Pair {
    int client = -1, server = -1;
    bool cut = false;  // opened before or during a partition: never forwarded again
  };
  void loop();
  void tell(std::uint64_t what);

  std::string target_;
  int listen_fd_ = -1, wake_fd_ = -1;
  std::uint16_t port_ = 0;
  std::mutex mutex_;
  bool severed_ = false, restore_ = false, stopping_ = false;
  std::vector<Pair> pairs_;  // the loop's own
  std::thread thread_;
};

}  // namespace asc_webhookd::test
