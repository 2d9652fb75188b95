#include "severable_link.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace asc_webhookd::test {

namespace {

int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything readable from `from` written to `to`; false at the end of either.
bool pass(int from, int to) {
  char buf[65536];
  const auto n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    const auto w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

SeverableLink::SeverableLink(std::string unix_socket_path) : target_(std::move(unix_socket_path)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("severable link: cannot listen on 127.0.0.1");
  port_ = ntohs(a.sin_port);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { loop(); });
}

SeverableLink::~SeverableLink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  tell(1);
  thread_.join();
  for (auto& p : pairs_) {
    ::close(p.client);
    if (p.server >= 0) ::close(p.server);
  }
  ::close(listen_fd_);
  ::close(wake_fd_);
}

void SeverableLink::tell(std::uint64_t what) { [[maybe_unused]] auto n = ::write(wake_fd_, &what, sizeof what); }

void SeverableLink::sever() {
  {
    std::lock_guard lock(mutex_);
    severed_ = true;
  }
  tell(1);
}

void SeverableLink::restore() {
  {
    std::lock_guard lock(mutex_);
    severed_ = false;
    restore_ = true;
  }
  tell(1);
}

void SeverableLink::loop() {
  for (;;) {
    bool severed = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      severed = severed_;
      if (severed)
        for (auto& p : pairs_) p.cut = true;
      if (restore_) {  // the cut connections end, as timed-out ones do
        restore_ = false;
        std::erase_if(pairs_, [](const Pair& p) {
          if (!p.cut) return false;
          ::close(p.client);
          if (p.server >= 0) ::close(p.server);
          return true;
        });
      }
    }
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    for (const auto& p : pairs_) {
      // A cut pair is not read: its bytes wait in the kernel, unanswered.
      fds.push_back({p.cut ? -1 : p.client, POLLIN, 0});
      fds.push_back({p.cut ? -1 : p.server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    if (fds[1].revents) {
      std::uint64_t n;
      [[maybe_unused]] auto r = ::read(wake_fd_, &n, sizeof n);
    }
    std::vector<std::size_t> ended;
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      auto& p = pairs_[i];
      const auto c = fds[2 + 2 * i].revents, s = fds[3 + 2 * i].revents;
      if ((c && !pass(p.client, p.server)) || (s && !pass(p.server, p.client))) ended.push_back(i);
    }
    for (auto it = ended.rbegin(); it != ended.rend(); ++it) {
      ::close(pairs_[*it].client);
      ::close(pairs_[*it].server);
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    if (fds[0].revents) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      // During a partition the server is never reached: the connection
      // waits, as a SYN into a dropped route would (past the kernel's
      // backlog, which is the client's to time out).
      const int server = severed ? -1 : connect_unix(target_);
      if (!severed && server < 0) {
        ::close(client);
        continue;
      }
      pairs_.push_back({client, server, severed});
    }
  }
}

}  // namespace asc_webhookd::test
