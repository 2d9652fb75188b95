// The stored form of every action kind, pinned. A job keeps its action in
// the store as this JSON, and a job queued by an older version is decoded
// by whatever version runs it: any reshaping of the integrations must store
// exactly this and decode it back to the same action (forms from before a
// key existed included).
#include "asc_webhookd/config/config.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace asc_webhookd::config {
namespace {

using json = nlohmann::json;

Template t(const std::string& text) { return {text, {}}; }

struct Golden {
  std::string name;
  Action action;
  std::string stored;  // json::dump() of the stored form
};

std::vector<Golden> goldens() {
  std::vector<Golden> out;
  GithubAction workflow;
  workflow.connection = "app";
  workflow.repo = "acme/ios";
  workflow.workflow = "submit.yml";
  workflow.ref = t("release/{{version}}");
  workflow.inputs = {{"build", t("{{build}}")}, {"notes", t("from {{event.type}}")}};
  out.push_back({"github workflow_dispatch", workflow,
                 R"json({"client_payload":null,"connection":"app","event_type":null,"inputs":{"build":"{{build}}","notes":"from {{event.type}}"},"kind":"github","ref":"release/{{version}}","repo":"acme/ios","workflow":"submit.yml"})json"});
  GithubAction dispatch;
  dispatch.repo = "acme/ios";
  dispatch.event_type = t("asc-{{event.type}}");
  dispatch.client_payload = json{{"state", "{{new_state}}"}, {"n", 3}, {"list", {"a", "{{app}}"}}};
  dispatch.enrich_required = true;
  out.push_back({"github repository_dispatch", dispatch,
                 R"json({"client_payload":{"list":["a","{{app}}"],"n":3,"state":"{{new_state}}"},"connection":"default","enrich":"required","event_type":"asc-{{event.type}}","inputs":{},"kind":"github","ref":null,"repo":"acme/ios","workflow":null})json"});
  SlackAction slack;
  slack.connection = "bot";
  slack.channel = t("#ios-releases");
  slack.text = t("{{app}} {{version}} is {{new_state}}");
  slack.blocks = json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "*{{app}}*"}}}}});
  slack.thread_per_instance = true;
  slack.update_parent = true;
  out.push_back({"slack", slack,
                 R"json({"blocks":[{"text":{"text":"*{{app}}*","type":"mrkdwn"},"type":"section"}],"channel":"#ios-releases","connection":"bot","kind":"slack","text":"{{app}} {{version}} is {{new_state}}","thread_per_instance":true,"update_parent":true})json"});
  SlackAction hook;
  hook.connection = "hook";
  out.push_back({"slack built-in", hook,
                 R"json({"blocks":null,"channel":null,"connection":"hook","kind":"slack","text":null,"thread_per_instance":false,"update_parent":false})json"});
  JiraAction jira;
  jira.jql = t("fixVersion = \"{{version}}\"");
  jira.transition = t("Done");
  jira.comment = t("Released {{version}}");
  jira.release_version = JiraReleaseVersion{t("MOB"), t("{{version}}")};
  out.push_back({"jira", jira,
                 R"json({"comment":"Released {{version}}","connection":"default","jql":"fixVersion = \"{{version}}\"","kind":"jira","release_version":{"name":"{{version}}","project":"MOB"},"transition":"Done"})json"});
  HttpAction http;
  http.url = t("https://ci.example.com/hook?e={{event.id}}");
  http.method = "PUT";
  http.headers = {{"X-Event", t("{{event.type}}")}};
  http.body = t("{\"c\": \"{{comment}}\"}");
  http.body_json_escaped = true;
  out.push_back({"http", http,
                 R"json({"body":"{\"c\": \"{{comment}}\"}","body_escape":"json","connection":null,"headers":{"X-Event":"{{event.type}}"},"kind":"http","method":"PUT","url":"https://ci.example.com/hook?e={{event.id}}"})json"});
  HttpAction raw;
  raw.connection = "sink";
  out.push_back({"http raw event", raw,
                 R"json({"body":null,"body_escape":"none","connection":"sink","headers":{},"kind":"http","method":"POST","url":null})json"});
  TeamsAction teams;
  teams.connection = "ios";
  teams.text = t("{{app}} {{new_state}}");
  out.push_back({"teams", teams,
                 R"json({"connection":"ios","kind":"teams","text":"{{app}} {{new_state}}"})json"});
  DiscordAction discord;
  discord.connection = "ios";
  out.push_back({"discord built-in", discord,
                 R"json({"connection":"ios","kind":"discord","text":null})json"});
  GitlabAction gitlab;
  gitlab.project = "mobile/ios";
  gitlab.ref = t("release/{{version}}");
  gitlab.variables = {{"BUILD", t("{{build}}")}};
  out.push_back({"gitlab", gitlab,
                 R"json({"connection":"default","kind":"gitlab","project":"mobile/ios","ref":"release/{{version}}","variables":{"BUILD":"{{build}}"}})json"});
  return out;
}

TEST(StoredAction, EveryKindIsStoredAsBefore) {
  for (const auto& g : goldens()) {
    const json stored = g.action;
    EXPECT_EQ(stored.dump(), g.stored) << g.name;
  }
}

TEST(StoredAction, EveryStoredFormDecodesToTheSameAction) {
  for (const auto& g : goldens()) {
    const auto decoded = json::parse(g.stored).get<Action>();
    EXPECT_EQ(kind_of(decoded), kind_of(g.action)) << g.name;
    EXPECT_EQ(json(decoded).dump(), g.stored) << g.name;
  }
}

// Forms stored before a key existed: an http action before body_escape, any
// action before enrich.
TEST(StoredAction, FormsFromBeforeAKeyExistedStillDecode) {
  const auto http = json::parse(R"({"kind":"http","connection":null,"url":"https://x/{{event.id}}","method":"POST","headers":{},"body":null})")
                        .get<Action>();
  ASSERT_TRUE(std::holds_alternative<HttpAction>(http));
  EXPECT_FALSE(std::get<HttpAction>(http).body_json_escaped);
  EXPECT_FALSE(enrich_required(http));
  EXPECT_EQ(std::get<HttpAction>(http).url->text, "https://x/{{event.id}}");
}

}  // namespace
}  // namespace asc_webhookd::config
