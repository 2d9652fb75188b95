// /api/v1: the events list and detail, retries and replays, the stats
// (and the reviews, reviews_api.cpp).
// Every answer is built from store views; the stored actions hold no
// secrets and each attempt's request was masked when it was recorded, so no
// secret text can reach an answer.
#include "console_impl.hpp"

#include "asc_webhookd/admin/query.hpp"
#include "asc_webhookd/delivery/exchange_log.hpp"
#include "asc_webhookd/integrations/registry.hpp"
#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/rules/engine.hpp"

#include <boost/beast/http/field.hpp>

#include <charconv>

namespace asc_webhookd::admin {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using nlohmann::json;

namespace {

std::string rfc3339(std::int64_t ms) { return format_utc(ms, "%Y-%m-%dT%H:%M:%SZ"); }

// What a job acts on, for the list (each integration says: a repository and
// workflow, a channel, a URL).
std::string target_of(const std::string& action_json) {
  auto a = json::parse(action_json, nullptr, false);
  if (!a.is_object()) return "";
  auto field = [&](const char* k) { return a.contains(k) && a[k].is_string() ? a[k].get<std::string>() : std::string(); };
  const std::string kind = field("kind");
  const auto* integration = integrations::find(kind);
  return integration ? integration->target(a) : kind;
}

json event_json(const store::EventView& e) {
  json j = {{"seq", e.seq},
            {"id", e.event_id},
            {"webhook", e.webhook},
            {"type", e.type},
            {"old_state", e.old_state.empty() ? json(nullptr) : json(e.old_state)},
            {"new_state", e.new_state.empty() ? json(nullptr) : json(e.new_state)},
            {"instance", e.instance_id.empty() ? json(nullptr) : json{{"type", e.instance_type}, {"id", e.instance_id}}},
            {"received_at", rfc3339(e.received_at_ms)},
            {"source", e.source},
            {"state", e.state}};
  return j;
}

json job_json(const store::JobView& job) {
  json attempts = json::array();
  for (const auto& a : job.attempt_log) {
    // `request`: the attempt's last request (the one its outcome is about);
    // `exchanges`: every request it made, each with its answer.
    json exchanges = delivery::exchanges_of(a.sent);
    json request = exchanges.empty() ? json(nullptr) : exchanges.back();
    if (request.is_object()) request.erase("answer");
    attempts.push_back({{"started_at", rfc3339(a.started_at_ms)},
                        {"duration_ms", a.duration_ms},
                        {"http_status", a.http_status ? json(*a.http_status) : json(nullptr)},
                        {"outcome", a.outcome},
                        {"error", a.error},
                        {"detail", a.detail},
                        {"request", request},
                        {"exchanges", exchanges}});
  }
  return {{"id", job.id},
          {"rule", job.rule},
          {"kind", job.kind},
          {"target", target_of(job.action_json)},
          {"state", job.state},
          {"attempts", job.attempts},
          {"next_at", job.state == "pending" ? json(rfc3339(job.next_at_ms)) : json(nullptr)},
          {"last_error", job.last_error},
          {"attempts_log", attempts}};
}

// The id in /api/v1/events/{id}/...: percent-decoded ("%23" is '#').
std::optional<std::string> decoded_segment(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= raw.size() || std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16).ptr != raw.data() + i + 3)
      return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

// Whether the query says `by=seq` (the event segment is a seq).
bool names_by_seq(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return false;
  for (std::string_view rest = target.substr(q + 1); !rest.empty();) {
    const auto amp = rest.find('&');
    if (rest.substr(0, amp) == "by=seq") return true;
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return false;
}

}  // namespace

net::awaitable<http::Response> Console::Impl::api(http::Request& req, const http::RequestInfo& info, std::string_view path) {
  auto lg = log::get("admin");
  const bool get = req.method() == bhttp::verb::get, post = req.method() == bhttp::verb::post;
  auto method_not_allowed = [&](const char* allow) {
    auto res = api_error(405, std::string("method not allowed; use ") + allow, req, info);
    res.set(bhttp::field::allow, allow);
    return res;
  };
  std::vector<std::string_view> parts;
  for (std::size_t i = 1, j; i <= path.size(); i = j + 1) {
    j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
  }
  if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1")
    co_return api_error(404, "no route for " + std::string(path) + " (the API is under /api/v1)", req, info);

  if (parts.size() == 3 && parts[2] == "events") {
    if (!get) co_return method_not_allowed("GET");
    auto parsed = parse_event_query(req.target());
    if (!parsed) co_return api_error(400, parsed.error().message, req, info);
    store::EventQuery q = *parsed;
    const std::size_t page = q.limit;
    q.limit = page + 1;  // one more: is there a next page?
    auto rows_call = [this, q] { return store.list_events(q); };  // named: gcc bug 107288
    auto rows = co_await blocking(std::move(rows_call));
    if (!rows) co_return api_error(503, "the store failed: " + rows.error().message, req, info);
    json events = json::array();
    for (std::size_t i = 0; i < rows->size() && i < page; ++i) {
      const auto& e = (*rows)[i];
      json j = event_json(e);
      j["jobs"] = {{"pending", e.job_counts.pending}, {"done", e.job_counts.done}, {"dead", e.job_counts.dead}};
      events.push_back(std::move(j));
    }
    const json next = rows->size() > page ? json(std::to_string((*rows)[page - 1].seq)) : json(nullptr);
    co_return api_json(200, {{"events", events}, {"next", next}}, req, info);
  }

  if (parts.size() == 3 && parts[2] == "stats") {
    if (!get) co_return method_not_allowed("GET");
    auto s_call = [this] { return store.stats("reconcile:"); };  // named: gcc bug 107288
    auto s = co_await blocking(std::move(s_call));
    if (!s) co_return api_error(503, "the store failed: " + s.error().message, req, info);
    // kv "reconcile:NAME" (the watermark) and "reconcile:NAME:health" (the
    // last verdict on Apple's webhook, apple/webhook_health.hpp).
    json reconcile = json::array(), apple_webhooks = json::array();
    for (const auto& [key, value] : s->kv_by_prefix) {
      auto v = json::parse(value, nullptr, false);
      if (!v.is_object()) continue;
      std::string name = key.substr(std::string("reconcile:").size());
      if (const auto colon = name.find(':'); colon != std::string::npos) {
        if (name.substr(colon) != ":health") continue;
        name.resize(colon);
        const std::int64_t checked = v.value("checked_ms", std::int64_t{0});
        const std::int64_t since = v.value("since_ms", std::int64_t{0});
        apple_webhooks.push_back({{"webhook", name},
                                  {"healthy", v.value("healthy", false)},
                                  {"problems", v.value("problems", json::array())},
                                  {"checked_at", checked ? json(rfc3339(checked)) : json(nullptr)},
                                  {"since", since ? json(rfc3339(since)) : json(nullptr)}});
        continue;
      }
      const std::int64_t at = v.value("until_ms", std::int64_t{0});
      reconcile.push_back({{"webhook", name},
                           {"last_pass_at", at ? json(rfc3339(at)) : json(nullptr)},
                           {"events_found", v.value("found", 0)}});
    }
    co_return api_json(200,
                       {{"events", {{"total", s->events}, {"by_state", s->events_by_state}, {"by_webhook", s->events_by_webhook}}},
                        {"jobs", {{"by_state", s->jobs_by_state}, {"by_kind", s->jobs_by_kind}}},
                        {"last_event_at", s->last_event_ms ? json(rfc3339(*s->last_event_ms)) : json(nullptr)},
                        {"reconcile", reconcile},
                        {"apple_webhooks", apple_webhooks}},
                       req, info);
  }

  if (parts.size() >= 4 && parts[2] == "reviews") {
    auto id = decoded_segment(parts[3]);
    if (!id || id->empty() || (parts.size() == 5 && parts[4] != "response") || parts.size() > 5)
      co_return api_error(404, "no route for " + std::string(path) + " (reviews/{id} or reviews/{id}/response)", req, info);
    co_return co_await reviews(req, info, *id, parts.size() == 5);
  }

  if (parts.size() >= 4 && parts[2] == "jobs") {
    if (parts.size() != 5 || parts[4] != "retry") co_return api_error(404, "no route for " + std::string(path), req, info);
    if (!post) co_return method_not_allowed("POST");
    auto id = positive_number(parts[3]);
    if (!id) co_return api_error(400, "a job id is a number, not \"" + std::string(parts[3]) + "\"", req, info);
    const std::int64_t now = clock.now_ms();
    auto r_call = [this, id, now] { return store.retry_job_now(*id, now); };  // named: gcc bug 107288
    auto r = co_await blocking(std::move(r_call));
    if (!r) co_return api_error(503, "the store failed: " + r.error().message, req, info);
    switch (*r) {
      case store::RetryOutcome::not_found: co_return api_error(404, "no job " + std::to_string(*id), req, info);
      case store::RetryOutcome::done: co_return api_error(409, "job " + std::to_string(*id) + " is done; replay its event to run it again", req, info);
      case store::RetryOutcome::running: co_return api_error(409, "job " + std::to_string(*id) + " is running now", req, info);
      case store::RetryOutcome::requeued: break;
    }
    lg->info("admin retry job={} remote={} request_id={}", *id, info.remote, info.request_id);
    if (jobs_stored) jobs_stored();
    co_return api_json(200, {{"requeued", 1}}, req, info);
  }

  if (parts.size() >= 4 && parts[2] == "events") {
    auto id = decoded_segment(parts[3]);
    if (!id || id->empty()) co_return api_error(400, "the event id is not valid", req, info);
    // `?by=seq`: the segment is the seq itself (the console acts so, on the
    // very row it shows); otherwise a data.id, or #SEQ when no event has it.
    const bool by_seq = names_by_seq(req.target());
    std::int64_t seq = 0;
    if (by_seq) {
      auto n = positive_number(*id);
      if (!n) co_return api_error(400, "with by=seq the event is named by its seq, a number, not \"" + *id + "\"", req, info);
      seq = *n;
    } else {
      auto named_call = [this, id] { return store.find_events(*id); };  // named: gcc bug 107288
      auto named = co_await blocking(std::move(named_call));
      if (!named) co_return api_error(503, "the store failed: " + named.error().message, req, info);
      if (named->empty()) co_return api_error(404, "no event " + *id + " (an id is the event's data.id, or #SEQ)", req, info);
      if (named->size() > 1) co_return api_error(409, store::Store::several_named(*id, *named), req, info);
      seq = named->front().seq;
    }
    auto found_call = [this, seq] { return store.event(seq); };  // named: gcc bug 107288
    auto found = co_await blocking(std::move(found_call));
    if (!found) co_return api_error(503, "the store failed: " + found.error().message, req, info);
    if (!*found) co_return api_error(404, "no event with seq " + std::to_string(seq), req, info);
    const store::EventView& ev = **found;
    if (parts.size() == 4) {
      if (!get) co_return method_not_allowed("GET");
      json j = event_json(ev);
      j["raw"] = json::parse(ev.raw, nullptr, false);
      if (j["raw"].is_discarded()) j["raw"] = ev.raw;
      j["jobs"] = json::array();
      for (const auto& job : ev.jobs) j["jobs"].push_back(job_json(job));
      co_return api_json(200, j, req, info);
    }
    if (parts.size() == 5 && parts[4] == "retry") {
      if (!post) co_return method_not_allowed("POST");
      const std::int64_t now = clock.now_ms();
      auto n_call = [this, seq = ev.seq, now] { return store.retry_event(seq, now); };  // named: gcc bug 107288
      auto n = co_await blocking(std::move(n_call));
      if (!n) co_return api_error(503, "the store failed: " + n.error().message, req, info);
      lg->info("admin retry event={} seq={} requeued={} remote={} request_id={}", ev.event_id, ev.seq, *n, info.remote,
               info.request_id);
      if (*n > 0 && jobs_stored) jobs_stored();
      co_return api_json(200, {{"requeued", *n}}, req, info);
    }
    if (parts.size() == 5 && parts[4] == "replay") {
      if (!post) co_return method_not_allowed("POST");
      auto cfg = config();
      auto planned = rules::plan_stored(*cfg, ev.webhook, ev.raw);
      if (!planned) co_return api_error(409, "the stored event no longer decodes: " + planned.error().message, req, info);
      std::vector<std::int64_t> ids;
      if (!planned->empty()) {
        const std::int64_t now = clock.now_ms();
        auto added_call = [this, seq = ev.seq, p = rules::jobs_of(*planned), now] { return store.add_jobs(seq, p, now); };  // named: gcc bug 107288
        auto added = co_await blocking(std::move(added_call));
        if (!added) co_return api_error(503, "the store failed: " + added.error().message, req, info);
        ids = *added;
      }
      lg->info("admin replay event={} seq={} jobs={} remote={} request_id={}", ev.event_id, ev.seq, ids.size(), info.remote,
               info.request_id);
      if (!ids.empty() && jobs_stored) jobs_stored();
      co_return api_json(200, {{"jobs", ids}}, req, info);
    }
  }
  co_return api_error(404, "no route for " + std::string(path), req, info);
}

}  // namespace asc_webhookd::admin
