// The operator commands: they read (and requeue in) the store the service
// writes. Each reads only the config's `store` section (no secret resolves),
// except `event replay`, which plans with the config's rules; none creates a
// store that does not exist.
#include "cli_commands.hpp"

#include "asc_webhookd/delivery/exchange_log.hpp"

#include "asc_webhookd/app/cli.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/app/open_store.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace asc_webhookd::app::detail {

namespace {

// A store that could not answer (not "nothing there"): a runtime failure.
int store_failed(const store::StoreError& e, std::ostream& err) {
  err << "asc-webhookd: the store failed: " << e << " (" << e.code.message() << ")\n";
  return runtime;
}

// Opens the store named by the config's `store` section (nothing else in
// the file is read: no secret needs to resolve), for the operator commands.
// A store that does not exist is refused, never created: an empty new file
// would answer every question with "nothing". Safe while the daemon runs:
// reads are snapshots on a read-only connection that never take the write
// lock, and the writing commands commit one short transaction each.
std::unique_ptr<store::Store> open_store(const Args& a, std::ostream& err, int& code,
                                         Access access = Access::write) {
  auto it = a.options.find("--config");
  if (it == a.options.end()) {
    code = usage;
    err << "asc-webhookd: --config FILE is required\n";
    return nullptr;
  }
  auto loaded = config::load_store_config_file(it->second);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Diagnostic::Severity::error) err << d.text() << "\n";
  if (!loaded.store) {
    code = invalid;
    return nullptr;
  }
  return open_existing_store(*loaded.store, err, code, access);
}

}  // namespace

std::unique_ptr<store::Store> open_existing_store(const config::StoreConfig& cfg, std::ostream& err, int& code,
                                                  Access access) {
  std::error_code ec;
  if (!cfg.url && !std::filesystem::exists(cfg.path, ec)) {
    code = invalid;
    err << "asc-webhookd: no store at " << cfg.path
        << " (store.path in the config, else $STATE_DIRECTORY/state.db: run it as the service runs, with its "
           "user and STATE_DIRECTORY; the README's \"Operator commands on a server\" shows how)\n";
    return nullptr;
  }
  auto st = open_configured_store(cfg, {"", access == Access::read, nullptr});
  if (!st) {
    code = runtime;
    err << "asc-webhookd: " << st.error().message << "\n";
    return nullptr;
  }
  return std::move(*st);
}

namespace {

// The one event `reference` names (its data.id, or #SEQ), or nullopt with
// the reason written and `code` set: none, or several (the same data.id on
// two webhooks), which are listed by seq rather than one picked silently.
std::optional<std::int64_t> resolve_event(store::Store& st, const std::string& reference, std::ostream& err,
                                          int& code) {
  auto found = st.find_events(reference);
  if (!found) {
    code = store_failed(found.error(), err);
    return std::nullopt;
  }
  if (found->size() == 1) return found->front().seq;
  code = invalid;
  if (found->empty()) {
    err << "asc-webhookd: no event " << reference;
    if (all_digits(reference)) err << " (an event by seq: #" << reference << ")";
    err << "\n";
  } else {
    err << "asc-webhookd: " << store::Store::several_named(reference, *found) << "\n";
  }
  return std::nullopt;
}

int cmd_event_show(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 3 || a.positional[1] != "show") {
    err << "usage: asc-webhookd event show|retry|replay ID --config FILE\n";
    return usage;
  }
  int code = ok;
  auto st = open_store(a, err, code, Access::read);
  if (!st) return code;
  auto seq = resolve_event(*st, a.positional[2], err, code);
  if (!seq) return code;
  auto found = st->event(*seq);
  if (!found) return store_failed(found.error(), err);
  const auto& ev = *found;
  if (!ev) {
    err << "asc-webhookd: no event " << a.positional[2] << "\n";
    return invalid;
  }
  nlohmann::json j = {{"seq", ev->seq},           {"webhook", ev->webhook},
                      {"id", ev->event_id},       {"type", ev->type},
                      {"received", format_utc(ev->received_at_ms)}, {"source", ev->source},
                      {"state", ev->state}};
  j["payload"] = nlohmann::json::parse(ev->raw, nullptr, false);
  j["jobs"] = nlohmann::json::array();
  for (const auto& job : ev->jobs) {
    nlohmann::json jj = {{"id", job.id},       {"rule", job.rule},         {"action_index", job.action_index},
                         {"kind", job.kind},   {"state", job.state},       {"attempts", job.attempts},
                         {"next_try", format_utc(job.next_at_ms)}, {"action", nlohmann::json::parse(job.action_json, nullptr, false)}};
    if (!job.last_error.empty()) jj["last_error"] = job.last_error;
    jj["attempt_log"] = nlohmann::json::array();
    for (const auto& at : job.attempt_log) {
      nlohmann::json aj = {{"at", format_utc(at.started_at_ms)}, {"ms", at.duration_ms}, {"outcome", at.outcome}};
      if (at.http_status) aj["status"] = *at.http_status;
      if (!at.error.empty()) aj["error"] = at.error;
      if (!at.detail.empty()) aj["detail"] = at.detail;
      if (!at.sent.empty()) aj["exchanges"] = delivery::exchanges_of(at.sent);
      jj["attempt_log"].push_back(aj);
    }
    j["jobs"].push_back(jj);
  }
  out << j.dump(2) << "\n";
  return ok;
}

