// The store tells when its file changes, whichever process wrote it: the
// delivery engine wakes for jobs requeued by `job retry` in another process
// instead of polling. A second SQLite connection stands in for that process.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

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

void write_from_another_connection(const std::string& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  EXPECT_EQ(sqlite3_exec(db, "INSERT OR REPLACE INTO kv(key, value, updated_at) VALUES('other', 'x', 0)", nullptr,
                         nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST(StoreWatch, AnotherConnectionsCommitIsReported) {
  test::TempDir dir;
  auto st = SqliteStore::open({dir.file("state.db"), ""});
  ASSERT_TRUE(st) << st.error().message;
  Calls calls;
  ASSERT_TRUE((*st)->watch_changes([&] { calls.bump(); }));
  const int before = calls.count();
  write_from_another_connection(dir.file("state.db"));
  EXPECT_TRUE(calls.wait_more_than(before));

  // Null stops the calls; files of other names in the folder never count.
  (*st)->watch_changes(nullptr);
  const int stopped = calls.count();
  write_from_another_connection(dir.file("state.db"));
  dir.write("unrelated.txt", "x");
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls.count(), stopped);
}

}  // namespace
}  // namespace asc_webhookd::store
