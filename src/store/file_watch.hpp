#pragma once
// Tells when a store file changed on disk, whoever wrote it: the operator
// commands (`job retry`, `event retry`) run in another process and commit to
// the same SQLite file, and the delivery engine should see their requeued
// jobs now, not at its next timed wake-up. inotify on the file's folder,
// for the file and its -wal, on close after writing: another process's
// command closes the store when it exits after its commit. Not on every
// write (IN_MODIFY): the daemon's own writer and checkpointer would queue
// an inotify event per page written, ~5% of the writer's time under load.
// Bursts are folded into one call per `kDebounce`. Linux only; where inotify is unavailable, ok() is false and
// nothing is called (the engine then keeps its timed wake-ups).
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace asc_webhookd::store {

class FileWatch {
public:
  static constexpr auto kDebounce = std::chrono::milliseconds(20);

  // `changed` runs on the watch's own thread.
  FileWatch(const std::string& path, std::function<void()> changed);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  bool ok() const { return inotify_fd_ >= 0; }

private:
  void loop();
  std::string name_;  // the file's name inside its folder
  std::function<void()> changed_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd: written once to end loop()
  std::thread thread_;
};

}  // namespace asc_webhookd::store
