#include "asc_webhookd/app/simulate.hpp"

#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/integrations/registry.hpp"
#include "asc_webhookd/delivery/attempt.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/rules/engine.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace asc_webhookd::app {

namespace net = boost::asio;
using nlohmann::json;

namespace {

// Records each request and answers it as the action's integration says the
// service would on success (integrations::Simulation), so the whole sequence
// of a multi-step action shows; `--answer` answers every request alike.
class Recorder final : public outbound::Transport {
public:
  std::vector<outbound::ClientRequest> requests;
  integrations::Simulation simulation;
  std::optional<unsigned> scripted;  // --answer

  net::awaitable<outbound::HttpResult> send(outbound::ClientRequest r) override {
    outbound::ClientResponse res;
    res.status = 200;
    if (scripted) {
      res.status = *scripted;
    } else if (auto answer = simulation.answer ? simulation.answer(r) : std::nullopt) {
      res = std::move(*answer);
    } else {
      res.body = "ok";
    }
    requests.push_back(std::move(r));
    co_return res;
  }
};

class MemoryKeyValue final : public actions::KeyValue {
public:
  std::map<std::string, std::string> values;
  net::awaitable<std::optional<std::string>> get(std::string key) override {
    auto it = values.find(key);
    if (it == values.end()) co_return std::nullopt;
    co_return it->second;
  }
  net::awaitable<bool> put(std::string key, std::string value) override {
    values[std::move(key)] = std::move(value);
    co_return true;
  }
};

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += line.empty() ? "\n" : pad + line + "\n";
  return out;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whether `value` appears as a string anywhere in `j` (a buildUpload's
// state is nested: attributes.state.state).
bool holds_string(const json& j, const std::string& value, int depth = 0) {
  if (j.is_string()) return j.get_ref<const std::string&>() == value;
  if (depth > 8 || !j.is_structured()) return false;
  for (const auto& v : j) if (holds_string(v, value, depth + 1)) return true;
  return false;
}

// The answer in `dir` for the event's instance (see SimulateOptions), or
// "" when none has its type.
std::string answer_for(const std::string& dir, const event::Event& event) {
  if (!event.instance) return "";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::string best;
  int best_score = -1;
  for (const auto& f : files) {
    const auto text = read_file(f);
    const json answer = text ? json::parse(*text, nullptr, false) : json();
    if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_object() ||
        answer["data"].value("type", json()) != json(event.instance->type))
      continue;
    const int score = event.new_state && holds_string(answer["data"].value("attributes", json::object()), *event.new_state);
    if (score > best_score) best = f, best_score = score;
  }
  return best;
}

std::optional<json> read_answer(const std::string& path, std::ostream& err) {
  auto text = read_file(path);
  if (!text) {
    err << "asc-webhookd: cannot read " << path << "\n";
    return std::nullopt;
  }
  json answer = json::parse(*text, nullptr, false);
  if (!answer.is_object() || !answer.contains("data")) {
    err << "asc-webhookd: " << path << " is not an App Store Connect API answer (no \"data\")\n";
    return std::nullopt;
  }
  return answer;
}

std::optional<enrich::Enrichment> as_enrichment(const json& answer) {
  if (answer.is_null()) return std::nullopt;
  enrich::Enrichment e;
  e.status = enrich::Enrichment::Status::enriched;
  e.response = answer;
  return e;
}

}  // namespace

