#include "asc_webhookd/app/cli.hpp"

#include "asc_webhookd/app/serve.hpp"
#include "asc_webhookd/app/simulate.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/http/client.hpp"
#include "asc_webhookd/ingest/event.hpp"
#include "asc_webhookd/ingest/signature.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/core/clock.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace asc_webhookd::app {
namespace {

constexpr const char* kUsage = R"(asc-webhookd — App Store Connect webhooks to GitHub Actions, Slack and Jira

usage:
  asc-webhookd [serve] --config FILE        run the daemon (serve is the default command)
  asc-webhookd check-config --config FILE   validate; errors as FILE:LINE:COL: message
  asc-webhookd simulate --config FILE [--webhook NAME] [--instance FILE.json] [--answer STATUS] EVENT.json...
  asc-webhookd sign --secret-file FILE [BODY_FILE|-]
  asc-webhookd send --config FILE --webhook NAME [--url URL] EVENT.json
  asc-webhookd events [--state pending|done|dead] [--limit N] --config FILE
  asc-webhookd event show ID --config FILE    (ID: the event's data.id, or #SEQ)
  asc-webhookd event retry ID --config FILE   requeue every dead job of one event
  asc-webhookd event replay ID --config FILE  plan the event again with the rules in force now (new jobs)
  asc-webhookd job retry N --config FILE      requeue one dead job (N: a job id)
  asc-webhookd --version | --help

exit codes: 0 ok, 1 invalid input or config, 2 usage, 3 runtime failure
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
};

// Options take one value ("--config FILE" or "--config=FILE").
std::optional<Args> parse_args(const std::vector<std::string>& argv, std::ostream& err) {
  static const std::vector<std::string> with_value{"--config", "--webhook", "--url", "--secret-file", "--instance",
                                                   "--state",  "--limit", "--answer"};
  Args a;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& s = argv[i];
    if (s.rfind("--", 0) == 0 && s.size() > 2) {
      auto eq = s.find('=');
      std::string name = s.substr(0, eq);
      if (std::find(with_value.begin(), with_value.end(), name) == with_value.end()) {
        err << "asc-webhookd: unknown option " << name << "\n";
        return std::nullopt;
      }
      if (eq != std::string::npos) {
        a.options[name] = s.substr(eq + 1);
      } else {
        if (i + 1 >= argv.size()) {
          err << "asc-webhookd: " << name << " needs a value\n";
          return std::nullopt;
        }
        a.options[name] = argv[++i];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::optional<std::string> read_input(const std::string& path, std::ostream& err) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "asc-webhookd: cannot read " << path << "\n";
    return std::nullopt;
  }
  ss << in.rdbuf();
  return ss.str();
}

// Loads and prints diagnostics (warnings only for check-config: the other
// commands are not the place to lint the file); null on errors.
std::shared_ptr<const config::Config> load(const std::string& path, std::ostream& err,
                                           config::Secrets secrets = config::Secrets::resolve, bool warnings = false) {
  auto result = config::load_config_file(path, config::Environment::process(secrets));
  for (const auto& d : result.diagnostics)
    if (warnings || d.severity == config::Diagnostic::Severity::error) err << d.text() << "\n";
  return result.config;
}

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int cmd_check_config(const Args& a, std::ostream& out, std::ostream& err) {
  auto it = a.options.find("--config");
  if (it == a.options.end() || a.positional.size() != 1) {
    err << "usage: asc-webhookd check-config --config FILE\n";
    return usage;
  }
  auto cfg = load(it->second, err, config::Secrets::check, /*warnings=*/true);
  if (!cfg) return invalid;
  out << it->second << ": ok (" << count_of(cfg->webhooks.size(), "webhook", "webhooks") << ", "
      << count_of(cfg->rules.size(), "rule", "rules") << ")\n";
  return ok;
}

int cmd_sign(const Args& a, std::ostream& out, std::ostream& err) {
  auto it = a.options.find("--secret-file");
  if (it == a.options.end() || a.positional.size() > 2) {
    err << "usage: asc-webhookd sign --secret-file FILE [BODY_FILE|-]\n";
    return usage;
  }
  auto secret = read_input(it->second, err);
  if (!secret) return invalid;
  while (!secret->empty() && (secret->back() == '\n' || secret->back() == '\r')) secret->pop_back();
  if (secret->empty()) {
    err << "asc-webhookd: " << it->second << " is empty\n";
    return invalid;
  }
  auto body = read_input(a.positional.size() == 2 ? a.positional[1] : "-", err);
  if (!body) return invalid;
  out << ingest::sign(*secret, *body) << "\n";
  return ok;
}

std::string default_url(const config::Config& cfg, const std::string& webhook) {
  auto addr = cfg.server.listen.front();
  if (addr.host == "0.0.0.0") addr.host = "127.0.0.1";
  if (addr.host == "::") addr.host = "::1";
  return std::string(cfg.server.tls ? "https://" : "http://") + addr.text() + "/webhooks/" + webhook;
}

int cmd_send(const Args& a, std::ostream& out, std::ostream& err) {
  auto cfg_it = a.options.find("--config");
  auto hook_it = a.options.find("--webhook");
  if (cfg_it == a.options.end() || hook_it == a.options.end() || a.positional.size() != 2) {
    err << "usage: asc-webhookd send --config FILE --webhook NAME [--url URL] EVENT.json\n";
    return usage;
  }
  auto cfg = load(cfg_it->second, err);
  if (!cfg) return invalid;
  const auto* hook = cfg->find_webhook(hook_it->second);
  if (!hook) {
    err << "asc-webhookd: no webhook named \"" << hook_it->second << "\" in " << cfg_it->second << "\n";
    return invalid;
  }
  auto body = read_input(a.positional[1], err);
  if (!body) return invalid;
  http::ClientRequest req;
  req.method = "POST";
  auto url_it = a.options.find("--url");
  req.url = url_it != a.options.end() ? url_it->second : default_url(*cfg, hook->name);
  req.headers = {{"Content-Type", "application/json"}, {"x-apple-signature", ingest::sign(hook->secret.reveal(), *body)}};
  req.body = *body;
  auto res = http::fetch_blocking(req);
  if (!res) {
    err << "asc-webhookd: POST " << req.url << ": " << res.error().message << "\n";
    return runtime;
  }
  out << res->status << " " << res->body;
  if (res->body.empty() || res->body.back() != '\n') out << "\n";
  if (res->status >= 200 && res->status < 300) return ok;
  return res->status >= 500 ? runtime : invalid;
}

// A store that could not answer (not "nothing there"): a runtime failure.
int store_failed(const store::StoreError& e, std::ostream& err) {
  err << "asc-webhookd: the store failed: " << e << " (" << e.code.message() << ")\n";
  return runtime;
}

// Opens the store named by the config's `store` section (nothing else in
// the file is read: no secret needs to resolve), for the operator commands.
// A store that does not exist is refused, never created: an empty new file
// would answer every question with "nothing". Safe while the daemon runs
// (WAL: readers never block the writer for long).
std::unique_ptr<store::SqliteStore> open_store(const Args& a, std::ostream& err, int& code) {
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
  const std::string& path = loaded.store->path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    code = invalid;
    err << "asc-webhookd: no store at " << path
        << " (store.path in the config, else $STATE_DIRECTORY/state.db; run as the service user, e.g. "
           "sudo -u asc-webhookd, with the service's STATE_DIRECTORY=/var/lib/asc-webhookd)\n";
    return nullptr;
  }
  auto st = store::SqliteStore::open({path, ""});
  if (!st) {
    code = runtime;
    err << "asc-webhookd: " << st.error().message << "\n";
    return nullptr;
  }
  return std::move(*st);
}

int cmd_events(const Args& a, std::ostream& out, std::ostream& err) {
  std::string state;
  if (auto it = a.options.find("--state"); it != a.options.end()) state = it->second;
  if (!state.empty() && state != "pending" && state != "done" && state != "dead") {
    err << "asc-webhookd: --state must be pending, done or dead\n";
    return usage;
  }
  std::size_t limit = 50;
  if (auto it = a.options.find("--limit"); it != a.options.end()) {
    try {
      limit = std::stoul(it->second);
    } catch (const std::exception&) {
      err << "asc-webhookd: --limit must be a number\n";
      return usage;
    }
  }
  if (a.positional.size() != 1) {
    err << "usage: asc-webhookd events [--state pending|done|dead] [--limit N] --config FILE\n";
    return usage;
  }
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  auto rows = st->events(state, limit);
  if (!rows) return store_failed(rows.error(), err);
  out << "SEQ\tRECEIVED\tSTATE\tWEBHOOK\tTYPE\tFROM->TO\tID\n";
  for (const auto& e : *rows) {
    // A stateless event (a ping, new feedback) shows "-", not "-->-".
    const std::string change = e.old_state.empty() && e.new_state.empty()
                                   ? "-"
                                   : (e.old_state.empty() ? "-" : e.old_state) + "->" + (e.new_state.empty() ? "-" : e.new_state);
    out << e.seq << "\t" << format_utc(e.received_at_ms) << "\t" << e.state << "\t" << e.webhook << "\t" << e.type << "\t"
        << change << "\t" << e.event_id << "\n";
  }
  return ok;
}

int cmd_event_show(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 3 || a.positional[1] != "show") {
    err << "usage: asc-webhookd event show|retry|replay ID --config FILE\n";
    return usage;
  }
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  auto found = st->event(a.positional[2]);
  if (!found) return store_failed(found.error(), err);
  const auto& ev = *found;
  if (!ev) {
    err << "asc-webhookd: no event " << a.positional[2] << "\n";
    return invalid;
  }
  nlohmann::json j = {{"seq", ev->seq},           {"webhook", ev->webhook},
                      {"id", ev->event_id},       {"type", ev->type},
                      {"received", format_utc(ev->received_at_ms)}, {"state", ev->state}};
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
      if (!at.sent.empty()) aj["sent"] = at.sent;
      jj["attempt_log"].push_back(aj);
    }
    j["jobs"].push_back(jj);
  }
  out << j.dump(2) << "\n";
  return ok;
}

