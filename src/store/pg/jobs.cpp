// The job queue in PostgreSQL, shared by every replica: a due job is leased
// with FOR UPDATE SKIP LOCKED (two replicas never lease one job) only when
// no earlier job of its order key is unfinished (the per-instance order),
// and records its lease's end and the backend that holds it.
#include "store_impl.hpp"

#include <algorithm>

namespace asc_webhookd::store {

namespace {

// Pending, due, and first of its order key among the unfinished jobs.
constexpr const char* kDueHead =
    "j.state = 'pending' AND j.next_at <= $1 AND NOT EXISTS (SELECT 1 FROM jobs k"
    " WHERE k.order_hash = j.order_hash AND NOT k.finished AND k.id < j.id)";

}  // namespace

void PostgresStore::lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs,
                                Completion<Leased> done) {
  auto work = [now_ms, lease_ms, max_jobs](pg::Tx& tx) {
    Leased result;
    // Expired leases first (their replica died mid-attempt): a running job
    // is the head of its key, so it goes before the rest of its key.
    std::vector<std::int64_t> ids;
    auto expired = tx.db.run(
        "SELECT id FROM jobs WHERE state = 'running' AND lease_until <= $1 ORDER BY lease_until, id LIMIT $2"
        " FOR UPDATE SKIP LOCKED",
        {now_ms, max_jobs});
    for (int i = 0; i < expired.size(); ++i) ids.push_back(expired.i64(i, 0));
    if (ids.size() < max_jobs) {
      auto due = tx.db.run(std::string("SELECT j.id FROM jobs j WHERE ") + kDueHead +
                               " ORDER BY j.next_at, j.id LIMIT $2 FOR UPDATE OF j SKIP LOCKED",
                           {now_ms, max_jobs - ids.size()});
      for (int i = 0; i < due.size(); ++i) ids.push_back(due.i64(i, 0));
    }
    if (!ids.empty()) {
      auto leased = tx.db.run(
          "UPDATE jobs SET state = 'running', lease_until = $2, leased_by = pg_backend_pid() FROM events e"
          " WHERE jobs.id = ANY($1::bigint[]) AND e.seq = jobs.event_seq"
          " RETURNING jobs.id, jobs.event_seq, jobs.rule, jobs.action_index, jobs.kind, jobs.action,"
          " jobs.attempts, jobs.created_at, e.webhook, e.raw",
          {pg::array_of(ids), now_ms + lease_ms});
      for (int i = 0; i < leased.size(); ++i) {
        LeasedJob j;
        j.id = leased.i64(i, 0);
        j.event_seq = leased.i64(i, 1);
        j.rule = leased.text(i, 2);
        j.action_index = static_cast<int>(leased.i64(i, 3));
        j.kind = leased.text(i, 4);
        j.action_json = leased.text(i, 5);
        j.attempts = static_cast<int>(leased.i64(i, 6));
        j.created_at_ms = leased.i64(i, 7);
        j.webhook = leased.text(i, 8);
        j.raw_event = leased.text(i, 9);
        j.lease_until_ms = now_ms + lease_ms;
        result.jobs.push_back(std::move(j));
      }
      // In the order they were chosen (UPDATE … RETURNING has none).
      std::sort(result.jobs.begin(), result.jobs.end(), [&](const LeasedJob& a, const LeasedJob& b) {
        return std::find(ids.begin(), ids.end(), a.id) < std::find(ids.begin(), ids.end(), b.id);
      });
      return result;
    }
    // The next time something becomes due. A job waiting behind an earlier
    // one of its key does not count: it is freed when that one is recorded.
    auto next = tx.db.run(
        "SELECT least((SELECT min(j.next_at) FROM jobs j WHERE j.state = 'pending' AND NOT EXISTS (SELECT 1"
        " FROM jobs k WHERE k.order_hash = j.order_hash AND NOT k.finished AND k.id < j.id)),"
        " (SELECT min(lease_until) FROM jobs WHERE state = 'running'))");
    result.next_due_ms = next.opt_i64(0, 0);
    return result;
  };
  impl_->writer.submit_for<Leased>(std::move(work), std::move(done), "the lease was not committed");
}

void PostgresStore::release_async(std::vector<std::int64_t> ids, Completion<void> done) {
  auto work = [ids = std::move(ids)](pg::Tx& tx) {
    tx.db.run("UPDATE jobs SET state = 'pending', lease_until = NULL, leased_by = NULL"
              " WHERE id = ANY($1::bigint[]) AND state = 'running'",
              {pg::array_of(ids)});
    tx.jobs_changed = true;
  };
  impl_->writer.submit_for<void>(std::move(work), std::move(done), "the release was not committed");
}

