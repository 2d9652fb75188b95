// The store's schema and its own timestamps: every foreign key can be
// followed by an index (a cascade never reads a whole table), and the rows
// the store stamps itself take the store's clock, the one pruning uses.
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/store_calls.hpp"
#include "support/store_events.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <string>
#include <vector>

namespace asc_webhookd::store {
namespace {

using test::TempDir;

std::vector<std::vector<std::string>> rows(sqlite3* db, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      const auto* t = sqlite3_column_text(s, i);
      row.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(s);
  return out;
}

TEST(StoreSchema, EveryForeignKeyHasAnIndexOnItsColumn) {
  // ON DELETE CASCADE finds a parent's children by the child column; with no
  // index there, pruning one event reads the whole child table (history did).
  TempDir dir;
  const auto path = dir.file("state.db");
  { ASSERT_TRUE(SqliteStore::open({path, ""})); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  int keys = 0;
  for (const auto& table : rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table'")) {
    for (const auto& fk : rows(db, "SELECT \"from\" FROM pragma_foreign_key_list('" + table[0] + "')")) {
      ++keys;
      std::set<std::string> leading;  // the first column of each index on the table
      for (const auto& index : rows(db, "SELECT name FROM pragma_index_list('" + table[0] + "')"))
        for (const auto& col : rows(db, "SELECT name FROM pragma_index_info('" + index[0] + "') WHERE seqno = 0"))
          leading.insert(col[0]);
      EXPECT_TRUE(leading.count(fk[0])) << table[0] << "." << fk[0] << " references another table but no index starts with it";
    }
  }
  EXPECT_GE(keys, 2);  // jobs, attempts
  sqlite3_close(db);
}

TEST(StoreSchema, TheStoresOwnStampsTakeItsClockAsPruningDoes) {
  // A progress note written "now" by the daemon's clock is younger than a
  // cutoff an hour before that now, whatever the wall clock says.
  TempDir dir;
  const auto path = dir.file("state.db");
  ManualClock clock(4'000'000'000'000);  // 2096: far from the wall clock
  auto st = std::move(SqliteStore::open({path, "", false, &clock}).value());
  ASSERT_TRUE(test::kv_put(*st, "progress:job-1", "MOB-1 done"));
  EXPECT_EQ(st->prune(clock.now_ms() - 3'600'000).value(), 0u);
  EXPECT_EQ(test::kv_get(*st, "progress:job-1").value(), "MOB-1 done");
  clock.advance(std::chrono::hours(2));
  st->prune(clock.now_ms() - 3'600'000);
  EXPECT_EQ(test::kv_get(*st, "progress:job-1").value(), std::nullopt);
}

std::int64_t one(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  const auto r = rows(db, sql);
  sqlite3_close(db);
  return r.empty() ? -1 : std::stoll(r[0][0]);
}

TEST(StoreSchema, AJobIsFinishedExactlyWhenItIsDoneOrDeadThroughItsWholeLife) {
  // `finished` defines the order index; a job whose flag disagreed with its
  // state would block its instance forever or let the next job overtake it.
  TempDir dir;
  const auto path = dir.file("state.db");
  auto st = std::move(SqliteStore::open({path, ""}).value());
  const auto mismatched = [&] {
    return one(path, "SELECT count(*) FROM jobs WHERE finished != (state IN ('done', 'dead'))");
  };
  const auto seq = test::ingest(*st, test::new_event("e1", 3)).value().event_seq;
  EXPECT_EQ(mismatched(), 0);
  auto leased = test::lease_one(*st, 2000, 60000);  // running
  ASSERT_TRUE(leased.job);
  EXPECT_EQ(mismatched(), 0);
  ASSERT_TRUE(test::record(*st, leased.job->id, {2000, 1, 503, "busy", "retry", "", ""}, JobOutcome::retry, 2000));
  EXPECT_EQ(mismatched(), 0);
  leased = test::lease_one(*st, 3000, 60000);
  ASSERT_TRUE(leased.job);
  ASSERT_TRUE(test::record(*st, leased.job->id, {3000, 1, 400, "bad", "dead", "", ""}, JobOutcome::dead, 3000));
  EXPECT_EQ(one(path, "SELECT count(*) FROM jobs WHERE finished = 1"), 1);
  EXPECT_EQ(st->count_jobs("dead").value(), 1u);
  EXPECT_EQ(st->count_jobs("pending").value(), 2u);
  EXPECT_EQ(st->count_jobs("done").value(), 0u);
  EXPECT_EQ(mismatched(), 0);
  EXPECT_EQ(st->retry_event(seq, 4000).value(), 1u);  // dead → pending
  EXPECT_EQ(mismatched(), 0);
  for (int i = 0; i < 3; ++i) {
    leased = test::lease_one(*st, 5000 + i, 60000);
    ASSERT_TRUE(leased.job) << i;
    ASSERT_TRUE(test::record(*st, leased.job->id, {5000, 1, 200, "", "done", "", ""}, JobOutcome::done, 5000));
  }
  EXPECT_EQ(st->count_jobs("done").value(), 3u);
  EXPECT_EQ(st->count_jobs("pending").value(), 0u);
  EXPECT_EQ(st->count_jobs("running").value(), 0u);
  EXPECT_EQ(mismatched(), 0);
}

}  // namespace
}  // namespace asc_webhookd::store
