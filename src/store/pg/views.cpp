// Read views and small state in PostgreSQL: instance history, the
// key-value table (chat thread ids, reconcile watermarks: shared by every
// replica), the operator's event lists and details, counts, the probe.
#include "../key_hash.hpp"
#include "../seq_reference.hpp"
#include "store_impl.hpp"

namespace asc_webhookd::store {

void PostgresStore::history_async(std::string webhook, std::string instance_id,
                                  Completion<std::vector<HistoryEntry>> done) {
  auto work = [webhook = std::move(webhook), instance_id = std::move(instance_id)](pg::Tx& tx) {
    auto r = tx.db.run(
        "SELECT new_state, event_time, received_at FROM events WHERE instance_hash = $3 AND webhook = $1"
        " AND instance_id = $2 ORDER BY coalesce(event_time, received_at * 1000000), seq",
        {webhook, instance_id, instance_hash(webhook, instance_id)});
    std::vector<HistoryEntry> out;
    for (int i = 0; i < r.size(); ++i) out.push_back({r.text(i, 0), r.opt_i64(i, 1), r.i64(i, 2)});
    return out;
  };
  impl_->writer.submit_for<std::vector<HistoryEntry>>(std::move(work), std::move(done), "the history was not read");
}

void PostgresStore::kv_get_async(std::string key, Completion<std::optional<std::string>> done) {
  auto work = [key = std::move(key)](pg::Tx& tx) {
    auto r = tx.db.run("SELECT value FROM kv WHERE key = $1", {key});
    return r.size() ? std::optional<std::string>(r.text(0, 0)) : std::nullopt;
  };
  impl_->writer.submit_for<std::optional<std::string>>(std::move(work), std::move(done), "the key was not read");
}

void PostgresStore::kv_put_async(std::string key, std::string value, Completion<void> done) {
  auto work = [key = std::move(key), value = std::move(value), now = impl_->clock->now_ms()](pg::Tx& tx) {
    tx.db.run(
        "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        {key, value, now});
  };
  impl_->writer.submit_for<void>(std::move(work), std::move(done), "the key was not committed");
}

void PostgresStore::check_writable_async(Completion<void> done) {
  // A write, as an event's would be: a server that is read-only (a standby
  // after failover), full or away answers why.
  auto probe = [now = impl_->clock->now_ms()](pg::Tx& tx) {
    tx.db.run(
        "INSERT INTO kv (key, value, updated_at) VALUES ('readyz', 'ok', $1)"
        " ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at",
        {now});
  };
  impl_->writer.submit_for<void>(std::move(probe), std::move(done), "the probe was not committed");
}

// A session-level advisory lock on the operator connection, keyed by the
// task's name: held until released or until the connection ends (a replica
// that dies lets the next one lead).
void PostgresStore::try_lead_async(std::string task, Completion<bool> done) {
  auto work = [task = std::move(task)](pg::Tx& tx) {
    return tx.db.run("SELECT pg_try_advisory_lock($1)", {key_hash("lead:" + task)}).boolean(0, 0);
  };
  impl_->ops.submit_for<bool>(std::move(work), std::move(done), "the lead was not taken");
}

void PostgresStore::release_lead_async(std::string task, Completion<void> done) {
  auto work = [task = std::move(task)](pg::Tx& tx) {
    tx.db.run("SELECT pg_advisory_unlock($1)", {key_hash("lead:" + task)});
  };
  impl_->ops.submit_for<void>(std::move(work), std::move(done), "the lead was not released");
}

namespace {

constexpr const char* kEventState =
    "CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'dead') THEN 'dead'"
    " WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND NOT j.finished) THEN 'pending'"
    " ELSE 'done' END";

// The columns every event view selects, in read_event_row's order.
const std::string kEventColumns = std::string(
    "e.seq, e.webhook, e.event_id, e.type, coalesce(e.old_state, ''), coalesce(e.new_state, ''), e.received_at, ") +
    kEventState + " AS st, e.raw, e.source, coalesce(e.instance_type, ''), coalesce(e.instance_id, '')";

EventView read_event_row(const pg::Rows& r, int i) {
  EventView v;
  v.seq = r.i64(i, 0);
  v.webhook = r.text(i, 1);
  v.event_id = r.text(i, 2);
  v.type = r.text(i, 3);
  v.old_state = r.text(i, 4);
  v.new_state = r.text(i, 5);
  v.received_at_ms = r.i64(i, 6);
  v.state = r.text(i, 7);
  v.raw = r.text(i, 8);
  v.source = r.text(i, 9);
  v.instance_type = r.text(i, 10);
  v.instance_id = r.text(i, 11);
  return v;
}

}  // namespace

StoreResult<std::vector<EventView>> PostgresStore::list_events(const EventQuery& query) {
  return impl_->ops.run_sync([&](pg::Tx& tx) {
    // Newest first from the cursor down; the state is computed per event
    // (from its jobs), so that filter is applied on the way.
    static const std::string q =
        "SELECT * FROM (SELECT " + kEventColumns +
        ", (SELECT count(*) FROM jobs j WHERE j.event_seq = e.seq AND NOT j.finished),"
        " (SELECT count(*) FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'done'),"
        " (SELECT count(*) FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'dead')"
        " FROM events e WHERE ($3::text = '' OR e.webhook = $3) AND ($4::text = '' OR e.type = $4)"
        " AND ($5::text = '' OR strpos(e.event_id, $5) > 0 OR strpos(coalesce(e.instance_id, ''), $5) > 0)"
        " AND ($6::bigint = 0 OR e.seq < $6) ORDER BY e.seq DESC) v"
        " WHERE ($1::text = '' OR st = $1) LIMIT $2";
    auto r = tx.db.run(q, {query.state, query.limit, query.webhook, query.type, query.q, query.before_seq});
    std::vector<EventView> out;
    for (int i = 0; i < r.size(); ++i) {
      EventView v = read_event_row(r, i);
      v.raw.clear();  // lists carry no payloads
      v.job_counts = {r.i64(i, 12), r.i64(i, 13), r.i64(i, 14)};
      out.push_back(std::move(v));
    }
    return out;
  });
}

StoreResult<std::vector<EventView>> PostgresStore::find_events(const std::string& reference) {
  return impl_->ops.run_sync([&](pg::Tx& tx) {
    static const std::string by_id = "SELECT " + kEventColumns + " FROM events e WHERE e.event_id = $1 ORDER BY e.seq DESC";
    static const std::string by_seq = "SELECT " + kEventColumns + " FROM events e WHERE e.seq = $1";
    std::vector<EventView> out;
    auto r = tx.db.run(by_id, {reference});
    for (int i = 0; i < r.size(); ++i) out.push_back(read_event_row(r, i));
    if (const auto seq = seq_reference(reference); out.empty() && seq) {
      auto s = tx.db.run(by_seq, {*seq});
      if (s.size()) out.push_back(read_event_row(s, 0));
    }
    for (auto& v : out) v.raw.clear();  // rows, as in a list
    return out;
  });
}

StoreResult<std::optional<EventView>> PostgresStore::event(std::int64_t seq) {
  return impl_->ops.run_sync([&](pg::Tx& tx) -> std::optional<EventView> {
    static const std::string q = "SELECT " + kEventColumns + " FROM events e WHERE e.seq = $1";
    auto r = tx.db.run(q, {seq});
    if (r.size() == 0) return std::nullopt;
    EventView v = read_event_row(r, 0);
    auto j = tx.db.run(
        "SELECT id, rule, action_index, kind, state, attempts, next_at, coalesce(last_error, ''), action"
        " FROM jobs WHERE event_seq = $1 ORDER BY id",
        {v.seq});
    for (int i = 0; i < j.size(); ++i) {
      JobView jv{j.i64(i, 0), j.text(i, 1), static_cast<int>(j.i64(i, 2)), j.text(i, 3), j.text(i, 4),
                 static_cast<int>(j.i64(i, 5)), j.i64(i, 6), j.text(i, 7), j.text(i, 8), {}};
      auto a = tx.db.run(
          "SELECT started_at, duration_ms, http_status, coalesce(error, ''), outcome, coalesce(detail, ''),"
          " coalesce(sent, '') FROM attempts WHERE job_id = $1 ORDER BY id",
          {jv.id});
      for (int k = 0; k < a.size(); ++k)
        jv.attempt_log.push_back({a.i64(k, 0), a.i64(k, 1),
                                  a.is_null(k, 2) ? std::nullopt : std::optional<int>(static_cast<int>(a.i64(k, 2))),
                                  a.text(k, 3), a.text(k, 4), a.text(k, 5), a.text(k, 6)});
      v.jobs.push_back(std::move(jv));
    }
    return v;
  });
}

StoreResult<StoreStats> PostgresStore::stats(const std::string& kv_prefix) {
  return impl_->ops.run_sync([&](pg::Tx& tx) {
    StoreStats out;
    auto s = tx.db.run("SELECT webhook, count(*), max(received_at) FROM events GROUP BY webhook");
    for (int i = 0; i < s.size(); ++i) {
      out.events_by_webhook[s.text(i, 0)] = s.i64(i, 1);
      out.events += s.i64(i, 1);
      if (!out.last_event_ms || s.i64(i, 2) > *out.last_event_ms) out.last_event_ms = s.i64(i, 2);
    }
    // An event is dead when any job is, pending while any is pending or running.
    auto st = tx.db.run(
        "SELECT (SELECT count(DISTINCT event_seq) FROM jobs WHERE state = 'dead'),"
        " (SELECT count(DISTINCT event_seq) FROM jobs WHERE NOT finished AND event_seq NOT IN"
        " (SELECT event_seq FROM jobs WHERE state = 'dead'))");
    out.events_by_state["dead"] = st.i64(0, 0);
    out.events_by_state["pending"] = st.i64(0, 1);
    out.events_by_state["done"] = out.events - st.i64(0, 0) - st.i64(0, 1);
    auto j = tx.db.run("SELECT kind, state, count(*) FROM jobs GROUP BY kind, state");
    for (const char* state : {"pending", "running", "done", "dead"}) out.jobs_by_state[state] = 0;
    for (int i = 0; i < j.size(); ++i) {
      out.jobs_by_kind[j.text(i, 0)][j.text(i, 1)] = j.i64(i, 2);
      out.jobs_by_state[j.text(i, 1)] += j.i64(i, 2);
    }
    auto kv = tx.db.run("SELECT key, value FROM kv WHERE left(key, length($1::text)) = $1", {kv_prefix});
    for (int i = 0; i < kv.size(); ++i) out.kv_by_prefix[kv.text(i, 0)] = kv.text(i, 1);
    return out;
  });
}

StoreResult<std::size_t> PostgresStore::count_jobs(const std::string& state) {
  return impl_->ops.run_sync([&](pg::Tx& tx) {
    auto r = tx.db.run("SELECT count(*) FROM jobs WHERE state = $1", {state});
    return static_cast<std::size_t>(r.i64(0, 0));
  });
}

}  // namespace asc_webhookd::store
