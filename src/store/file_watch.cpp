#include "file_watch.hpp"

#include "asc_webhookd/core/thread_name.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <filesystem>

namespace asc_webhookd::store {

FileWatch::FileWatch(const std::string& path, std::function<void()> changed) : changed_(std::move(changed)) {
  const auto p = std::filesystem::absolute(path);
  name_ = p.filename().string();
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (inotify_fd_ >= 0 && stop_fd_ >= 0 &&
      ::inotify_add_watch(inotify_fd_, p.parent_path().c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) >= 0) {
    thread_ = std::thread([this] {
      name_this_thread("store-watch");
      loop();
    });
    return;
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  inotify_fd_ = -1;
}

FileWatch::~FileWatch() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void FileWatch::loop() {
  alignas(inotify_event) char buf[8192];
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents) return;
    bool ours = false;
    for (;;) {  // drain: one call for however many events are queued
      const auto n = ::read(inotify_fd_, buf, sizeof buf);
      if (n <= 0) break;
      for (char* p = buf; p < buf + n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(p);
        const std::string_view file = ev->len ? std::string_view(ev->name) : std::string_view{};
        // The database file itself and its -wal (-shm changes on every read).
        if (file == name_ || file == name_ + "-wal") ours = true;
        p += sizeof(inotify_event) + ev->len;
      }
    }
    if (!ours) continue;
    changed_();
    // Fold the rest of a burst (a busy writer commits every few ms) into the
    // next call.
    pollfd stop{stop_fd_, POLLIN, 0};
    if (::poll(&stop, 1, static_cast<int>(kDebounce.count())) > 0) return;
  }
}

}  // namespace asc_webhookd::store