void print_requeued(std::size_t n, std::ostream& out) { out << "requeued " << count_of(n, "job", "jobs") << "\n"; }

// `event retry ID`: every dead job of one event, by its data.id or #SEQ.
int cmd_event_retry(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string& id = a.positional[2];
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  auto seq = resolve_event(*st, id, err, code);
  if (!seq) return code;
  auto requeued = st->retry_event(*seq, SystemClock().now_ms());
  if (!requeued) return store_failed(requeued.error(), err);
  if (*requeued == 0) {
    err << "asc-webhookd: event " << id << " (#" << *seq << ") has no dead job\n";
    return invalid;
  }
  print_requeued(*requeued, out);
  return ok;
}

// `event replay ID`: the stored event planned again with the rules in the
// config now; the new jobs are delivered like any other (after the jobs of
// the same instance already queued), the old ones stay as they were.
int cmd_event_replay(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string& id = a.positional[2];
  auto it = a.options.find("--config");
  if (it == a.options.end()) {
    err << "asc-webhookd: --config FILE is required\n";
    return usage;
  }
  auto cfg = load(it->second, err, config::Secrets::skip);  // the rules; no secret is needed to plan
  if (!cfg) return invalid;
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  auto seq = resolve_event(*st, id, err, code);
  if (!seq) return code;
  auto found = st->event(*seq);
  if (!found) return store_failed(found.error(), err);
  if (!*found) {
    err << "asc-webhookd: no event " << id << "\n";
    return invalid;
  }
  const store::EventView& ev = **found;
  auto replanned = rules::plan_stored(*cfg, ev.webhook, ev.raw);
  if (!replanned) {
    err << "asc-webhookd: stored event " << id << " no longer decodes: " << replanned.error().message << "\n";
    return invalid;
  }
  const auto& planned = *replanned;
  if (planned.empty()) {
    out << "no rule in " << it->second << " matches event " << ev.event_id << " (" << ev.type << "); nothing planned\n";
    return ok;
  }
  auto ids = st->add_jobs(ev.seq, rules::jobs_of(planned), SystemClock().now_ms());
  if (!ids) return store_failed(ids.error(), err);
  out << "event " << ev.event_id << " (#" << ev.seq << ") planned again: " << count_of(ids->size(), "new job", "new jobs")
      << "\n";
  for (std::size_t i = 0; i < ids->size(); ++i)
    out << "job " << (*ids)[i] << "\trule " << planned[i].rule << "\t" << planned[i].kind << "\n";
  return ok;
}

}  // namespace

