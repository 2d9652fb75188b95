// rules/: matching, planning (order keys, stop, every action), and the
// action's stored form round trip for every kind.
#include "asc_webhookd/config/loader.hpp"
#include "asc_webhookd/rules/engine.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;

event::Event event(const std::string& type, const std::string& from, const std::string& to,
                    const std::string& instance = "v-1") {
  json body = {{"data",
                {{"type", type},
                 {"id", "e-" + to},
                 {"version", 1},
                 {"attributes", {{"oldValue", from}, {"newValue", to}}},
                 {"relationships", {{"instance", {{"data", {{"type", "appStoreVersions"}, {"id", instance}}}}}}}}}};
  auto e = event::decode_event(body.dump());
  if (!e) throw std::runtime_error(e.error().message);
  return *e;
}

std::shared_ptr<const config::Config> load(const std::string& rules) {
  auto r = config::load_config_string(
      "webhooks:\n  - name: ios\n    secret: s3cretsecret\n  - name: mac\n    secret: s3cretsecret\n"
      "connections:\n"
      "  github: { default: { token: t0k3n } }\n"
      "  slack: { bot: { bot_token: xoxb-1 }, hook: { webhook_url: \"https://hooks.slack.com/services/T/B/X\" } }\n"
      "  jira: { default: { base_url: \"https://acme.atlassian.net\", email: a@b.c, api_token: t } }\n"
      "rules:\n" + rules,
      "test.yaml");
  if (!r.ok()) throw std::runtime_error(r.errors_text());
  return r.config;
}

const char* kVersion = "appStoreVersionAppVersionStateUpdated";

TEST(RulesMatch, WebhookEventFromAndTo) {
  auto cfg = load(
      "  - name: r\n    when: { webhook: ios, event: appStoreVersionAppVersionStateUpdated, from: IN_REVIEW, "
      "to: [PENDING_DEVELOPER_RELEASE, READY_FOR_DISTRIBUTION] }\n    actions:\n      - slack: { connection: hook }\n");
  const auto& when = cfg->rules.at(0).when;
  EXPECT_TRUE(rules::matches(when, "ios", event(kVersion, "IN_REVIEW", "READY_FOR_DISTRIBUTION")));
  EXPECT_FALSE(rules::matches(when, "mac", event(kVersion, "IN_REVIEW", "READY_FOR_DISTRIBUTION")));
  EXPECT_FALSE(rules::matches(when, "ios", event(kVersion, "WAITING_FOR_REVIEW", "READY_FOR_DISTRIBUTION")));
  EXPECT_FALSE(rules::matches(when, "ios", event(kVersion, "IN_REVIEW", "REJECTED")));
  EXPECT_FALSE(rules::matches(when, "ios", event("buildUploadStateUpdated", "IN_REVIEW", "READY_FOR_DISTRIBUTION")));
}

TEST(RulesMatch, AbsentMeansAnyAndAStarMatchesEveryType) {
  auto cfg = load("  - name: r\n    when: { event: \"*\" }\n    actions:\n      - slack: { connection: hook }\n");
  EXPECT_TRUE(rules::matches(cfg->rules.at(0).when, "mac", event("somethingNew", "A", "B")));
}

TEST(RulesPlan, EveryMatchingRuleInFileOrderUntilStop) {
  auto cfg = load(
      "  - name: first\n    when: { to: READY_FOR_DISTRIBUTION }\n    actions:\n"
      "      - github: { repo: acme/app, event_type: released }\n      - slack: { connection: hook }\n"
      "  - name: not-matching\n    when: { to: REJECTED }\n    actions:\n      - slack: { connection: hook }\n"
      "  - name: second\n    stop: true\n    actions:\n      - slack: { connection: bot, channel: \"#c\" }\n"
      "  - name: after-stop\n    actions:\n      - slack: { connection: hook }\n");
  auto ev = event(kVersion, "PENDING_DEVELOPER_RELEASE", "READY_FOR_DISTRIBUTION", "v-9");
  auto jobs = rules::plan(*cfg, "ios", ev);
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs[0].rule, "first");
  EXPECT_EQ(jobs[0].kind, "github");
  EXPECT_EQ(jobs[0].action_index, 0);
  EXPECT_EQ(jobs[1].kind, "slack");
  EXPECT_EQ(jobs[1].action_index, 1);
  EXPECT_EQ(jobs[2].rule, "second");
  EXPECT_EQ(jobs[0].action, &cfg->rules[0].actions[0]);
  // Order per instance and action.
  EXPECT_EQ(jobs[0].order_key, "ios|appStoreVersions|v-9|first|0");
  EXPECT_EQ(jobs[1].order_key, "ios|appStoreVersions|v-9|first|1");
  EXPECT_EQ(rules::instance_key("ios", ev), "ios|appStoreVersions|v-9");
}

