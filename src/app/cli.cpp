#include "asc_webhookd/app/cli.hpp"

#include "cli_commands.hpp"

#include "asc_webhookd/app/serve.hpp"
#include "asc_webhookd/app/simulate.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/outbound/client.hpp"
#include "asc_webhookd/ingest/signature.hpp"

#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace asc_webhookd::app {

namespace detail {

std::shared_ptr<const config::Config> load(const std::string& path, std::ostream& err,
                                           config::Secrets secrets, bool warnings) {
  auto result = config::load_config_file(path, config::Environment::process(secrets));
  for (const auto& d : result.diagnostics)
    if (warnings || d.severity == config::Diagnostic::Severity::error) err << d.text() << "\n";
  return result.config;
}

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool all_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace detail

namespace {

using detail::Args;
using detail::count_of;
using detail::load;

constexpr const char* kUsage = R"(asc-webhookd — App Store Connect webhooks to CI/CD and team automation

usage:
  asc-webhookd [serve] --config FILE        run the daemon (serve is the default command)
  asc-webhookd check-config --config FILE   validate; errors as FILE:LINE:COL: message
  asc-webhookd simulate --config FILE [--webhook NAME] [--instance FILE.json | --instance-dir DIR] [--answer STATUS] EVENT.json...
  asc-webhookd sign --secret-file FILE [BODY_FILE|-]
  asc-webhookd send --config FILE --webhook NAME [--url URL] EVENT.json
  asc-webhookd events [--state pending|done|dead] [--limit N] --config FILE
  asc-webhookd event show ID --config FILE    (ID: the event's data.id, or #SEQ)
  asc-webhookd event retry ID --config FILE   requeue every dead job of one event
  asc-webhookd event replay ID --config FILE  plan the event again with the rules in force now (new jobs)
  asc-webhookd job retry N --config FILE      requeue one dead job (N: a job id)
  asc-webhookd apple webhooks --config FILE [--webhook NAME]
                                              Apple's webhooks of each linked app
  asc-webhookd apple setup --config FILE --webhook NAME --url URL [--app APP_ID] [--secret-out FILE]
                                              create (or update) Apple's webhook: every event type, enabled
  asc-webhookd apple ping --config FILE --webhook NAME [--wait 60s]
                                              a test delivery; exit 0 once it is in the store
  asc-webhookd apple deliveries --config FILE --webhook NAME [--since 3d] [--state failed|succeeded|pending]
                                              Apple's delivery log, and whether each event is stored here
  asc-webhookd apple reconcile --config FILE [--webhook NAME] [--since 3d]
                                              one reconcile pass now: store what Apple failed to deliver
  asc-webhookd review show ID --config FILE   a customer review and its response
  asc-webhookd review reply ID --text TEXT --config FILE
                                              create or replace the review's response; prints its state
  asc-webhookd review unreply ID --config FILE
                                              delete the review's response
  asc-webhookd review poll --config FILE [--webhook NAME]
                                              one review pass now, then a summary line
  asc-webhookd migrate --from state.db --config FILE
                                              copy an SQLite store into the PostgreSQL of store.url
  asc-webhookd --version | --help

exit codes: 0 ok, 1 invalid input or config, 2 usage, 3 runtime failure
)";

// Options take one value ("--config FILE" or "--config=FILE").
std::optional<Args> parse_args(const std::vector<std::string>& argv, std::ostream& err) {
  static const std::vector<std::string> with_value{"--config", "--webhook", "--url", "--secret-file", "--instance", "--instance-dir",
                                                   "--state",  "--limit", "--answer", "--app",
                                                   "--secret-out", "--wait", "--since", "--from", "--text"};
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
  // Signing needs that webhook's secret and nothing else: the other
  // references (the admin token, the connections' tokens) may be set only
  // where the service runs.
  auto env = config::Environment::process(config::Secrets::skip);
  env.resolve_only = {"webhook " + hook_it->second + " secret"};
  auto loaded = config::load_config_file(cfg_it->second, env);
  for (const auto& d : loaded.diagnostics)
    if (d.severity == config::Diagnostic::Severity::error) err << d.text() << "\n";
  auto cfg = loaded.config;
  if (!cfg) return invalid;
  const auto* hook = cfg->find_webhook(hook_it->second);
  if (!hook) {
    err << "asc-webhookd: no webhook named \"" << hook_it->second << "\" in " << cfg_it->second << "\n";
    return invalid;
  }
  auto body = read_input(a.positional[1], err);
  if (!body) return invalid;
  outbound::ClientRequest req;
  req.method = "POST";
  auto url_it = a.options.find("--url");
  req.url = url_it != a.options.end() ? url_it->second : default_url(*cfg, hook->name);
  req.headers = {{"Content-Type", "application/json"}, {"x-apple-signature", ingest::sign(hook->secret.reveal(), *body)}};
  req.body = *body;
  auto res = outbound::fetch_blocking(req);
  if (!res) {
    err << "asc-webhookd: POST " << req.url << ": " << res.error().message << "\n";
    return runtime;
  }
  out << res->status << " " << res->body;
  if (res->body.empty() || res->body.back() != '\n') out << "\n";
  if (res->status >= 200 && res->status < 300) return ok;
  return res->status >= 500 ? runtime : invalid;
}

int cmd_simulate(const Args& a, std::ostream& out, std::ostream& err) {
  auto it = a.options.find("--config");
  if (it == a.options.end() || a.positional.size() < 2) {
    err << "usage: asc-webhookd simulate --config FILE [--webhook NAME] [--instance FILE.json | --instance-dir DIR] "
           "[--answer STATUS] EVENT.json...\n";
    return usage;
  }
  SimulateOptions o;
  if (a.options.count("--instance") && a.options.count("--instance-dir")) {
    err << "asc-webhookd: --instance (one answer for every event) and --instance-dir (each event's own) exclude each other\n";
    return usage;
  }
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
  if (auto i = a.options.find("--instance-dir"); i != a.options.end()) o.instance_dir = i->second;
  o.event_files.assign(a.positional.begin() + 1, a.positional.end());
  return simulate(*cfg, o, out, err);
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
  if (cmd == "events") return detail::cmd_events(*args, out, err);
  if (cmd == "event") return detail::cmd_event(*args, out, err);
  if (cmd == "job") return detail::cmd_job_retry(*args, out, err);
  if (cmd == "apple") return detail::cmd_apple(*args, out, err);
  if (cmd == "review") return detail::cmd_review(*args, out, err);
  if (cmd == "migrate") return detail::cmd_migrate(*args, out, err);
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