int cmd_events(const Args& a, std::ostream& out, std::ostream& err) {
  std::string state;
  if (auto it = a.options.find("--state"); it != a.options.end()) state = it->second;
  if (!state.empty() && state != "pending" && state != "done" && state != "dead") {
    err << "asc-webhookd: --state must be pending, done or dead\n";
    return usage;
  }
  std::size_t limit = 50;
  if (auto it = a.options.find("--limit"); it != a.options.end()) {
    // Digits only: stoul would read "-1" as 2^64 - 1, every event.
    const std::string& n = it->second;
    if (!all_digits(n) || n.size() > 9 || std::stoul(n) == 0) {
      err << "asc-webhookd: --limit must be a whole number from 1 to 999999999, not \"" << n << "\"\n";
      return usage;
    }
    limit = std::stoul(n);
  }
  if (a.positional.size() != 1) {
    err << "usage: asc-webhookd events [--state pending|done|dead] [--limit N] --config FILE\n";
    return usage;
  }
  int code = ok;
  auto st = open_store(a, err, code, Access::read);
  if (!st) return code;
  store::EventQuery query;
  query.state = state;
  query.limit = limit;
  auto rows = st->list_events(query);
  if (!rows) return store_failed(rows.error(), err);
  out << "SEQ\tRECEIVED\tSTATE\tWEBHOOK\tTYPE\tFROM->TO\tID\tSOURCE\n";
  for (const auto& e : *rows) {
    // A stateless event (a ping, new feedback) shows "-", not "-->-".
    const std::string change = e.old_state.empty() && e.new_state.empty()
                                   ? "-"
                                   : (e.old_state.empty() ? "-" : e.old_state) + "->" + (e.new_state.empty() ? "-" : e.new_state);
    out << e.seq << "\t" << format_utc(e.received_at_ms) << "\t" << e.state << "\t" << e.webhook << "\t" << e.type << "\t"
        << change << "\t" << e.event_id << "\t" << e.source << "\n";
  }
  return ok;
}

// `job retry N`: one dead job, by its id and nothing else (an event's id
// or seq is refused with the command that takes it).
int cmd_job_retry(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 3 || a.positional[1] != "retry") {
    err << "usage: asc-webhookd job retry N --config FILE\n";
    return usage;
  }
  const std::string& id = a.positional[2];
  if (!all_digits(id)) {
    err << "asc-webhookd: job retry takes a job id (a number, as `event show` lists it), not \"" << id
        << "\"; to requeue the dead jobs of an event: asc-webhookd event retry " << id << " --config FILE\n";
    return usage;
  }
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  // A number too large for a job id is a job that does not exist.
  const std::string digits = id.substr(std::min(id.find_first_not_of('0'), id.size() - 1));
  if (digits.size() > 18) {
    err << "asc-webhookd: no job " << id << "\n";
    return invalid;
  }
  // Dead: requeued; waiting in backoff: due now; done or running: said so.
  auto r = st->retry_job_now(std::stoll(digits), SystemClock().now_ms());
  if (!r) return store_failed(r.error(), err);
  switch (*r) {
    case store::RetryOutcome::not_found: err << "asc-webhookd: no job " << id << "\n"; return invalid;
    case store::RetryOutcome::done:
      err << "asc-webhookd: job " << id << " is done; `event show` names its event, and `event replay` runs it again\n";
      return invalid;
    case store::RetryOutcome::running: err << "asc-webhookd: job " << id << " is running now\n"; return invalid;
    case store::RetryOutcome::requeued: break;
  }
  print_requeued(1, out);
  return ok;
}

int cmd_event(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() == 3 && a.positional[1] == "retry") return cmd_event_retry(a, out, err);
  if (a.positional.size() == 3 && a.positional[1] == "replay") return cmd_event_replay(a, out, err);
  return cmd_event_show(a, out, err);
}

}  // namespace asc_webhookd::app::detail
