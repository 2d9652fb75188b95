// Recovering from mistakes, through the real binary and its store file:
// replay after a config fix, an exact job retry, alerts that survive a
// failed App Store Connect lookup (a revoked key), a fresh lookup per event,
// and the operator commands on a server (no secrets, no store created).
#include "asc_webhookd/event/event.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_asc.hpp"
#include "support/fake_github.hpp"
#include "support/fake_http.hpp"
#include "support/fake_slack.hpp"
#include "support/keys.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <filesystem>
#include <map>
#include <thread>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kEnv{{"HOOK_SECRET", "recovery-secret"}};
const char* const kIssuer = kAscIssuer;
const char* const kKid = kAscKeyId;

// The daemon as a process, on a config in a temp dir, with its store file.
struct Running {
  TempDir dir;
  std::string config_path;
  std::unique_ptr<Daemon> daemon;
  std::uint16_t port = 0;
  std::unique_ptr<store::SqliteStore> reader;

  explicit Running(const std::string& rest) {
    config_path = dir.write("config.yaml", head() + rest);
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", config_path}, kEnv);
    port = daemon->wait_listening();
    auto opened = store::SqliteStore::open({dir.file("state.db"), ""});
    if (opened) reader = std::move(*opened);
  }
  std::string head() const {
    return "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + dir.file("state.db") +
           "\ndelivery:\n  initial_backoff: 100ms\n  max_backoff: 200ms\nwebhooks:\n  - name: ios-app\n"
           "    secret: ${env:HOOK_SECRET}\n    app_name: Acme iOS\n";
  }
  void rewrite(const std::string& rest) const { dir.write("config.yaml", head() + rest); }
  int post(const std::string& body) const { return post_signed(port, "ios-app", body, "recovery-secret").status; }
  std::optional<store::EventView> settled_event(const std::string& id) const { return wait_event(*reader, id, settled); }
  CommandResult cli(std::vector<std::string> args) const {
    args.push_back("--config");
    args.push_back(config_path);
    return run_binary(args, kEnv);
  }
};

std::string linked_upload_event(const std::string& id, const std::string& upload, const std::string& from, const std::string& to) {
  return R"({"data":{"type":"buildUploadStateUpdated","id":")" + id + R"(","version":1,"attributes":{"oldState":")" + from +
         R"(","newState":")" + to + R"("},"relationships":{"instance":{"data":{"type":"buildUploads","id":")" + upload +
         R"("},"links":{"self":"https://api.appstoreconnect.apple.com/v1/buildUploads/)" + upload + R"("}}}}})";
}

std::string asc_section(const std::string& key_file, const FakeAsc& asc) {
  return std::string("app_store_connect:\n  issuer_id: ") + kIssuer + "\n  key_id: " + kKid + "\n  private_key: \"${file:" +
         key_file + "}\"\n  base_url: " + asc.base_url() + "\n  enrich_attempts: 2\n";
}

