// Read views and small state: instance history, the key-value table, the
// operator's event lists and details, job counts, the readiness probe.
#include "key_hash.hpp"
#include "writer.hpp"

#include <sys/statvfs.h>

#include <optional>

namespace asc_webhookd::store {

namespace {
constexpr unsigned long long kMinFreeBytes = 1024 * 1024;  // below this /readyz says not ready
std::string volume_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}
}  // namespace

void SqliteStore::history_async(std::string webhook, std::string instance_id,
                                Completion<std::vector<HistoryEntry>> done) {
  auto work = [webhook = std::move(webhook), instance_id = std::move(instance_id)](sql::Db& db) {
    std::vector<HistoryEntry> out;
    auto s = db.stmt(
        "SELECT new_state, event_time, received_at FROM events WHERE instance_hash = ?3 AND webhook = ?1"
        " AND instance_id = ?2 ORDER BY coalesce(event_time, received_at * 1000000), seq");
    s.bind(1, webhook).bind(2, instance_id).bind(3, instance_hash(webhook, instance_id));
    while (s.step() == SQLITE_ROW)
      out.push_back({s.text(0), s.is_null(1) ? std::nullopt : std::optional<std::int64_t>(s.i64(1)), s.i64(2)});
    return out;
  };
  impl_->submit_for<std::vector<HistoryEntry>>(std::move(work), std::move(done), /*durable=*/false,
                                               "the history was not read");
}

void SqliteStore::kv_get_async(std::string key, Completion<std::optional<std::string>> done) {
  auto work = [key = std::move(key)](sql::Db& db) {
    auto s = db.stmt("SELECT value FROM kv WHERE key = ?1");
    s.bind(1, key);
    return s.step() == SQLITE_ROW ? std::optional<std::string>(s.text(0)) : std::nullopt;
  };
  impl_->submit_for<std::optional<std::string>>(std::move(work), std::move(done), /*durable=*/false,
                                                "the key was not read");
}

void SqliteStore::kv_put_async(std::string key, std::string value, Completion<void> done) {
  auto work = [key = std::move(key), value = std::move(value), now = impl_->clock->now_ms()](sql::Db& db) {
    auto s = db.stmt(
        "INSERT INTO kv (key, value, updated_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at");
    s.bind(1, key).bind(2, value).bind(3, now);
    if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  };
  impl_->submit_for<void>(std::move(work), std::move(done), /*durable=*/true, "the key was not committed");
}

namespace {

constexpr const char* kEventState =
    "CASE WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'dead') THEN 'dead'"
    " WHEN EXISTS (SELECT 1 FROM jobs j WHERE j.event_seq = e.seq AND j.state IN ('pending', 'running')) THEN 'pending'"
    " ELSE 'done' END";

// The columns every event view selects, in read_event_row's order.
const std::string kEventColumns = std::string(
    "e.seq, e.webhook, e.event_id, e.type, e.old_state, e.new_state, e.received_at, ") + kEventState +
    " AS st, e.raw, e.source, coalesce(e.instance_type, ''), coalesce(e.instance_id, '')";

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
  v.instance_type = s.text(10);
  v.instance_id = s.text(11);
  return v;
}

}  // namespace

StoreResult<std::vector<EventView>> SqliteStore::list_events(const EventQuery& query) {
  return impl_->read([&](sql::Db& db) {
    // Newest first from the cursor down; the state is computed per event
    // (from its jobs), so that filter is applied on the way.
    static const std::string q =
        "SELECT * FROM (SELECT " + kEventColumns +
        ", (SELECT count(*) FROM jobs j WHERE j.event_seq = e.seq AND j.state IN ('pending', 'running')),"
        " (SELECT count(*) FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'done'),"
        " (SELECT count(*) FROM jobs j WHERE j.event_seq = e.seq AND j.state = 'dead')"
        " FROM events e WHERE (?3 = '' OR e.webhook = ?3) AND (?4 = '' OR e.type = ?4)"
        " AND (?5 = '' OR instr(e.event_id, ?5) > 0 OR instr(coalesce(e.instance_id, ''), ?5) > 0)"
        " AND (?6 = 0 OR e.seq < ?6) ORDER BY e.seq DESC)"
        " WHERE (?1 = '' OR st = ?1) LIMIT ?2";
    std::vector<EventView> out;
    auto s = db.stmt(q.c_str());
    s.bind(1, query.state).bind(2, static_cast<std::int64_t>(query.limit)).bind(3, query.webhook).bind(4, query.type);
    s.bind(5, query.q).bind(6, query.before_seq);
    while (s.step() == SQLITE_ROW) {
      EventView v = read_event_row(s);
      v.raw.clear();  // lists carry no payloads
      v.job_counts = {s.i64(12), s.i64(13), s.i64(14)};
      out.push_back(std::move(v));
    }
    return out;
  });
}

StoreResult<std::vector<EventView>> SqliteStore::find_events(const std::string& reference) {
  return impl_->read([&](sql::Db& db) {
    static const std::string by_id = "SELECT " + kEventColumns + " FROM events e WHERE e.event_id = ?1 ORDER BY e.seq DESC";
    static const std::string by_seq = "SELECT " + kEventColumns + " FROM events e WHERE e.seq = ?1";
    std::vector<EventView> out;
    auto s = db.stmt(by_id.c_str());
    s.bind(1, reference);
    while (s.step() == SQLITE_ROW) out.push_back(read_event_row(s));
    if (const auto seq = seq_reference(reference); out.empty() && seq) {
      auto q = db.stmt(by_seq.c_str());
      q.bind(1, *seq);
      if (q.step() == SQLITE_ROW) out.push_back(read_event_row(q));
    }
    for (auto& v : out) v.raw.clear();  // rows, as in a list
    return out;
  });
}