int cmd_simulate(const Args& a, std::ostream& out, std::ostream& err) {
  auto it = a.options.find("--config");
  if (it == a.options.end() || a.positional.size() < 2) {
    err << "usage: asc-webhookd simulate --config FILE [--webhook NAME] [--instance FILE.json] [--answer STATUS] "
           "EVENT.json...\n";
    return usage;
  }
  SimulateOptions o;
  if (auto ans = a.options.find("--answer"); ans != a.options.end()) {
    const std::string& v = ans->second;
    if (v.size() != 3 || v.find_first_not_of("0123456789") != std::string::npos || v[0] < '1' || v[0] > '5') {
      err << "asc-webhookd: --answer takes an HTTP status from 100 to 599, not \"" << v << "\"\n";
      return usage;
    }
    o.answer = static_cast<unsigned>(std::stoul(v));
  }
  // No secret's value is needed: an unresolved reference prints masked too.
  auto cfg = load(it->second, err, config::Secrets::skip);
  if (!cfg) return invalid;
  if (auto w = a.options.find("--webhook"); w != a.options.end()) o.webhook = w->second;
  if (auto i = a.options.find("--instance"); i != a.options.end()) o.instance = i->second;
  o.event_files.assign(a.positional.begin() + 1, a.positional.end());
  return simulate(*cfg, o, out, err);
}

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