TEST(Recovery, ReplayAfterAConfigFixDeliversTheNewRequestAndLeavesTheDeadJob) {
  FakeGithub github;
  github.add_token("ghp_recoverytoken");
  github.add_repo("acme/ios-app", {{"submit.yml", {{"version", "build"}, {"version"}}}});
  auto rules = [&](const std::string& input) {
    return "connections:\n  github:\n    default: { token: ghp_recoverytoken, api_url: \"" + github.api_url() +
           "\" }\nrules:\n  - name: submit\n    when: { event: buildUploadStateUpdated, to: COMPLETE }\n    actions:\n"
           "      - github: { repo: acme/ios-app, workflow: submit.yml, ref: main, inputs: { " + input +
           ": \"{{event.instance.id}}\" } }\n";
  };
  Running d(rules("verison"));  // the typo GitHub refuses with 422
  ASSERT_NE(d.port, 0) << d.daemon->log();
  ASSERT_EQ(d.post(linked_upload_event("rp-1", "u-1", "PROCESSING", "COMPLETE")), 200);
  auto dead = d.settled_event("rp-1");
  ASSERT_TRUE(dead);
  ASSERT_EQ(dead->jobs.size(), 1u);
  ASSERT_EQ(dead->jobs[0].state, "dead") << dead->jobs[0].last_error;
  EXPECT_EQ(dead->jobs[0].attempt_log.at(0).http_status, 422);

  // `job retry` sends the same wrong input again: the job keeps its action.
  d.rewrite(rules("version"));
  d.daemon->signal(SIGHUP);
  ASSERT_TRUE(d.daemon->wait_log("configuration reloaded")) << d.daemon->log();
  auto replay = d.cli({"event", "replay", "rp-1"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.out.find("1 new job"), std::string::npos) << replay.out;
  const std::string new_id = std::to_string(dead->jobs[0].id + 1);
  EXPECT_NE(replay.out.find("job " + new_id + "\trule submit\tgithub"), std::string::npos) << replay.out;

  auto after = wait_event(*d.reader, "rp-1", [](const store::EventView& e) { return e.jobs.size() == 2 && settled(e); });
  ASSERT_TRUE(after);
  EXPECT_EQ(after->jobs[0].state, "dead");  // the old job as it was, with its attempt
  EXPECT_EQ(after->jobs[0].attempt_log.size(), 1u);
  EXPECT_NE(after->jobs[0].action_json.find("verison"), std::string::npos);
  EXPECT_EQ(after->jobs[1].state, "done") << after->jobs[1].last_error;
  auto sent = github.dispatches();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["body"]["inputs"], (json{{"version", "u-1"}}));
  // What the new attempt sent is on record, its token masked.
  const std::string record = after->jobs[1].attempt_log.at(0).sent;
  const json exchanges = json::parse(record);
  ASSERT_EQ(exchanges.size(), 1u) << record;
  EXPECT_EQ(exchanges[0]["method"], "POST");
  EXPECT_EQ(exchanges[0]["url"], github.api_url() + "/repos/acme/ios-app/actions/workflows/submit.yml/dispatches") << record;
  EXPECT_EQ(json::parse(exchanges[0]["body"].get<std::string>())["inputs"]["version"], "u-1") << record;
  EXPECT_EQ(record.find("ghp_recoverytoken"), std::string::npos) << record;
  auto shown = d.cli({"event", "show", "rp-1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(json::parse(shown.out)["jobs"][0]["attempt_log"][0]["exchanges"][0]["answer"]["status"], 422) << shown.out;
  EXPECT_EQ(shown.out.find("ghp_recoverytoken"), std::string::npos);

  auto missing = d.cli({"event", "replay", "no-such-event"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no event no-such-event"), std::string::npos) << missing.err;
}

TEST(Recovery, JobRetryOfAnIdThatIsAlsoAnEventSeqTouchesOnlyThatJob) {
  FakeHttpServer refuses([](const FakeRequest&) { return FakeResponse{400, {}, "bad request", {}}; });
  // Two actions per event: event #1 has jobs 1 and 2, event #2 jobs 3 and 4.
  Running d("rules:\n  - name: forward\n    actions:\n      - http: { url: \"" + refuses.url("/a") + "\" }\n"
            "      - http: { url: \"" + refuses.url("/b") + "\" }\n");
  ASSERT_NE(d.port, 0) << d.daemon->log();
  ASSERT_EQ(d.post(linked_upload_event("jr-1", "u-1", "PROCESSING", "COMPLETE")), 200);
  ASSERT_EQ(d.post(linked_upload_event("jr-2", "u-2", "PROCESSING", "COMPLETE")), 200);
  auto first = d.settled_event("jr-1");
  auto second = d.settled_event("jr-2");
  ASSERT_TRUE(first && second);
  ASSERT_EQ(second->seq, 2);
  ASSERT_EQ(first->jobs.at(1).id, 2);  // job 2, and event #2
  for (const auto* e : {&*first, &*second})
    for (const auto& j : e->jobs) ASSERT_EQ(j.state, "dead");
  ASSERT_TRUE(refuses.wait_for(4));

  auto retried = d.cli({"job", "retry", "2"});
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out, "requeued 1 job\n");
  auto again = wait_event(*d.reader, "jr-1", [](const store::EventView& e) {
    return e.jobs.at(1).attempt_log.size() == 2 && settled(e);
  });
  ASSERT_TRUE(again) << d.daemon->log();
  EXPECT_EQ(again->jobs.at(0).attempt_log.size(), 1u);  // the other job of that event: untouched
  auto other = d.settled_event("jr-2");
  ASSERT_TRUE(other);
  for (const auto& j : other->jobs) EXPECT_EQ(j.attempt_log.size(), 1u) << "job " << j.id << " of event #2 was retried";
  EXPECT_EQ(refuses.count(), 5u);
}

// A revoked key: the fake verifies against another key, so every lookup is
// answered 401, as Apple does.
TEST(Recovery, ARevokedKeyStillPostsTheAlertSayingTheDetailsAreUnavailable) {
  TempDir keys;
  const auto signing = make_p256_key();
  const auto other = make_p256_key();
  const std::string key_file = keys.write("AuthKey.p8", signing.private_pem);
  FakeAsc asc(other.public_pem, kKid, kIssuer);
  FakeSlack slack;
  Running d(asc_section(key_file, asc) + "connections:\n  slack:\n    hook: { webhook_url: \"" + slack.webhook_url() +
            "\" }\nrules:\n  - name: upload-failed\n    when: { event: buildUploadStateUpdated, to: FAILED }\n    actions:\n"
            "      - slack: { connection: hook }\n"
            "      - slack: { connection: hook, enrich: required, text: \"strict {{instance.attributes.cfBundleVersion}}\" }\n");
  ASSERT_NE(d.port, 0) << d.daemon->log();
  ASSERT_EQ(d.post(linked_upload_event("rk-1", "u-9", "PROCESSING", "FAILED")), 200);
  auto ev = d.settled_event("rk-1");
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->jobs.size(), 2u);
  EXPECT_EQ(ev->jobs[0].state, "done") << ev->jobs[0].last_error;
  EXPECT_EQ(ev->jobs[0].attempt_log.size(), 1u);  // 401 is permanent: no waiting for enrich_attempts
  EXPECT_NE(ev->jobs[0].attempt_log[0].detail.find("answered 401"), std::string::npos) << ev->jobs[0].attempt_log[0].detail;
  EXPECT_EQ(ev->jobs[1].state, "dead");  // enrich: required does not post without the details
  EXPECT_NE(ev->jobs[1].last_error.find("401"), std::string::npos) << ev->jobs[1].last_error;

  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), 1u);
  const std::string text = posts[0].dump();
  EXPECT_NE(text.find("Details from App Store Connect are unavailable: App Store Connect API answered 401"),
            std::string::npos) << text;
  EXPECT_NE(text.find("revoked"), std::string::npos) << text;
  EXPECT_EQ(text.find("strict"), std::string::npos);
  EXPECT_TRUE(d.daemon->wait_log("App Store Connect lookup failed")) << d.daemon->log();
  RawClient client(d.port);
  ASSERT_TRUE(client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto metrics = client.read_response();
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("asc_webhookd_enrich_failures_total{reason=\"401\"} 2"), std::string::npos) << metrics->body;
}

