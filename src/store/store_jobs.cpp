// The job queue: lease due jobs (one per order key, in id order), give them
// back, record attempts, resume after a crash, requeue dead ones.
#include "writer.hpp"

namespace asc_webhookd::store {

namespace {

// Per order key, only the job that no pending or running job of the same
// key precedes (by id) is `ready`; only ready jobs are indexed for leasing.
// After a job of key K changes state, K's head is found with two index
// seeks and the flag set on it and cleared on the changed job if needed.
void refresh_head(sql::Db& db, std::int64_t changed_id, std::int64_t order_hash) {
  std::int64_t head = INT64_MAX;
  {
    // The first entry of the key in jobs_order, which holds only the
    // unfinished (pending and running) jobs.
    auto m = db.stmt("SELECT min(id) FROM jobs WHERE order_hash = ?1 AND finished = 0");
    m.bind(1, order_hash);
    if (m.step() == SQLITE_ROW && !m.is_null(0)) head = m.i64(0);
  }
  // By rowid, one row each (with `id IN (..)` the planner may walk the
  // state index instead).
  if (changed_id != head) {
    auto clear = db.stmt("UPDATE jobs SET ready = 0 WHERE id = ?1 AND state = 'pending' AND ready = 1");
    clear.bind(1, changed_id);
    if (clear.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  }
  auto set = db.stmt("UPDATE jobs SET ready = 1 WHERE id = ?1 AND state = 'pending' AND ready = 0");
  set.bind(1, head);
  if (set.step() != SQLITE_DONE) throw std::runtime_error(db.error());
}

// Steps `update`, an UPDATE of job `job_id` ending in `RETURNING order_hash`,
// then refreshes that key's head (nothing when no row matched).
void update_job(sql::Db& db, sql::Stmt& update, std::int64_t job_id) {
  const int rc = update.step();
  if (rc == SQLITE_DONE) return;
  if (rc != SQLITE_ROW) throw std::runtime_error(db.error());
  const std::int64_t key = update.i64(0);
  update.step();
  refresh_head(db, job_id, key);
}

// Steps `update`, an UPDATE of several jobs ending in `RETURNING order_hash`,
// then recomputes every key it touched as a whole (several of a key's jobs
// may have changed at once: requeued by an operator, resumed after a
// crash). Returns how many jobs it changed.
std::size_t update_jobs(sql::Db& db, sql::Stmt& update) {
  std::vector<std::int64_t> keys;
  while (update.step() == SQLITE_ROW) keys.push_back(update.i64(0));
  const std::size_t changed = keys.size();
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const auto key : keys) {
    auto u = db.stmt(
        "UPDATE jobs SET ready = NOT EXISTS (SELECT 1 FROM jobs k WHERE k.order_hash = jobs.order_hash"
        " AND k.finished = 0 AND k.id < jobs.id)"
        " WHERE order_hash = ?1 AND finished = 0 AND state = 'pending'");
    u.bind(1, key);
    if (u.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  }
  return changed;
}

}  // namespace

void SqliteStore::lease_async(std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_jobs,
                              Completion<Leased> done) {
  auto work = [now_ms, lease_ms, max_jobs](sql::Db& db) {
    Leased result;
    // Due: running with an expired lease (its worker died), or pending,
    // ready (no earlier job of its order key is pending or running: the
    // per-instance order) and its time has come. Two index walks rather
    // than one OR; only ready jobs are in the second index, so a backlog
    // waiting behind a job in backoff is never walked. A key has at most
    // one ready job, so one batch never holds two jobs of one key.
    std::vector<std::int64_t> ids;
    {
      auto expired = db.stmt("SELECT id FROM jobs WHERE state = 'running' AND lease_until <= ?1 LIMIT ?2");
      expired.bind(1, now_ms).bind(2, static_cast<std::int64_t>(max_jobs));
      while (expired.step() == SQLITE_ROW) ids.push_back(expired.i64(0));
    }
    if (ids.size() < max_jobs) {
      auto due = db.stmt(
          "SELECT id FROM jobs WHERE state = 'pending' AND ready = 1 AND next_at <= ?1"
          " ORDER BY next_at, id LIMIT ?2");
      due.bind(1, now_ms).bind(2, static_cast<std::int64_t>(max_jobs - ids.size()));
      while (due.step() == SQLITE_ROW) ids.push_back(due.i64(0));
    }
    for (auto id : ids) {
      auto s = db.stmt(
          "UPDATE jobs SET state = 'running', lease_until = ?2 + ?3 WHERE id = ?1"
          " RETURNING id, event_seq, rule, action_index, kind, action, attempts, created_at");
      s.bind(1, id).bind(2, now_ms).bind(3, lease_ms);
      if (s.step() != SQLITE_ROW) throw std::runtime_error(db.error());
      LeasedJob j;
      j.id = s.i64(0);
      j.event_seq = s.i64(1);
      j.rule = s.text(2);
      j.action_index = static_cast<int>(s.i64(3));
      j.kind = s.text(4);
      j.action_json = s.text(5);
      j.attempts = static_cast<int>(s.i64(6));
      j.created_at_ms = s.i64(7);
      j.lease_until_ms = now_ms + lease_ms;
      s.step();
      auto e = db.stmt("SELECT webhook, raw FROM events WHERE seq = ?1");
      e.bind(1, j.event_seq);
      if (e.step() == SQLITE_ROW) {
        j.webhook = e.text(0);
        j.raw_event = e.text(1);
      }
      result.jobs.push_back(std::move(j));
    }
    if (!result.jobs.empty()) return result;
    // The next time something becomes due. A job waiting behind an
    // earlier one of its order key does not count: it is freed when
    // that one is recorded, by the worker that records it.
    auto n = db.stmt(
        "SELECT min(t) FROM (SELECT min(next_at) AS t FROM jobs WHERE state = 'pending' AND ready = 1"
        " UNION ALL SELECT min(lease_until) FROM jobs WHERE state = 'running')");
    if (n.step() == SQLITE_ROW && !n.is_null(0)) result.next_due_ms = n.i64(0);
    return result;
  };
  // A lease lost in a crash leaves its jobs pending: nothing to wait for.
  impl_->submit_for<Leased>(std::move(work), std::move(done), /*durable=*/false, "the lease was not committed");
}

void SqliteStore::release_async(std::vector<std::int64_t> ids, Completion<void> done) {
  auto work = [ids = std::move(ids)](sql::Db& db) {
    for (auto id : ids) {
      auto s = db.stmt(
          "UPDATE jobs SET state = 'pending', lease_until = NULL WHERE id = ?1 AND state = 'running'"
          " RETURNING order_hash");
      s.bind(1, id);
      update_job(db, s, id);
    }
  };
  // At stop; a restart makes them pending anyway.
  impl_->submit_for<void>(std::move(work), std::move(done), /*durable=*/false, "the release was not committed");
}

void SqliteStore::record_async(std::int64_t job_id, Attempt attempt, JobOutcome outcome, std::int64_t next_at_ms,
                               Completion<void> done) {
  auto a = std::make_shared<Attempt>(std::move(attempt));
  auto work = [job_id, a, outcome, next_at_ms](sql::Db& db) {
    auto ins = db.stmt(
        "INSERT INTO attempts (job_id, started_at, duration_ms, http_status, error, outcome, detail, sent)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ins.bind(1, job_id).bind(2, a->started_at_ms).bind(3, a->duration_ms);
    if (a->http_status) ins.bind(4, std::int64_t{*a->http_status});
    else ins.bind_null(4);
    ins.bind(5, a->error).bind(6, a->outcome);
    if (a->detail.empty()) ins.bind_null(7);
    else ins.bind(7, a->detail);
    if (a->sent.empty()) ins.bind_null(8);
    else ins.bind(8, a->sent);
    if (ins.step() != SQLITE_DONE) throw std::runtime_error(db.error());
    const char* state = outcome == JobOutcome::done ? "done" : outcome == JobOutcome::dead ? "dead" : "pending";
    auto up = db.stmt(
        "UPDATE jobs SET state = ?2, finished = ?5, attempts = attempts + 1, next_at = ?3,"
        " lease_until = NULL, last_error = ?4 WHERE id = ?1 RETURNING order_hash");
    up.bind(1, job_id).bind(2, state).bind(3, next_at_ms).bind(4, a->error);
    up.bind(5, std::int64_t{outcome != JobOutcome::retry});
    update_job(db, up, job_id);  // done or dead: the next of its key is ready
  };
  impl_->submit_for<void>(std::move(work), std::move(done), /*durable=*/true, "the attempt's record was not committed");
}

StoreResult<std::size_t> SqliteStore::recover_running() {
  return impl_->notice.after(impl_->run_sync([](sql::Db& db) {
    auto s = db.stmt("UPDATE jobs SET state = 'pending', lease_until = NULL WHERE state = 'running' RETURNING order_hash");
    return update_jobs(db, s);
  }));
}

// A requeued job goes before later jobs of its key that have not started
// (update_jobs recomputes each key's head).
namespace {
// One dead job pending again from `now_ms`, its attempts reset; how many (0 or 1).
std::size_t requeue_dead_job(sql::Db& db, std::int64_t job_id, std::int64_t now_ms) {
  auto s = db.stmt(
      "UPDATE jobs SET state = 'pending', finished = 0, attempts = 0, next_at = ?2, created_at = ?2,"
      " lease_until = NULL WHERE state = 'dead' AND id = ?1 RETURNING order_hash");
  s.bind(1, job_id).bind(2, now_ms);
  return update_jobs(db, s);
}
}  // namespace

StoreResult<RetryOutcome> SqliteStore::retry_job_now(std::int64_t job_id, std::int64_t now_ms) {
  return impl_->notice.after(impl_->run_sync([&](sql::Db& db) {
    auto q = db.stmt("SELECT state FROM jobs WHERE id = ?1");
    q.bind(1, job_id);
    if (q.step() != SQLITE_ROW) return RetryOutcome::not_found;
    const std::string state = q.text(0);
    if (state == "done") return RetryOutcome::done;
    if (state == "running") return RetryOutcome::running;
    if (state == "dead") {
      requeue_dead_job(db, job_id, now_ms);
    } else {  // waiting in backoff: due now, its attempts kept
      auto s = db.stmt("UPDATE jobs SET next_at = ?2 WHERE id = ?1 AND state = 'pending'");
      s.bind(1, job_id).bind(2, now_ms);
      s.step();
    }
    return RetryOutcome::requeued;
  }));
}

StoreResult<std::size_t> SqliteStore::retry_event(std::int64_t seq, std::int64_t now_ms) {
  return impl_->notice.after(impl_->run_sync([&](sql::Db& db) {
    auto s = db.stmt("UPDATE jobs SET state = 'pending', finished = 0, attempts = 0, next_at = ?2, created_at = ?2,"
                     " lease_until = NULL WHERE state = 'dead' AND event_seq = ?1 RETURNING order_hash");
    s.bind(1, seq).bind(2, now_ms);
    return update_jobs(db, s);
  }));
}

}  // namespace asc_webhookd::store