StoreResult<std::optional<EventView>> SqliteStore::event(std::int64_t seq) {
  return impl_->read([&](sql::Db& db) -> std::optional<EventView> {
    static const std::string q = "SELECT " + kEventColumns + " FROM events e WHERE e.seq = ?1";
    auto s = db.stmt(q.c_str());
    s.bind(1, seq);
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

StoreResult<StoreStats> SqliteStore::stats(const std::string& kv_prefix) {
  return impl_->read([&](sql::Db& db) {
    StoreStats out;
    auto s = db.stmt("SELECT webhook, count(*), max(received_at) FROM events GROUP BY webhook");
    while (s.step() == SQLITE_ROW) {
      out.events_by_webhook[s.text(0)] = s.i64(1);
      out.events += s.i64(1);
      if (!out.last_event_ms || s.i64(2) > *out.last_event_ms) out.last_event_ms = s.i64(2);
    }
    // An event is dead when any job is, pending while any is pending or running.
    auto st = db.stmt(
        "SELECT (SELECT count(DISTINCT event_seq) FROM jobs WHERE state = 'dead'),"
        " (SELECT count(DISTINCT event_seq) FROM jobs WHERE finished = 0 AND event_seq NOT IN"
        " (SELECT event_seq FROM jobs WHERE state = 'dead'))");
    if (st.step() == SQLITE_ROW) {
      out.events_by_state["dead"] = st.i64(0);
      out.events_by_state["pending"] = st.i64(1);
      out.events_by_state["done"] = out.events - st.i64(0) - st.i64(1);
    }
    auto j = db.stmt("SELECT kind, state, count(*) FROM jobs GROUP BY kind, state");
    for (const char* state : {"pending", "running", "done", "dead"}) out.jobs_by_state[state] = 0;
    while (j.step() == SQLITE_ROW) {
      out.jobs_by_kind[j.text(0)][j.text(1)] = j.i64(2);
      out.jobs_by_state[j.text(1)] += j.i64(2);
    }
    auto kv = db.stmt("SELECT key, value FROM kv WHERE substr(key, 1, length(?1)) = ?1");
    kv.bind(1, kv_prefix);
    while (kv.step() == SQLITE_ROW) out.kv_by_prefix[kv.text(0)] = kv.text(1);
    return out;
  });
}

StoreResult<std::size_t> SqliteStore::count_jobs(const std::string& state) {
  // Each through an index that holds only what it counts (the unfinished
  // jobs, the dead ones); done ones are the rest: no state index is kept
  // up at every state change for these counts.
  return impl_->read([&](sql::Db& db) {
    const char* sql = state == "dead" ? "SELECT count(*) FROM jobs WHERE state = 'dead'"
                      : state == "done"
                          ? "SELECT (SELECT count(*) FROM jobs) - (SELECT count(*) FROM jobs WHERE finished = 0)"
                            " - (SELECT count(*) FROM jobs WHERE state = 'dead')"
                          : "SELECT count(*) FROM jobs WHERE finished = 0 AND state = ?1";
    auto s = db.stmt(sql);
    if (state != "dead" && state != "done") s.bind(1, state);
    return s.step() == SQLITE_ROW ? static_cast<std::size_t>(s.i64(0)) : std::size_t{0};
  });
}

// One process uses an SQLite store: it always leads.
void SqliteStore::try_lead_async(std::string, Completion<bool> done) { done(true); }
void SqliteStore::release_lead_async(std::string, Completion<void> done) { done(StoreResult<void>()); }

void SqliteStore::check_writable_async(Completion<void> done) {
  auto probe = [now = impl_->clock->now_ms()](sql::Db& db) {
    auto s = db.stmt(
        "INSERT INTO kv (key, value, updated_at) VALUES ('readyz', 'ok', ?1)"
        " ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at");
    s.bind(1, now);
    if (s.step() != SQLITE_DONE) throw std::runtime_error(db.error());
  };
  // A write of a few bytes can still fit in the WAL's pages when an event's
  // cannot: below a megabyte free, POSTs are about to get 503, so this is not
  // ready. When the probe itself failed on a full volume, the answer says both.
  auto low_space = [](const std::string& dir) -> std::optional<std::string> {
    struct statvfs vs {};
    if (::statvfs(dir.c_str(), &vs) != 0) return std::nullopt;
    const auto free_bytes = static_cast<unsigned long long>(vs.f_bavail) * vs.f_frsize;
    if (free_bytes >= kMinFreeBytes) return std::nullopt;
    return "only " + std::to_string(free_bytes) + " bytes free on the store's volume (" + dir +
           "); events need room to be stored";
  };
  auto then = [done = std::move(done), dir = volume_of(impl_->path), low_space](StoreResult<void> wrote) {
    const auto space = low_space(dir);
    if (!wrote) {
      if (!space) return done(wrote.error());
      return done(StoreError{wrote.error().code, wrote.error().message + "; " + *space});
    }
    if (space) return done(StoreError{make_error_code(errc::disk_full), *space});
    done(StoreResult<void>());
  };
  impl_->submit_for<void>(std::move(probe), std::move(then), /*durable=*/true, "the probe was not committed");
}

}  // namespace asc_webhookd::store