TEST(Recovery, TwoEventsForOneUploadGetTwoLookupsAndTheSecondMessageTheSecondAnswer) {
  TempDir keys;
  const auto key = make_p256_key();
  const std::string key_file = keys.write("AuthKey.p8", key.private_pem);
  FakeAsc asc(key.public_pem, kKid, kIssuer);
  FakeSlack slack;
  auto upload = [](const std::string& state, json errors) {
    return json{{"data",
                 {{"type", "buildUploads"},
                  {"id", "u-7"},
                  {"attributes",
                   {{"cfBundleShortVersionString", "2.0"}, {"cfBundleVersion", "41"}, {"state", {{"state", state}, {"errors", errors}}}}}}}};
  };
  asc.serve("/v1/buildUploads/u-7", upload("PROCESSING", json::array()));
  Running d(asc_section(key_file, asc) + "connections:\n  slack:\n    hook: { webhook_url: \"" + slack.webhook_url() +
            "\" }\nrules:\n  - name: uploads\n    when: { event: buildUploadStateUpdated }\n    actions:\n"
            "      - slack: { connection: hook }\n");
  ASSERT_NE(d.port, 0) << d.daemon->log();
  ASSERT_EQ(d.post(linked_upload_event("fr-1", "u-7", "AWAITING_UPLOAD", "PROCESSING")), 200);
  ASSERT_TRUE(d.settled_event("fr-1"));
  // A second later Apple's answer has changed: the upload failed.
  asc.serve("/v1/buildUploads/u-7",
            upload("FAILED", json::array({{{"code", "90062"}, {"description", "The value for key CFBundleVersion must be higher."}}})));
  std::this_thread::sleep_for(1s);
  ASSERT_EQ(d.post(linked_upload_event("fr-2", "u-7", "PROCESSING", "FAILED")), 200);
  auto second = d.settled_event("fr-2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->jobs.at(0).state, "done") << second->jobs.at(0).last_error;
  EXPECT_EQ(asc.gets().size(), 2u);
  auto posts = slack.webhook_posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].dump().find("CFBundleVersion must be higher"), std::string::npos);
  // The notification text itself carries Apple's error.
  EXPECT_NE(posts[1]["text"].get<std::string>().find("ITMS-90062: The value for key CFBundleVersion must be higher."),
            std::string::npos) << posts[1].dump();
}

