// Every integration the registry lists, run without a daemon through a fake
// Transport: a success as its service answers it (the answers `simulate`
// gives), a 503, a 404. And the registry itself: one integration per
// alternative of config::Action, each kind once, its keys in the reference
// table, its stored form read back as written.
#include "asc_webhookd/config/keys.hpp"
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/delivery/attempt.hpp"
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/integrations/registry.hpp"
#include "support/pipeline.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace asc_webhookd::test {
namespace {

namespace net = boost::asio;
using nlohmann::json;

// One action of each kind and the connection it needs, every URL on
// 127.0.0.1 (nothing listens: the fake Transport answers).
const std::map<std::string, std::pair<std::string, std::string>> kSamples = {
    {"github", {"  github: { default: { token: ghp_test, api_url: \"http://127.0.0.1:9/api\" } }\n",
                "      - github: { repo: acme/app, workflow: ci.yml, ref: main, inputs: { v: \"{{event.id}}\" } }\n"}},
    {"slack", {"  slack: { bot: { bot_token: xoxb-test, api_url: \"http://127.0.0.1:9/api\" } }\n",
               "      - slack: { connection: bot, channel: \"#ios\", thread: per_instance, update_parent: true }\n"}},
    {"jira", {"  jira: { default: { base_url: \"http://127.0.0.1:9\", email: ci@acme.test, api_token: jira-test } }\n",
              "      - jira: { jql: \"project = IOS\", transition: Done, comment: \"shipped {{event.id}}\" }\n"}},
    {"http", {"  http: { hook: { url: \"http://127.0.0.1:9/hook\" } }\n", "      - http: { connection: hook }\n"}},
    {"teams", {"  teams: { t: { webhook_url: \"http://127.0.0.1:9/workflows/1/triggers/manual/paths/invoke?sig=x\" } }\n",
               "      - teams: { connection: t }\n"}},
    {"discord", {"  discord: { d: { webhook_url: \"http://127.0.0.1:9/api/webhooks/1/tok\" } }\n",
                 "      - discord: { connection: d }\n"}},
    {"gitlab", {"  gitlab: { default: { trigger_token: glptt-test, api_url: \"http://127.0.0.1:9/api/v4\" } }\n",
                "      - gitlab: { project: acme/app, ref: main, variables: { V: \"{{event.id}}\" } }\n"}},
};

std::shared_ptr<const config::Config> config_for(const std::string& kind) {
  const auto& [connection, action] = kSamples.at(kind);
  const std::string yaml = "webhooks:\n  - { name: app, secret: s3cret-for-tests, app_name: Acme }\nconnections:\n" +
                           connection + "rules:\n  - name: r\n    when: { event: \"*\" }\n    actions:\n" + action;
  auto loaded = config::load_config_string(yaml, "sample.yaml");
  EXPECT_TRUE(loaded.ok()) << kind << ": " << loaded.errors_text();
  return loaded.config;
}

// Answers every request with the scripted status, or as the service would
// on success (the integration's Simulation) when none is scripted.
class FakeTransport final : public outbound::Transport {
public:
  std::optional<unsigned> status;
  integrations::Simulation simulation;
  std::vector<outbound::ClientRequest> requests;

