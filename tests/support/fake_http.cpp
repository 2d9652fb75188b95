#include "support/fake_http.hpp"
#include "support/raw_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace asc_webhookd::test {

std::string url_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> url_decoded_fields(const std::string& text) {
  std::map<std::string, std::string> out;
  for (std::size_t start = 0; start < text.size();) {
    const auto amp = text.find('&', start);
    const std::string pair = text.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    const auto eq = pair.find('=');
    if (!pair.empty()) out[url_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

FakeHttpServer::FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = listen_loopback(port_);
  acceptor_ = std::thread([this] {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      client_fds_.push_back(fd);
      workers_.emplace_back([this, fd, n = client_fds_.size()] { serve(fd, n); });
    }
  });
}

FakeHttpServer::~FakeHttpServer() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : client_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : workers_) t.join();
  for (int fd : client_fds_) ::close(fd);
  ::close(listen_fd_);
}

void FakeHttpServer::push(FakeResponse r) {
  std::lock_guard lock(mutex_);
  canned_.push_back(std::move(r));
}

std::vector<FakeRequest> FakeHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeHttpServer::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool FakeHttpServer::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void FakeHttpServer::serve(int fd, std::size_t connection) {
  std::string buf;
  char chunk[16384];
  for (;;) {
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buf.append(chunk, static_cast<std::size_t>(n));
    }
    FakeRequest req;
    std::string line = parse_head(buf.substr(0, head_end), req.headers);
    auto sp1 = line.find(' '), sp2 = line.rfind(' ');
    req.method = line.substr(0, sp1);
    req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t length = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
    while (buf.size() < head_end + 4 + length) {
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buf.append(chunk, static_cast<std::size_t>(n));
    }
    req.body = buf.substr(head_end + 4, length);
    buf.erase(0, head_end + 4 + length);
    req.at = std::chrono::steady_clock::now();
    req.connection = connection;

    FakeResponse res;
    {
      std::unique_lock lock(mutex_);
      if (!canned_.empty()) {
        res = canned_.front();
        canned_.pop_front();
      } else if (handler_) {
        lock.unlock();
        res = handler_(req);
      }
    }
    {
      std::lock_guard lock(mutex_);  // recorded on arrival, answered after the delay
      requests_.push_back(req);
    }
    cv_.notify_all();
    if (res.delay.count() > 0) std::this_thread::sleep_for(res.delay);
    if (res.cut) {  // what a server that acted and then lost the connection looks like
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
    std::string out = "HTTP/1.1 " + std::to_string(res.status) + " X\r\nContent-Length: " + std::to_string(res.body.size()) + "\r\n";
    for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
    out += "\r\n" + res.body;
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0) return;
    if (req.header("connection") == "close") return;
  }
}

}  // namespace asc_webhookd::test
