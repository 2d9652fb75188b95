#include "listener.hpp"

#include "asc_webhookd/core/thread_name.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace asc_webhookd::store::pg {

Listener::Listener(std::string url, std::function<bool(int)> own, std::function<void()> changed)
    : url_(std::move(url)), own_(std::move(own)), changed_(std::move(changed)) {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] {
    name_this_thread("store-listen");
    loop();
  });
}

Listener::~Listener() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(stop_fd_);
}

bool Listener::listen() {
  if (!db_.open(url_, "asc-webhookd listener").empty()) return false;
  try {
    db_.exec(std::string("LISTEN ") + kJobsChannel);
  } catch (const Failure&) {
    db_.close();
    return false;
  }
  return true;
}

void Listener::loop() {
  bool was_away = false;
  for (;;) {
    if (!db_.ok()) {
      if (!listen()) {
        was_away = true;
        pollfd stop{stop_fd_, POLLIN, 0};
        if (::poll(&stop, 1, 1000) > 0) return;
        continue;
      }
      if (was_away) changed_();  // back: whatever was sent meanwhile was missed
      was_away = false;
    }
    pollfd fds[2] = {{lib().PQsocket(db_.handle()), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents) return;
    if (!lib().PQconsumeInput(db_.handle())) {
      db_.close();
      was_away = true;
      continue;
    }
    bool news = false;
    while (PGnotify* n = lib().PQnotifies(db_.handle())) {
      if (!own_(n->be_pid)) news = true;
      lib().PQfreemem(n);
    }
    if (!news) continue;
    changed_();
    pollfd stop{stop_fd_, POLLIN, 0};  // fold the rest of a burst into the next call
    if (::poll(&stop, 1, static_cast<int>(kDebounce.count())) > 0) return;
  }
}

}  // namespace asc_webhookd::store::pg