TEST(Recovery, OperatorCommandsNeedNoSecretAndNeverCreateAStore) {
  TempDir dir;
  const std::string store_path = dir.file("state.db");
  const std::string cfg = dir.write(
      "config.yaml", "store:\n  path: " + store_path +
                         "\nwebhooks:\n  - name: ios-app\n    secret: ${credential:webhook_secret}\nconnections:\n  github:\n"
                         "    default: { token: \"${env:UNSET_GITHUB_TOKEN}\" }\nrules: []\n");
  auto missing = run_binary({"events", "--config", cfg});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no store at " + store_path), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(store_path));
  for (auto args : std::vector<std::vector<std::string>>{{"event", "show", "x"}, {"job", "retry", "1"}, {"event", "retry", "x"}}) {
    args.insert(args.end(), {"--config", cfg});
    EXPECT_EQ(run_binary(args).exit_code, 1) << args[0];
  }
  EXPECT_FALSE(std::filesystem::exists(store_path));

  {  // a store the service made (here: opened once, with one event)
    auto st = store::SqliteStore::open({store_path, ""});
    ASSERT_TRUE(st);
    auto ev = event::decode_event(linked_upload_event("op-1", "u-1", "PROCESSING", "COMPLETE"));
    ASSERT_TRUE(ev);
    ASSERT_TRUE(test::accepted(test::ingest(**st, {"ios-app", *ev, {}, 1000})));
    auto ping = event::decode_event(R"({"data":{"type":"webhookPingCreated","id":"op-ping","version":1,"attributes":{}}})");
    ASSERT_TRUE(ping) << ping.error().message;
    ASSERT_TRUE(test::accepted(test::ingest(**st, {"ios-app", *ping, {}, 2000})));
  }
  auto listed = run_binary({"events", "--config", cfg});  // neither secret resolves here
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("op-1"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\tPROCESSING->COMPLETE\top-1\twebhook\n"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("\twebhookPingCreated\t-\top-ping\twebhook\n"), std::string::npos) << listed.out;  // not "-->-"
  EXPECT_TRUE(listed.err.empty()) << listed.err;

  // As on a server: no store.path, the service's $STATE_DIRECTORY.
  const std::string bare = dir.write("bare.yaml", "webhooks:\n  - name: ios-app\n    secret: ${credential:s}\nrules: []\n");
  auto by_state_dir = run_binary({"events", "--config", bare}, {{"STATE_DIRECTORY", dir.path().string()}});
  EXPECT_EQ(by_state_dir.exit_code, 0) << by_state_dir.err;
  EXPECT_NE(by_state_dir.out.find("op-1"), std::string::npos);

  // check-config outside the service: the credential is named, not fatal.
  auto checked = run_binary({"check-config", "--config", bare});
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_NE(checked.err.find("${credential:s} not checked here"), std::string::npos) << checked.err;
}

TEST(Recovery, CheckConfigSaysDidYouMeanForAStateTypo) {
  TempDir dir;
  const std::string cfg = dir.write(
      "c.yaml", "webhooks:\n  - name: ios-app\n    secret: ${env:HOOK_SECRET}\nrules:\n  - name: failed\n"
                "    when: { event: buildUploadStatUpdated, to: FAILD }\n    actions:\n      - http: { url: \"https://example.com/x\" }\n");
  auto r = run_binary({"check-config", "--config", cfg}, kEnv);
  EXPECT_EQ(r.exit_code, 0) << r.err;  // accepted: Apple adds values
  EXPECT_NE(r.err.find("6:48: warning: rule failed: when.to \"FAILD\" is not a state Apple documents (did you mean FAILED?)"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(did you mean buildUploadStateUpdated?)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace asc_webhookd::test
