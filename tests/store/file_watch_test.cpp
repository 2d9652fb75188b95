// The store tells when its file changes, whichever process wrote it: the
// delivery engine wakes for jobs requeued by `job retry` in another process
// instead of polling. A forked child writing through its own SQLite
// connection is that process: the watch sees another process's close after
// its commit (a second connection of this process would not do: SQLite
// keeps its file open until every connection of the process lets go).
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace asc_webhookd::store {
namespace {

using namespace std::chrono_literals;

struct Calls {
  std::mutex mutex;
  std::condition_variable cv;
  int n = 0;
  void bump() {
    std::lock_guard lock(mutex);
    ++n;
    cv.notify_all();
  }
  bool wait_more_than(int seen) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 10s, [&] { return n > seen; });
  }
  int count() {
    std::lock_guard lock(mutex);
    return n;
  }
};

// Exits 0 when the child's commit went through.
void write_from_another_process(const std::string& path) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open(path.c_str(), &db);
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(db, 5000);
      rc = sqlite3_exec(db, "INSERT OR REPLACE INTO kv(key, value, updated_at) VALUES('other', 'x', 0)", nullptr,
                        nullptr, nullptr);
    }
    sqlite3_close(db);
    ::_exit(rc == SQLITE_OK ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's commit failed";
}

TEST(StoreWatch, AnotherProcesssCommitIsReported) {
  test::TempDir dir;
  auto st = SqliteStore::open({dir.file("state.db"), ""});
  ASSERT_TRUE(st) << st.error().message;
  Calls calls;
  ASSERT_TRUE((*st)->watch_changes([&] { calls.bump(); }));
  const int before = calls.count();
  write_from_another_process(dir.file("state.db"));
  EXPECT_TRUE(calls.wait_more_than(before));

  // The store's own writes are not reported: it knows about them.
  std::this_thread::sleep_for(100ms);  // past the watch's fold of a burst
  const int own = calls.count();
  ASSERT_TRUE(test::kv_put(**st, "mine", "y"));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls.count(), own);

  // Null stops the calls; files of other names in the folder never count.
  (*st)->watch_changes(nullptr);
  const int stopped = calls.count();
  write_from_another_process(dir.file("state.db"));
  dir.write("unrelated.txt", "x");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls.count(), stopped);
}

}  // namespace
}  // namespace asc_webhookd::store