void PostgresStore::record_async(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms,
                                 Completion<void> done) {
  auto a = std::make_shared<Attempt>(std::move(attempt));
  auto work = [job_id, a, outcome, next_at_ms](pg::Tx& tx) {
    auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
    tx.db.run(
        "INSERT INTO attempts (job_id, started_at, duration_ms, http_status, error, outcome, detail, sent)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {job_id, a->started_at_ms, a->duration_ms,
         a->http_status ? std::optional<std::int64_t>(*a->http_status) : std::nullopt, a->error, a->outcome,
         opt(a->detail), opt(a->sent)});
    const char* state = outcome == JobOutcome::done ? "done" : outcome == JobOutcome::dead ? "dead" : "pending";
    tx.db.run(
        "UPDATE jobs SET state = $2, finished = $5, attempts = attempts + 1, next_at = $3, lease_until = NULL,"
        " leased_by = NULL, last_error = $4 WHERE id = $1",
        {job_id, state, next_at_ms, a->error, outcome != JobOutcome::retry});
    tx.jobs_changed = true;  // done or dead: the next of its key is due; retry: a new due time
  };
  impl_->writer.submit_for<void>(std::move(work), std::move(done), "the attempt's record was not committed");
}

void PostgresStore::take_back_unheld_async(std::vector<std::int64_t> held, Completion<std::size_t> done) {
  auto work = [held = std::move(held)](pg::Tx& tx) -> std::size_t {
    if (tx.past_pids.empty()) return 0;
    std::vector<std::int64_t> pids(tx.past_pids.begin(), tx.past_pids.end());
    auto r = tx.db.run(
        "UPDATE jobs SET state = 'pending', lease_until = NULL, leased_by = NULL"
        " WHERE state = 'running' AND leased_by = ANY($1::bigint[]) AND NOT (id = ANY($2::bigint[]))",
        {pg::array_of(pids), pg::array_of(held)});
    if (r.affected()) tx.jobs_changed = true;
    return r.affected();
  };
  impl_->writer.submit_for<std::size_t>(std::move(work), std::move(done), "the take-back was not committed");
}

StoreResult<std::size_t> PostgresStore::recover_running() {
  // Only the jobs of backends that are gone (a replica that died, this
  // one's previous run): the running jobs of live replicas are theirs.
  return impl_->notice.after(impl_->ops.run_sync([](pg::Tx& tx) {
    auto r = tx.db.run(
        "UPDATE jobs SET state = 'pending', lease_until = NULL, leased_by = NULL WHERE state = 'running'"
        " AND (leased_by IS NULL OR leased_by NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL))");
    if (r.affected()) tx.jobs_changed = true;
    return r.affected();
  }));
}

namespace {
constexpr const char* kRequeueDead =
    "UPDATE jobs SET state = 'pending', finished = false, attempts = 0, next_at = $2, created_at = $2,"
    " lease_until = NULL, leased_by = NULL WHERE state = 'dead' AND ";
}

StoreResult<RetryOutcome> PostgresStore::retry_job_now(std::int64_t job_id, std::int64_t now_ms) {
  return impl_->notice.after(impl_->ops.run_sync([&](pg::Tx& tx) {
    auto q = tx.db.run("SELECT state FROM jobs WHERE id = $1 FOR UPDATE", {job_id});
    if (q.size() == 0) return RetryOutcome::not_found;
    const std::string state = q.text(0, 0);
    if (state == "done") return RetryOutcome::done;
    if (state == "running") return RetryOutcome::running;
    if (state == "dead") tx.db.run(std::string(kRequeueDead) + "id = $1", {job_id, now_ms});
    else tx.db.run("UPDATE jobs SET next_at = $2 WHERE id = $1 AND state = 'pending'", {job_id, now_ms});  // backoff: due now
    tx.jobs_changed = true;
    return RetryOutcome::requeued;
  }));
}

StoreResult<std::size_t> PostgresStore::retry_event(std::int64_t seq, std::int64_t now_ms) {
  return impl_->notice.after(impl_->ops.run_sync([&](pg::Tx& tx) {
    auto r = tx.db.run(std::string(kRequeueDead) + "event_seq = $1", {seq, now_ms});
    tx.jobs_changed = r.affected() > 0;
    return r.affected();
  }));
}

}  // namespace asc_webhookd::store