  net::awaitable<outbound::HttpResult> send(outbound::ClientRequest r) override {
    outbound::ClientResponse res;
    res.status = 200;
    res.body = "ok";
    if (status) {
      res.status = *status;
      res.body = R"({"message":"scripted"})";
    } else if (auto answer = simulation.answer ? simulation.answer(r) : std::nullopt) {
      res = std::move(*answer);
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

struct Run {
  actions::Outcome outcome;
  std::vector<outbound::ClientRequest> requests;
};

Run run_once(const std::string& kind, std::optional<unsigned> status) {
  auto cfg = config_for(kind);
  if (!cfg) return {};
  const config::Action& action = cfg->rules.at(0).actions.at(0);
  auto event = event::decode_event(fixture_event("events/seed/02-buildUploadStateUpdated-FAILED.json", "evt-" + kind));
  EXPECT_TRUE(event);
  const auto prepared = delivery::prepare(*event, cfg->find_webhook("app"), "r", nullptr, {});
  FakeTransport transport;
  transport.status = status;
  transport.simulation = integrations::of(action).simulate(action, prepared.context);
  MemoryKeyValue kv;
  ManualClock clock;
  actions::TokenCache tokens;
  actions::Services services{transport, kv, clock, tokens};
  actions::Job job{*cfg, action, *event, prepared.context, "r", 1, "app|buildUploadStateUpdated|x"};
  Run run;
  net::io_context ioc;
  net::co_spawn(ioc, integrations::of(action).run(job, services), [&](std::exception_ptr e, actions::Outcome o) {
    if (e) std::rethrow_exception(e);
    run.outcome = std::move(o);
  });
  ioc.run();
  run.requests = std::move(transport.requests);
  return run;
}

class EachIntegration : public ::testing::TestWithParam<std::string> {};

TEST_P(EachIntegration, SucceedsOnTheServicesAnswersRetriesA503AndGivesUpOnA404) {
  const std::string kind = GetParam();
  const auto ok = run_once(kind, std::nullopt);
  EXPECT_EQ(ok.outcome.decision.verdict, outbound::Verdict::success) << kind << ": " << ok.outcome.decision.reason;
  ASSERT_FALSE(ok.requests.empty()) << kind;
  for (const auto& r : ok.requests) EXPECT_EQ(r.url.rfind("http://127.0.0.1:9/", 0), 0u) << kind << ": " << r.url;

  const auto unavailable = run_once(kind, 503);
  EXPECT_EQ(unavailable.outcome.decision.verdict, outbound::Verdict::retry) << kind;
  EXPECT_EQ(unavailable.requests.size(), 1u) << kind << ": a failed first step stops the attempt";

  const auto missing = run_once(kind, 404);
  EXPECT_EQ(missing.outcome.decision.verdict, outbound::Verdict::final) << kind;
  EXPECT_NE(missing.outcome.target.find("127.0.0.1"), std::string::npos) << kind;
}

TEST_P(EachIntegration, ItsStoredFormIsReadBackAsWrittenAndItsKeysAreInTheReference) {
  const std::string kind = GetParam();
  auto cfg = config_for(kind);
  ASSERT_TRUE(cfg);
  const config::Action& action = cfg->rules.at(0).actions.at(0);
  EXPECT_EQ(config::kind_of(action), kind);
  const json stored = action;
  EXPECT_EQ(stored.at("kind"), kind);
  EXPECT_EQ(json(stored.get<config::Action>()), stored) << stored.dump();
  const auto* integration = integrations::find(kind);
  ASSERT_NE(integration, nullptr);
  EXPECT_FALSE(integration->target(stored).empty()) << kind;
  for (const auto& section : integration->sections) EXPECT_FALSE(config::keys_of(section.path).empty()) << section.path;
}

std::vector<std::string> kinds() {
  std::vector<std::string> out;
  for (const auto& i : integrations::all()) out.emplace_back(i.kind);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Registry, EachIntegration, ::testing::ValuesIn(kinds()),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

TEST(Registry, OneIntegrationPerActionAlternativeEachKindOnceEachWithASample) {
  std::set<std::size_t> alternatives;
  std::set<std::string> seen;
  for (const auto& i : integrations::all()) {
    EXPECT_TRUE(alternatives.insert(i.alternative).second) << i.kind;
    EXPECT_TRUE(seen.insert(std::string(i.kind)).second) << i.kind;
    EXPECT_TRUE(kSamples.count(std::string(i.kind))) << i.kind << " has no sample here";
  }
  EXPECT_EQ(alternatives.size(), std::variant_size_v<config::Action>);
  EXPECT_EQ(integrations::find("pagerduty"), nullptr);
}

}  // namespace
}  // namespace asc_webhookd::test
