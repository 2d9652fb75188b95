// Copying an SQLite store into PostgreSQL (migrate.hpp), table by table in
// key order, 1,000 rows per PostgreSQL transaction.
#include "asc_webhookd/store/migrate.hpp"

#include "../sqlite.hpp"
#include "asc_webhookd/store/postgres_store.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"
#include "pg.hpp"

#include <vector>

namespace asc_webhookd::store {

namespace {

constexpr int kBatch = 1000;

// One table's copy: `read` selects rows after the last key (?1) in key
// order, LIMIT ?2, the key first; `write` inserts one row, its parameters
// made from the row by `params`, and changes nothing when it is there.
struct TableCopy {
  const char* name;
  const char* read;
  const char* write;
  std::function<std::vector<pg::Value>(sql::Stmt&)> params;
};

std::optional<std::string> opt_text(sql::Stmt& s, int col) {
  return s.is_null(col) ? std::nullopt : std::optional<std::string>(s.text(col));
}
std::optional<std::int64_t> opt_i64(sql::Stmt& s, int col) {
  return s.is_null(col) ? std::nullopt : std::optional<std::int64_t>(s.i64(col));
}

const TableCopy kTables[] = {
    {"events",
     "SELECT seq, webhook, event_id, type, old_state, new_state, instance_type, instance_id, event_time, received_at,"
     " raw, source, instance_hash FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
     "INSERT INTO events (seq, webhook, event_id, type, old_state, new_state, instance_type, instance_id, event_time,"
     " received_at, raw, source, instance_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
     " ON CONFLICT DO NOTHING",
     [](sql::Stmt& s) -> std::vector<pg::Value> {
       return {s.i64(0), s.text(1), s.text(2), s.text(3), opt_text(s, 4), opt_text(s, 5), opt_text(s, 6),
               opt_text(s, 7), opt_i64(s, 8), s.i64(9), s.text(10), s.text(11), opt_i64(s, 12)};
     }},
    // A job whose event was not copied (the same webhook and id stored by a
    // replica under another seq) is not copied either.
    {"jobs",
     "SELECT id, event_seq, rule, action_index, kind, action, order_key, order_hash, state, finished, attempts,"
     " next_at, created_at, last_error FROM jobs WHERE id > ?1 ORDER BY id LIMIT ?2",
     "INSERT INTO jobs (id, event_seq, rule, action_index, kind, action, order_key, order_hash, state, finished,"
     " attempts, next_at, created_at, last_error) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14"
     " WHERE EXISTS (SELECT 1 FROM events WHERE seq = $2) ON CONFLICT DO NOTHING",
     [](sql::Stmt& s) -> std::vector<pg::Value> {
       std::string state = s.text(8);
       if (state == "running") state = "pending";  // its daemon is gone
       return {s.i64(0), s.i64(1), s.text(2), s.i64(3), s.text(4), s.text(5), s.text(6), s.i64(7), state,
               s.i64(9) != 0, s.i64(10), s.i64(11), s.i64(12), opt_text(s, 13)};
     }},
    {"attempts",
     "SELECT id, job_id, started_at, duration_ms, http_status, error, outcome, detail, sent FROM attempts"
     " WHERE id > ?1 ORDER BY id LIMIT ?2",
     "INSERT INTO attempts (id, job_id, started_at, duration_ms, http_status, error, outcome, detail, sent)"
     " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = $2)"
     " ON CONFLICT DO NOTHING",
     [](sql::Stmt& s) -> std::vector<pg::Value> {
       return {s.i64(0), s.i64(1), s.i64(2), s.i64(3), opt_i64(s, 4), opt_text(s, 5), s.text(6), opt_text(s, 7),
               opt_text(s, 8)};
     }},
    // kv has a text key: rowid gives the order to resume by.
    {"kv", "SELECT rowid, key, value, updated_at FROM kv WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
     "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
     [](sql::Stmt& s) -> std::vector<pg::Value> { return {s.text(1), s.text(2), s.i64(3)}; }},
};

MigrateCounts::Table copy_table(sql::Db& from, pg::Conn& to, const TableCopy& t) {
  MigrateCounts::Table counts;
  std::int64_t last = 0;
  for (;;) {
    auto read = from.stmt(t.read);
    read.bind(1, last).bind(2, std::int64_t{kBatch});
    int rows = 0;
    to.exec("BEGIN");
    while (read.step() == SQLITE_ROW) {
      ++rows;
      last = read.i64(0);
      (to.run(t.write, t.params(read)).affected() ? counts.copied : counts.present)++;
    }
    to.exec("COMMIT");
    if (rows < kBatch) return counts;
  }
}

}  // namespace

Result<MigrateCounts, Error> copy_sqlite_to_postgres(
    const std::string& sqlite_path, const std::string& postgres_url,
    const std::function<void(const std::string&, const MigrateCounts::Table&)>& progress) {
  // Both schemas current first: an older SQLite store is migrated in place
  // (as the daemon would at start), PostgreSQL's tables are created.
  {
    auto st = SqliteStore::open({sqlite_path, ""});
    if (!st) return st.error();
  }
  {
    auto st = PostgresStore::open({postgres_url});
    if (!st) return st.error();
  }
  sql::Db from;
  if (auto e = from.open(sqlite_path, "", /*read_only=*/true); !e.empty())
    return Error{"cannot open the store " + sqlite_path + ": " + e};
  from.exec("PRAGMA busy_timeout=5000");
  pg::Conn to;
  if (auto e = to.open(postgres_url, "asc-webhookd migrate"); !e.empty()) return Error{e};
  to.set_answer_limit({});  // a person's command, which may copy large batches: no limit
  MigrateCounts out;
  MigrateCounts::Table* dest[] = {&out.events, &out.jobs, &out.attempts, &out.kv};
  try {
    to.exec("SET synchronous_commit = on");
    for (std::size_t i = 0; i < std::size(kTables); ++i) {
      *dest[i] = copy_table(from, to, kTables[i]);
      if (progress) progress(kTables[i].name, *dest[i]);
    }
    // New rows continue after the copied ones.
    for (const auto& [table, key] : {std::pair{"events", "seq"}, std::pair{"jobs", "id"}, std::pair{"attempts", "id"}})
      to.exec(std::string("SELECT setval(pg_get_serial_sequence('") + table + "', '" + key + "'), coalesce((SELECT max(" +
              key + ") FROM " + table + "), 1), (SELECT count(*) > 0 FROM " + table + "))");
  } catch (const std::exception& e) {
    return Error{std::string("the copy stopped (run it again: what was copied stays, nothing is copied twice): ") +
                 e.what()};
  }
  return out;
}

}  // namespace asc_webhookd::store