void print_requeued(std::size_t n, std::ostream& out) { out << "requeued " << n << " job" << (n == 1 ? "" : "s") << "\n"; }

// `job retry N`: one dead job, by its id and nothing else (an event's id
// or seq is refused with the command that takes it).
int cmd_job_retry(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 3 || a.positional[1] != "retry") {
    err << "usage: asc-webhookd job retry N --config FILE\n";
    return usage;
  }
  const std::string& id = a.positional[2];
  if (!all_digits(id) || id.size() > 18) {
    err << "asc-webhookd: job retry takes a job id (a number, as `event show` lists it), not \"" << id
        << "\"; to requeue the dead jobs of an event: asc-webhookd event retry " << id << " --config FILE\n";
    return usage;
  }
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  auto requeued = st->retry_job(std::stoll(id), SystemClock().now_ms());
  if (!requeued) return store_failed(requeued.error(), err);
  if (*requeued == 0) {
    err << "asc-webhookd: no dead job " << id << " (an event's seq is retried with: asc-webhookd event retry #" << id
        << ")\n";
    return invalid;
  }
  print_requeued(*requeued, out);
  return ok;
}

// `event retry ID`: every dead job of one event, by its data.id or #SEQ.
int cmd_event_retry(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string& id = a.positional[2];
  int code = ok;
  auto st = open_store(a, err, code);
  if (!st) return code;
  auto requeued = st->retry_event(id, SystemClock().now_ms());
  if (!requeued) return store_failed(requeued.error(), err);
  if (*requeued == 0) {
    err << "asc-webhookd: no dead job for event " << id;
    if (all_digits(id)) err << " (a job is retried with: asc-webhookd job retry " << id << "; an event by seq: #" << id << ")";
    err << "\n";
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
  auto found = st->event(id);
  if (!found) return store_failed(found.error(), err);
  if (!*found) {
    err << "asc-webhookd: no event " << id;
    if (all_digits(id)) err << " (an event by seq: #" << id << ")";
    err << "\n";
    return invalid;
  }
  const store::EventView& ev = **found;
  auto event = ingest::decode_event(ev.raw);
  if (!event) {
    err << "asc-webhookd: stored event " << id << " no longer decodes: " << event.error().message << "\n";
    return invalid;
  }
  const auto planned = rules::plan(*cfg, ev.webhook, *event);
  if (planned.empty()) {
    out << "no rule in " << it->second << " matches event " << ev.event_id << " (" << ev.type << "); nothing planned\n";
    return ok;
  }
  auto ids = st->add_jobs(ev.seq, planned, SystemClock().now_ms());
  if (!ids) return store_failed(ids.error(), err);
  out << "event " << ev.event_id << " (#" << ev.seq << ") planned again: " << count_of(ids->size(), "new job", "new jobs")
      << "\n";
  for (std::size_t i = 0; i < ids->size(); ++i)
    out << "job " << (*ids)[i] << "\trule " << planned[i].rule << "\t" << planned[i].kind << "\n";
  return ok;
}

int cmd_event(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() == 3 && a.positional[1] == "retry") return cmd_event_retry(a, out, err);
  if (a.positional.size() == 3 && a.positional[1] == "replay") return cmd_event_replay(a, out, err);
  return cmd_event_show(a, out, err);
}

