// Events: ingest (an event and its planned jobs in one durable commit,
// exact dedupe) and pruning after the retention window.
#include "key_hash.hpp"
#include "writer.hpp"

namespace asc_webhookd::store {

namespace {

// A pending job, ready when no earlier job of its order key is unfinished
// (pending or running; ids grow, so it goes after every one queued).
// Returns its id.
std::int64_t insert_job(sql::Db& db, std::int64_t event_seq, const NewJob& j, std::int64_t now_ms) {
  auto s = db.stmt(
      "INSERT INTO jobs (event_seq, rule, action_index, kind, action, order_key, order_hash, state, next_at,"
      " created_at, ready) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, 'pending', ?7, ?7, NOT EXISTS (SELECT 1 FROM jobs"
      " WHERE order_hash = ?8 AND finished = 0)) RETURNING id");
  s.bind(1, event_seq).bind(2, j.rule).bind(3, j.action_index).bind(4, j.kind).bind(5, j.stored);
  s.bind(6, j.order_key).bind(7, now_ms).bind(8, key_hash(j.order_key));
  if (s.step() != SQLITE_ROW) throw std::runtime_error(db.error());
  const std::int64_t id = s.i64(0);
  if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  return id;
}

}  // namespace

void SqliteStore::ingest_async(NewEvent ev, Completion<Ingested> done) {
  auto input = std::make_shared<NewEvent>(std::move(ev));
  auto work = [input](sql::Db& db) {
    const auto& e = input->event;
    auto ins = db.stmt(
        "INSERT INTO events (webhook, event_id, type, old_state, new_state, instance_type, instance_id, "
        "event_time, received_at, raw, source, instance_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
        "ON CONFLICT (webhook, event_id) DO NOTHING RETURNING seq");
    ins.bind(1, input->webhook).bind(2, e.id).bind(3, e.type_name).bind(4, e.old_state).bind(5, e.new_state);
    ins.bind(6, e.instance ? std::optional<std::string>(e.instance->type) : std::nullopt);
    ins.bind(7, e.instance ? std::optional<std::string>(e.instance->id) : std::nullopt);
    ins.bind(8, e.timestamp ? std::optional<std::int64_t>(e.timestamp->unix_nanos) : std::nullopt);
    ins.bind(9, input->received_at_ms).bind(10, e.raw).bind(11, input->source);
    // An event with an instance and a new state is an entry of that
    // instance's history (history_async).
    if (e.instance && e.new_state) ins.bind(12, instance_hash(input->webhook, e.instance->id));
    else ins.bind_null(12);
    int rc = ins.step();
    if (rc == SQLITE_DONE) return Ingested{true, 0, 0};  // the conflict: seen before, plan nothing
    if (rc != SQLITE_ROW) throw std::runtime_error(db.error());
    const std::int64_t seq = ins.i64(0);
    if (ins.step() != SQLITE_DONE) throw std::runtime_error(db.error());
    for (const auto& j : input->jobs) insert_job(db, seq, j, input->received_at_ms);
    return Ingested{false, seq, input->jobs.size()};
  };
  impl_->submit_for<Ingested>(std::move(work), std::move(done), /*durable=*/true, "the event was not committed");
}

StoreResult<std::vector<std::int64_t>> SqliteStore::add_jobs(std::int64_t event_seq,
                                                             const std::vector<NewJob>& jobs,
                                                             std::int64_t now_ms) {
  return impl_->notice.after(impl_->run_sync([&](sql::Db& db) {
    std::vector<std::int64_t> ids;
    for (const auto& j : jobs) ids.push_back(insert_job(db, event_seq, j, now_ms));
    return ids;
  }));
}

StoreResult<std::size_t> SqliteStore::prune(std::int64_t before_ms) {
  return impl_->run_sync([before_ms](sql::Db& db) {
    // Events are numbered in arrival order: walk from the oldest to the
    // first one received after the cutoff (no index on received_at to keep
    // up at ingest), and delete the done ones before it.
    std::int64_t bound = INT64_MAX;
    auto first = db.stmt("SELECT seq FROM events WHERE received_at >= ?1 ORDER BY seq LIMIT 1");
    first.bind(1, before_ms);
    if (first.step() == SQLITE_ROW) bound = first.i64(0);
    auto s = db.stmt(
        "DELETE FROM events WHERE seq < ?2 AND received_at < ?1 AND NOT EXISTS"
        " (SELECT 1 FROM jobs WHERE jobs.event_seq = events.seq AND jobs.state != 'done')");
    s.bind(1, before_ms).bind(2, bound);
    s.step();
    auto n = static_cast<std::size_t>(db.changes());
    auto kv = db.stmt("DELETE FROM kv WHERE key LIKE 'progress:%' AND updated_at < ?1");
    kv.bind(1, before_ms);
    kv.step();
    return n;
  });
}

}  // namespace asc_webhookd::store