// Planning walks only the rules that can match the event's type (an index
// built at load), in file order with the rules for any type among them.
TEST(RulesPlan, OnlyTheRulesForTheEventsTypeAreWalkedInFileOrder) {
  std::string rules;
  auto add = [&](const std::string& name, const std::string& when) {
    rules += "  - name: " + name + "\n    when: " + when + "\n    actions:\n      - slack: { connection: hook }\n";
  };
  add("any-first", "{}");
  add("uploads", "{ event: buildUploadStateUpdated }");
  add("versions", std::string("{ event: ") + kVersion + " }");
  add("star", "{ event: \"*\" }");
  add("both", std::string("{ event: [buildUploadStateUpdated, ") + kVersion + ", buildUploadStateUpdated] }");
  for (int i = 0; i < 200; ++i) add("other-" + std::to_string(i), "{ event: betaFeedbackCrashSubmissionCreated }");
  auto cfg = load(rules);
  EXPECT_EQ(cfg->rules_for_type(kVersion), (std::vector<std::size_t>{0, 2, 3, 4}));
  EXPECT_EQ(cfg->rules_for_type("buildUploadStateUpdated"), (std::vector<std::size_t>{0, 1, 3, 4}));
  EXPECT_EQ(cfg->rules_for_type("someTypeAppleAddsLater"), (std::vector<std::size_t>{0, 3}));
  EXPECT_EQ(cfg->rules_for_type("betaFeedbackCrashSubmissionCreated").size(), 202u);
  auto jobs = rules::plan(*cfg, "ios", event(kVersion, "A", "B"));
  std::vector<std::string> names;
  for (const auto& j : jobs) names.push_back(j.rule);
  EXPECT_EQ(names, (std::vector<std::string>{"any-first", "versions", "star", "both"}));
}

TEST(RulesPlan, AnEventWithoutAnInstanceIsOrderedByItself) {
  auto cfg = load("  - name: r\n    actions:\n      - slack: { connection: hook }\n");
  auto ev = event::decode_event(R"({"data":{"type":"webhookPingCreated","id":"p-1"}})");
  ASSERT_TRUE(ev);
  auto jobs = rules::plan(*cfg, "ios", *ev);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].order_key, "ios|event|p-1|r|0");
  EXPECT_EQ(rules::instance_key("ios", *ev), "");
}

// Every kind, with every field set, survives the stored form unchanged.
TEST(RulesStoredForm, EveryActionKindRoundTrips) {
  auto cfg = load(
      "  - name: r\n    actions:\n"
      "      - github: { repo: acme/app, workflow: submit.yml, ref: \"{{event.id}}\", inputs: { v: \"{{instance.id}}\" } }\n"
      "      - github: { repo: acme/app, event_type: asc, client_payload: { a: [1, \"{{event.type}}\"] } }\n"
      "      - slack: { connection: bot, channel: \"#c\", text: hi, blocks: [{ type: divider }], thread: per_instance, "
      "update_parent: true }\n"
      "      - jira: { jql: \"project = IOS\", transition: Done, comment: c, release_version: { project: IOS, name: \"1.0\" } }\n"
      "      - http: { url: \"https://h.example.com/{{event.id}}\", method: PUT, headers: { X-A: b }, body: '{\"a\": \"{{event.id}}\"}', "
      "body_escape: json }\n");
  for (const auto& action : cfg->rules.at(0).actions) {
    const std::string stored = json(action).dump();
    auto back = rules::decode_action(stored);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(json(*back).dump(), stored);
    EXPECT_EQ(config::kind_of(*back), config::kind_of(action));
    EXPECT_EQ(stored.find("t0k3n"), std::string::npos) << "connections are stored by name";
  }
}

TEST(RulesStoredForm, MalformedOrUnknownIsAnErrorNotAThrow) {
  for (const char* bad : {"not json", "{}", R"({"kind":"carrier-pigeon"})", R"({"kind":"slack"})"}) {
    auto r = rules::decode_action(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("stored action is malformed"), std::string::npos) << r.error().message;
  }
  // A job stored before body_escape existed reads as "none".
  auto old = rules::decode_action(R"({"kind":"http","connection":null,"url":"https://h/x","method":"POST","headers":{},"body":null})");
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_FALSE(std::get<config::HttpAction>(*old).body_json_escaped);
}

}  // namespace
}  // namespace asc_webhookd::test
