// At most one ticket per submission and destination (ticket_once.hpp).
#include "asc_webhookd/integrations/common/ticket_once.hpp"

#include <algorithm>

namespace asc_webhookd::actions::detail {

using nlohmann::json;
namespace net = boost::asio;

net::awaitable<Progress> Progress::load(const Job& job, Services& s) {
  Progress p;
  p.key = "progress:" + std::to_string(job.id);
  if (auto stored = co_await s.kv.get(p.key)) p.value = json::parse(*stored, nullptr, false);
  if (!p.value.is_object()) p.value = json::object();
  co_return p;
}

net::awaitable<void> Progress::save(Services& s) const { co_await s.kv.put(key, value.dump()); }

namespace {

// The server may have acted on a create it did not confirm: no answer, a
// 5xx, or a 2xx this attempt could not read.
bool outcome_unknown(const Outcome& out) {
  return !out.result.status || *out.result.status >= 500 || (*out.result.status >= 200 && *out.result.status < 300);
}

net::awaitable<Ticket> record(Services& s, Progress& progress, const std::string& record_key, std::string key,
                              std::string how) {
  progress.value["ticket"] = key;
  progress.value["ticket_how"] = how;
  progress.value.erase("create_unknown_since");
  co_await progress.save(s);
  if (how == "created") {
    // Named first: GCC 12 cannot take an initializer list inside co_await.
    std::string made = json{{"key", key}, {"at", s.clock.now_ms()}}.dump();
    co_await s.kv.put(record_key, std::move(made));
  }
  co_return Ticket{std::move(key), std::move(how)};
}

// A ticket this destination made so recently that its search may not show
// it yet (another job's create, seconds ago).
net::awaitable<std::optional<std::string>> made_lately(Services& s, const std::string& record_key) {
  auto stored = co_await s.kv.get(record_key);
  if (!stored) co_return std::nullopt;
  auto j = json::parse(*stored, nullptr, false);
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string() || !j.contains("at") || !j["at"].is_number())
    co_return std::nullopt;
  if (s.clock.now_ms() - j["at"].get<std::int64_t>() >= s.ticket_search_lag.count()) co_return std::nullopt;
  co_return j["key"].get<std::string>();
}

}  // namespace

net::awaitable<std::optional<Ticket>> ticket_once(Services& s, Outcome& out, Progress& progress, const std::string& destination,
                                                  const std::string& marker, const TicketWays& ways) {
  if (auto t = progress.value.find("ticket"); t != progress.value.end() && t->is_string())
    co_return Ticket{t->get<std::string>(), progress.value.value("ticket_how", "recorded")};
  const std::string record_key = "ticket:" + destination + "|" + marker;

  const std::int64_t now = s.clock.now_ms();
  if (auto since = progress.value.find("create_unknown_since"); since != progress.value.end() && since->is_number()) {
    const auto wait = since->get<std::int64_t>() + s.ticket_search_lag.count() - now;
    if (wait > 0) {
      const std::string why = "an earlier create may have gone through: its marker " + marker +
                              " is searched for once the search has caught up";
      out.result.error = why;
      out.decision = {outbound::Verdict::retry, std::chrono::milliseconds(wait), why};
      co_return std::nullopt;
    }
  }
  auto found = co_await ways.find(out);
  if (!found) co_return std::nullopt;
  if (!found->empty()) co_return co_await record(s, progress, record_key, *found, "found by its marker");
  // Not found, but made here lately: the search has not caught up yet. (An
  // older record without a search hit: the ticket was deleted; made anew.)
  if (auto lately = co_await made_lately(s, record_key))
    co_return co_await record(s, progress, record_key, *lately, "made lately by another job");

  auto created = co_await ways.create(out);
  if (created) co_return co_await record(s, progress, record_key, *created, "created");
  if (out.decision.verdict == outbound::Verdict::retry && outcome_unknown(out)) {
    progress.value["create_unknown_since"] = now;
    co_await progress.save(s);
    out.decision.wait = std::max(out.decision.wait.value_or(std::chrono::milliseconds(0)), s.ticket_search_lag);
    out.decision.reason += "; the create may have gone through: its marker is searched for before creating again";
  }
  co_return std::nullopt;
}

}  // namespace asc_webhookd::actions::detail
