// Events in PostgreSQL: ingest (an event and its planned jobs in one
// commit, exact dedupe by the unique (webhook, event_id)), jobs added by a
// replay, pruning after the retention window.
#include "../key_hash.hpp"
#include "store_impl.hpp"

namespace asc_webhookd::store {

namespace {

// A pending job after every job of its order key already queued (ids grow;
// the lease takes a job only when no earlier one of its key is unfinished).
std::int64_t insert_job(pg::Tx& tx, std::int64_t event_seq, const NewJob& j, std::int64_t now_ms) {
  auto r = tx.db.run(
      "INSERT INTO jobs (event_seq, rule, action_index, kind, action, order_key, order_hash, state, next_at,"
      " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING id",
      {event_seq, j.rule, j.action_index, j.kind, j.stored, j.order_key, key_hash(j.order_key), now_ms});
  tx.jobs_changed = true;
  return r.i64(0, 0);
}

}  // namespace

void PostgresStore::ingest_async(NewEvent ev, Completion<Ingested> done) {
  auto input = std::make_shared<NewEvent>(std::move(ev));
  auto work = [input](pg::Tx& tx) {
    const auto& e = input->event;
    const bool has_instance = e.instance.has_value();
    // An event with an instance and a new state is an entry of that
    // instance's history (history_async).
    std::optional<std::int64_t> hash;
    if (e.instance && e.new_state) hash = instance_hash(input->webhook, e.instance->id);
    auto r = tx.db.run(
        "INSERT INTO events (webhook, event_id, type, old_state, new_state, instance_type, instance_id,"
        " event_time, received_at, raw, source, instance_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
        " $11, $12) ON CONFLICT (webhook, event_id) DO NOTHING RETURNING seq",
        {input->webhook, e.id, e.type_name, e.old_state, e.new_state,
         has_instance ? std::optional<std::string>(e.instance->type) : std::nullopt,
         has_instance ? std::optional<std::string>(e.instance->id) : std::nullopt,
         e.timestamp ? std::optional<std::int64_t>(e.timestamp->unix_nanos) : std::nullopt, input->received_at_ms,
         e.raw, input->source, hash});
    if (r.size() == 0) return Ingested{true, 0, 0};  // the conflict: seen before, plan nothing
    const std::int64_t seq = r.i64(0, 0);
    for (const auto& j : input->jobs) insert_job(tx, seq, j, input->received_at_ms);
    return Ingested{false, seq, input->jobs.size()};
  };
  impl_->writer.submit_for<Ingested>(std::move(work), std::move(done), "the event was not committed");
}

StoreResult<std::vector<std::int64_t>> PostgresStore::add_jobs(std::int64_t event_seq,
                                                               const std::vector<NewJob>& jobs,
                                                               std::int64_t now_ms) {
  return impl_->notice.after(impl_->ops.run_sync([&](pg::Tx& tx) {
    std::vector<std::int64_t> ids;
    for (const auto& j : jobs) ids.push_back(insert_job(tx, event_seq, j, now_ms));
    return ids;
  }));
}

StoreResult<std::size_t> PostgresStore::prune(std::int64_t before_ms) {
  return impl_->ops.run_sync([before_ms](pg::Tx& tx) {
    auto r = tx.db.run(
        "DELETE FROM events e WHERE received_at < $1 AND NOT EXISTS"
        " (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state != 'done')",
        {before_ms});
    tx.db.run("DELETE FROM kv WHERE key LIKE 'progress:%' AND updated_at < $1", {before_ms});
    return r.affected();
  });
}

}  // namespace asc_webhookd::store
