// Read views and small state: instance history, the key-value table, the
// operator's event lists and details, job counts, the readiness probe.
#include "writer.hpp"

namespace asc_webhookd::store {

void SqliteStore::history_async(std::string webhook, std::string instance_id,
                                std::function<void(std::vector<HistoryEntry>)> done) {
  auto out = std::make_shared<std::vector<HistoryEntry>>();
  impl_->submit({[webhook = std::move(webhook), instance_id = std::move(instance_id), out](sql::Db& db, std::string&) {
                   auto s = db.stmt(
                       "SELECT state, event_time, received_at FROM history WHERE webhook = ?1 AND instance_id = ?2"
                       " ORDER BY coalesce(event_time, received_at * 1000000), id");
                   s.bind(1, webhook).bind(2, instance_id);
                   while (s.step() == SQLITE_ROW)
                     out->push_back({s.text(0), s.is_null(1) ? std::nullopt : std::optional<std::int64_t>(s.i64(1)), s.i64(2)});
                   return true;
                 },
                 [out, done = std::move(done)](bool, const StoreError&) { done(std::move(*out)); },
                 /*durable=*/false});  // a read
}

void SqliteStore::kv_get_async(std::string key, std::function<void(std::optional<std::string>)> done) {
  auto value = std::make_shared<std::optional<std::string>>();
  impl_->submit({[key = std::move(key), value](sql::Db& db, std::string&) {
                   auto s = db.stmt("SELECT value FROM kv WHERE key = ?1");
                   s.bind(1, key);
                   if (s.step() == SQLITE_ROW) *value = s.text(0);
                   return true;
                 },
                 [value, done = std::move(done)](bool ok, const StoreError&) { done(ok ? std::move(*value) : std::nullopt); },
                 /*durable=*/false});  // a read
}

void SqliteStore::kv_put_async(std::string key, std::string value, std::function<void(bool ok)> done) {
  impl_->submit({[key = std::move(key), value = std::move(value)](sql::Db& db, std::string&) {
                   auto s = db.stmt(
                       "INSERT INTO kv (key, value, updated_at) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
                   s.bind(1, key).bind(2, value).bind(3, wall_ms());
                   if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
                   return true;
                 },
                 [done = std::move(done)](bool ok, const StoreError&) { done(ok); }});
}

namespace {

constexpr const char* kEventState =
    "CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'dead') THEN 'dead'"
    " WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state IN ('pending', 'running')) THEN 'pending'"
    " ELSE 'done' END";

EventView read_event_row(sql::Stmt& s) {
  EventView v;
  v.seq = s.i64(0);
  v.webhook = s.text(1);
  v.event_id = s.text(2);
  v.type = s.text(3);
  v.old_state = s.text(4);
  v.new_state = s.text(5);
  v.received_at_ms = s.i64(6);
  v.state = s.text(7);
  v.raw = s.text(8);
  v.source = s.text(9);
  return v;
}

}  // namespace

StoreResult<std::vector<EventView>> SqliteStore::events(const std::string& state, std::size_t limit) {
  return impl_->run_sync([&](sql::Db& db) {
    static const std::string q = std::string("SELECT * FROM (SELECT e.seq, e.webhook, e.event_id, e.type, e.old_state,"
                                             " e.new_state, e.received_at, ") +
                                 kEventState + " AS st, '', e.source FROM events e) WHERE (?1 = '' OR st = ?1)" +
                                 " ORDER BY seq DESC LIMIT ?2";
    std::vector<EventView> out;
    auto s = db.stmt(q.c_str());
    s.bind(1, state).bind(2, static_cast<std::int64_t>(limit));
    while (s.step() == SQLITE_ROW) out.push_back(read_event_row(s));
    return out;
  });
}

StoreResult<std::optional<EventView>> SqliteStore::event(const std::string& id) {
  return impl_->run_sync([&](sql::Db& db) -> std::optional<EventView> {
    static const std::string q = std::string("SELECT e.seq, e.webhook, e.event_id, e.type, e.old_state, e.new_state,"
                                             " e.received_at, ") +
                                 kEventState + ", e.raw, e.source FROM events e WHERE e.event_id = ?1 OR e.seq = ?2"
                                               " ORDER BY e.seq DESC LIMIT 1";
    const auto seq = seq_reference(id);
    auto s = db.stmt(q.c_str());
    s.bind(1, seq ? std::string() : id).bind(2, seq.value_or(-1));
    if (s.step() != SQLITE_ROW) return std::nullopt;
    EventView v = read_event_row(s);
    auto j = db.stmt(
        "SELECT id, rule, action_index, kind, state, attempts, next_at, coalesce(last_error, ''), action"
        " FROM jobs WHERE event_seq = ?1 ORDER BY id");
    j.bind(1, v.seq);
    while (j.step() == SQLITE_ROW) {
      JobView jv{j.i64(0), j.text(1), static_cast<int>(j.i64(2)), j.text(3), j.text(4), static_cast<int>(j.i64(5)),
                 j.i64(6), j.text(7), j.text(8), {}};
      auto a = db.stmt(
          "SELECT started_at, duration_ms, http_status, coalesce(error, ''), outcome, coalesce(detail, ''),"
          " coalesce(sent, '') FROM attempts"
          " WHERE job_id = ?1 ORDER BY id");
      a.bind(1, jv.id);
      while (a.step() == SQLITE_ROW)
        jv.attempt_log.push_back({a.i64(0), a.i64(1),
                                  a.is_null(2) ? std::nullopt : std::optional<int>(static_cast<int>(a.i64(2))),
                                  a.text(3), a.text(4), a.text(5), a.text(6)});
      v.jobs.push_back(std::move(jv));
    }
    return v;
  });
}

StoreResult<std::size_t> SqliteStore::count_jobs(const std::string& state) {
  return impl_->run_sync([&](sql::Db& db) {
    auto s = db.stmt("SELECT count(*) FROM jobs WHERE state = ?1");
    s.bind(1, state);
    return s.step() == SQLITE_ROW ? static_cast<std::size_t>(s.i64(0)) : std::size_t{0};
  });
}

void SqliteStore::check_writable_async(std::function<void(std::string)> done) {
  impl_->submit({[](sql::Db& db, std::string&) {
                   auto s = db.stmt(
                       "INSERT INTO kv (key, value, updated_at) VALUES ('readyz', 'ok', ?1)"
                       " ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at");
                   s.bind(1, wall_ms());
                   if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
                   return true;
                 },
                 [done = std::move(done)](bool ok, const StoreError& error) {
                   done(ok ? "" : error.message.empty() ? error.code.message() : error.message);
                 }});
}

}  // namespace asc_webhookd::store