int simulate(const config::Config& cfg, const SimulateOptions& o, std::ostream& out, std::ostream& err) {
  const config::WebhookConfig* hook = o.webhook.empty() ? (cfg.webhooks.empty() ? nullptr : &cfg.webhooks.front())
                                                        : cfg.find_webhook(o.webhook);
  if (!hook) {
    err << "asc-webhookd: no webhook named \"" << o.webhook << "\" in the config\n";
    return 1;
  }
  json instance = nullptr;
  if (o.instance) {
    auto answer = read_answer(*o.instance, err);
    if (!answer) return 1;
    instance = std::move(*answer);
  }
  if (o.instance_dir && !std::filesystem::is_directory(*o.instance_dir)) {
    err << "asc-webhookd: --instance-dir " << *o.instance_dir << " is not a directory\n";
    return 1;
  }
  // --instance: as if the lookup had answered it, for every event.
  std::optional<enrich::Enrichment> enrichment = as_enrichment(instance);
  int status = 0;
  SystemClock clock;
  actions::TokenCache tokens;
  std::map<std::string, std::vector<store::HistoryEntry>> histories;
  for (const auto& file : o.event_files) {
    auto body = read_file(file);
    if (!body) {
      err << "asc-webhookd: cannot read " << file << "\n";
      status = 1;
      continue;
    }
    auto event = event::decode_event(*body);
    if (!event) {
      err << "asc-webhookd: " << file << ": " << event.error().message << "\n";
      status = 1;
      continue;
    }
    out << "== " << file << ": " << event->type_name << " " << event->id << " on webhook " << hook->name;
    if (event->old_state || event->new_state)
      out << " (" << event->old_state.value_or("?") << " -> " << event->new_state.value_or("?") << ")";
    out << "\n";
    if (o.instance_dir) {  // --instance-dir: this event's own answer, or none
      enrichment.reset();
      if (const auto answer_file = answer_for(*o.instance_dir, *event); !answer_file.empty()) {
        auto answer = read_answer(answer_file, err);
        if (!answer) {
          status = 1;
          continue;
        }
        enrichment = as_enrichment(*answer);
        out << "(the lookup's answer: " << answer_file << ")\n";
      } else if (event->instance) {
        out << "(no answer in " << *o.instance_dir << " for a " << event->instance->type << " instance)\n";
      }
    }
    // History as the daemon would have it: the events given so far, in order.
    std::vector<store::HistoryEntry> history;
    if (event->instance) {
      auto& entries = histories[rules::instance_key(hook->name, *event)];
      if (event->new_state)
        entries.push_back({*event->new_state, event->timestamp ? std::optional<std::int64_t>(event->timestamp->unix_nanos) : std::nullopt,
                           clock.now_ms()});
      history = entries;
    }
    auto jobs = rules::plan(cfg, hook->name, *event);
    if (jobs.empty()) {
      out << "no rule matches\n\n";
      continue;
    }
    MemoryKeyValue kv;  // per event: a thread parent appears as the daemon would store it
    std::string last_rule;
    for (std::size_t n = 0; n < jobs.size(); ++n) {
      const auto& pj = jobs[n];
      if (pj.rule != last_rule) out << "rule " << pj.rule << " matches\n";
      last_rule = pj.rule;
      const config::Action& action = *pj.action;
      const auto prepared = delivery::prepare(*event, hook, pj.rule, enrichment ? &*enrichment : nullptr, history);
      const json& context = prepared.context;
      Recorder rec;
      rec.scripted = o.answer;
      const auto& integration = integrations::of(action);
      rec.simulation = integration.simulate(action, context);
      actions::Services services{rec, kv, clock, tokens};
      actions::Job job{cfg, action, *event, context, pj.rule, static_cast<std::int64_t>(n + 1), rules::instance_key(hook->name, *event)};
      actions::Outcome outcome;
      net::io_context ioc;
      net::co_spawn(ioc, delivery::execute(job, services), [&](std::exception_ptr e, actions::Outcome o2) {
        if (e) std::rethrow_exception(e);
        outcome = std::move(o2);
      });
      ioc.run();
      out << "  action " << pj.action_index + 1 << ": " << pj.kind;
      out << rec.simulation.note;
      out << "\n";
      for (const auto& r : rec.requests) out << indent(actions::describe(r), "    ") << "\n";
      if (o.answer) {
        // The first attempt's settlement, as the engine would record it.
        const auto settled = delivery::settle(outcome.decision, cfg.delivery, 1, clock.now_ms(), clock.now_ms(), 0.5);
        out << "    answered " << *o.answer << ": " << settled.outcome_text();
        if (settled.result == store::JobOutcome::retry) out << ", next try in " << settled.next;
        if (!settled.error.empty()) out << " (" << settled.error << ")";
        out << "\n\n";
      } else if (outcome.decision.verdict != outbound::Verdict::success) {
        out << "    would fail: " << outcome.decision.reason << "\n\n";
      }
    }
  }
  return status;
}

}  // namespace asc_webhookd::app