int dispatch(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  // `--help` anywhere (`simulate --help`): the usage, and success.
  for (const auto& arg : argv)
    if (arg == "--help" || arg == "-h" || (arg == "help" && arg == argv.front())) {
      out << kUsage;
      return ok;
    }
  if (!argv.empty() && argv[0] == "--version") {
    out << "asc-webhookd " ASC_WEBHOOKD_VERSION "\n";
    return ok;
  }
  auto args = parse_args(argv, err);
  if (!args) {
    err << kUsage;
    return usage;
  }
  if (args->positional.empty()) args->positional.insert(args->positional.begin(), "serve");
  const std::string cmd = args->positional.front();
  if (cmd == "serve") {
    auto it = args->options.find("--config");
    if (it == args->options.end() || args->positional.size() != 1) {
      err << "usage: asc-webhookd [serve] --config FILE\n";
      return usage;
    }
    return serve(it->second);
  }
  if (cmd == "check-config") return cmd_check_config(*args, out, err);
  if (cmd == "sign") return cmd_sign(*args, out, err);
  if (cmd == "send") return cmd_send(*args, out, err);
  if (cmd == "events") return cmd_events(*args, out, err);
  if (cmd == "event") return cmd_event(*args, out, err);
  if (cmd == "job") return cmd_job_retry(*args, out, err);
  if (cmd == "simulate") return cmd_simulate(*args, out, err);
  err << "asc-webhookd: unknown command '" << cmd << "'\n" << kUsage;
  return usage;
}

}  // namespace

int run_cli(std::span<char*> args, std::ostream& out, std::ostream& err) {
  std::vector<std::string> argv;
  for (std::size_t i = 1; i < args.size(); ++i) argv.emplace_back(args[i]);
  try {
    return dispatch(argv, out, err);
  } catch (const std::exception& e) {
    err << "asc-webhookd: " << e.what() << "\n";
    return runtime;
  }
}

}  // namespace asc_webhookd::app
