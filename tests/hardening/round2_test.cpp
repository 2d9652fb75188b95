// The second hostile trial's defects, one test each, written to fail on the
// behaviour the trial found: one address's silent connections locking every
// client out (D1), CLI reads holding the store's write lock (D3), a FIFO,
// socket or device as a secret or the config (D4), the console, API and CLI
// acting on another event than the one shown (D5), and the small ones.
// (D2, a record that fails, is Delivery.AFailedRecordIsWrittenAgainNotSentAgain.)
#include "asc_webhookd/ingest/signature.hpp"
#include "asc_webhookd/store/sqlite_store.hpp"

#include "support/daemon.hpp"
#include "support/fake_http.hpp"
#include "support/pipeline.hpp"
#include "support/raw_client.hpp"
#include "support/store_calls.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

extern char** environ;

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
const char* kSecret = "round2-secret";
const char* kToken = "round2-admin-token";

std::string config_text(const TempDir& dir, const std::string& server_extra, const std::string& rest = "rules: []\n",
                        const std::string& secret = kSecret) {
  return "server:\n  listen: 127.0.0.1:0\n" + server_extra + "store:\n  path: " + dir.file("state.db") +
         "\nwebhooks:\n  - name: app\n    secret: " + secret + "\n" + rest;
}

std::string signed_post(const std::string& body) {
  return make_request("POST", "/webhooks/app", body, {{"x-apple-signature", ingest::sign(kSecret, body)}});
}

TEST(HostileRound2, D1TwelveHundredSilentConnectionsFromOneAddressLockNobodyElseOut) {
  TempDir dir;
  // The default max_connections (1024): the address's share is 128.
  Daemon d({"--config", dir.write("c.yaml", config_text(dir, "  trusted_proxies: []\n"))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  std::vector<int> silent;
  // Source ports below the ephemeral range: 1,200 of the kernel's picks
  // could take the port another test running beside this one just chose.
  for (int i = 0; i < 1200; ++i) {
    const int fd = connect_from("127.0.0.2", port, static_cast<std::uint16_t>(20000 + i));
    ASSERT_GE(fd, 0) << "connection " << i;
    silent.push_back(fd);
  }
  // Every signed POST from the two other addresses is answered 200 while the
  // 1,200 stay open (before the fix: 503 for every one of them).
  int ok = 0, answered = 0;
  for (int i = 0; i < 20; ++i) {
    for (const char* from : {"127.0.0.1", "127.0.0.3"}) {
      const int fd = connect_from(from, port);
      ASSERT_GE(fd, 0);
      const std::string id = std::string("d1-") + from + "-" + std::to_string(i);
      const std::string answer = exchange_once(fd, signed_post(upload_event(id)));
      ::close(fd);
      answered += !answer.empty();
      ok += answer.rfind("HTTP/1.1 200", 0) == 0;
    }
  }
  EXPECT_EQ(answered, 40);
  EXPECT_EQ(ok, 40) << d.log().substr(0, 4000);
  // The address itself still gets its share answered, and the rest 503 or closed.
  const int extra = connect_from("127.0.0.2", port);
  const std::string refused = exchange_once(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(refused.empty() || refused.find(" 503 ") != std::string::npos) << refused;
  ::close(extra);
  for (int fd : silent) ::close(fd);
}

// Fills a store with `n` events through the store itself (group commit).
void fill_store(const std::string& path, int n) {
  auto st = store::SqliteStore::open({path, ""});
  ASSERT_TRUE(st) << st.error().message;
  std::vector<std::future<store::StoreResult<store::Ingested>>> pending;
  for (int i = 0; i < n; ++i) {
    auto p = std::make_shared<std::promise<store::StoreResult<store::Ingested>>>();
    pending.push_back(p->get_future());
    store::NewEvent e;
    e.webhook = "app";
    e.event.id = "fill-" + std::to_string(i);
    e.event.type_name = "buildUploadStateUpdated";
    e.event.raw = upload_event(e.event.id);
    e.received_at_ms = 1'700'000'000'000 + i;
    (*st)->ingest_async(std::move(e), [p](store::StoreResult<store::Ingested> r) { p->set_value(std::move(r)); });
  }
  for (auto& f : pending) ASSERT_TRUE(test::accepted(f.get()));
}

TEST(HostileRound2, D3AListingFromTheCliNeverTakesTheStoresWriteLock) {
  TempDir dir;
  const std::string cfg = dir.write("c.yaml", config_text(dir, ""));
  fill_store(dir.file("state.db"), 20000);
  // Another connection (the daemon's place) asks for the write lock without
  // waiting, over and over, while the CLI lists every event. Before the fix
  // the CLI's open (a TRUNCATE checkpoint) and its listing (inside BEGIN
  // IMMEDIATE) held that lock: some of these tries found it taken.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("state.db").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 0);
  std::atomic<bool> done{false};
  std::atomic<int> tries{0}, busy{0};
  std::thread prober([&] {
    while (!done) {
      const int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      ++tries;
      if (rc == SQLITE_OK) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      else ++busy;
    }
  });
  CommandResult listing;
  for (int round = 0; round < 3; ++round) listing = run_binary({"events", "--limit", "1000000", "--config", cfg});
  done = true;
  prober.join();
  sqlite3_close(db);
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  EXPECT_EQ(std::count(listing.out.begin(), listing.out.end(), '\n'), 20001);  // the header and every event
  EXPECT_GT(tries.load(), 100);
  EXPECT_EQ(busy.load(), 0) << "of " << tries.load() << " tries";
}

// A FIFO, a socket and a character device, each where a file is expected.
struct OddFiles {
  std::string fifo, socket, device = "/dev/zero";
  int socket_fd = -1;
  explicit OddFiles(const TempDir& dir) : fifo(dir.file("fifo")), socket(dir.file("sock")) {
    ::mkfifo(fifo.c_str(), 0600);
    socket_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket.c_str());
    ::bind(socket_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~OddFiles() { ::close(socket_fd); }
};

TEST(HostileRound2, D4AFifoSocketOrDeviceAsASecretOrTheConfigIsRefusedByName) {
  TempDir dir;
  OddFiles odd(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {odd.fifo, "it is a FIFO (named pipe), not a regular file"},
      {odd.socket, "it is a socket, not a regular file"},
      {odd.device, "it is a character device, not a regular file"}};
  for (const auto& [path, why] : cases) {
    // As a secret: check-config answers at once (it used to hang on the FIFO).
    auto secret = run_binary({"check-config", "--config",
                              dir.write("secret.yaml", config_text(dir, "", "rules: []\n", "${file:" + path + "}"))});
    EXPECT_EQ(secret.exit_code, 1) << path;
    EXPECT_NE(secret.err.find("cannot read " + path + ": " + why), std::string::npos) << secret.err;
    // As the configuration itself.
    auto config = run_binary({"check-config", "--config", path});
    EXPECT_EQ(config.exit_code, 1) << path;
    EXPECT_NE(config.err.find(path), std::string::npos) << config.err;
    EXPECT_NE(config.err.find(why), std::string::npos) << config.err;
  }
}

TEST(HostileRound2, D4AFifoInPlaceOfTheSecretFileDoesNotHangReload) {
  TempDir dir;
  const std::string secret_file = dir.write("secret", kSecret);
  // One io thread: the reload used to block it, and with it every request.
  Daemon d({"--config", dir.write("c.yaml", config_text(dir, "  io_threads: 1\n", "rules: []\n",
                                                         "${file:" + secret_file + "}"))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  // SIGHUP only once its handler is installed (after "listening"; before it, SIGHUP ends the process).
  ASSERT_TRUE(d.wait_log("app: started")) << d.log();
  ::unlink(secret_file.c_str());
  ASSERT_EQ(::mkfifo(secret_file.c_str(), 0600), 0);
  d.signal(SIGHUP);
  ASSERT_TRUE(d.wait_log("reload failed")) << d.log();
  EXPECT_NE(d.log().find("cannot read " + secret_file + ": it is a FIFO (named pipe), not a regular file"), std::string::npos)
      << d.log();
  RawClient c(port);
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto health = c.read_response(std::chrono::seconds(5));
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // Still serving with the previous secret.
  EXPECT_EQ(post_signed(port, "app", upload_event("d4-after"), kSecret).status, 200);
}

// A daemon with the console on, one rule to a sink, and a second webhook.
struct ConsoleDaemon {
  TempDir dir;
  FakeHttpServer sink;
  std::unique_ptr<Daemon> daemon;
  std::uint16_t port = 0;
  std::string cfg;
  ConsoleDaemon() {
    cfg = dir.write("c.yaml", "server:\n  listen: 127.0.0.1:0\n  admin_token: " + std::string(kToken) +
                                  "\nstore:\n  path: " + dir.file("state.db") + "\nwebhooks:\n  - name: app\n    secret: " +
                                  kSecret + "\n  - name: other\n    secret: " + kSecret +
                                  "\nconnections:\n  http:\n    sink: { url: \"" + sink.url("/sink") +
                                  "\" }\nrules:\n  - name: forward\n    when: { event: buildUploadStateUpdated }\n"
                                  "    actions:\n      - http: { connection: sink }\n");
    daemon = std::make_unique<Daemon>(std::vector<std::string>{"--config", cfg});
    port = daemon->wait_listening();
  }
  RawResponse call(const std::string& method, const std::string& target) {
    RawClient c(port);
    c.send(make_request(method, target, "", {{"Authorization", std::string("Bearer ") + kToken}}));
    auto r = c.read_response();
    return r ? *r : RawResponse{};
  }
};

TEST(HostileRound2, D5AnIdThatLooksLikeASeqIsTheStoredIdNeverAnotherEvent) {
  ConsoleDaemon rig;
  ASSERT_NE(rig.port, 0) << rig.daemon->log();
  for (int i = 1; i <= 6; ++i)
    ASSERT_EQ(post_signed(rig.port, "app", upload_event("plain-" + std::to_string(i), "u-" + std::to_string(i)), kSecret).status, 200);
  ASSERT_EQ(post_signed(rig.port, "app", upload_event("#5", "u-hash"), kSecret).status, 200);  // seq 7
  ASSERT_TRUE(rig.sink.wait_for(7));
  auto shown = json::parse(rig.call("GET", "/api/v1/events/%235").body);
  EXPECT_EQ(shown["id"], "#5");
  EXPECT_EQ(shown["seq"], 7);
  // Replay acts on the event shown (seq 7), not on seq 5.
  auto replay = rig.call("POST", "/api/v1/events/%235/replay");
  ASSERT_EQ(replay.status, 200) << replay.body;
  ASSERT_TRUE(rig.sink.wait_for(8));
  EXPECT_NE(rig.sink.requests().back().body.find("u-hash"), std::string::npos) << rig.sink.requests().back().body;
  EXPECT_EQ(json::parse(rig.call("GET", "/api/v1/events/7?by=seq").body)["jobs"].size(), 2u);
  EXPECT_EQ(json::parse(rig.call("GET", "/api/v1/events/5?by=seq").body)["jobs"].size(), 1u);
  // The CLI reads it the same way.
  auto cli = run_binary({"event", "show", "#5", "--config", rig.cfg});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(json::parse(cli.out)["seq"], 7);
  // A seq that is nobody's data.id still names that event.
  EXPECT_EQ(json::parse(rig.call("GET", "/api/v1/events/%236").body)["id"], "plain-6");
}

TEST(HostileRound2, D5AnIdOnTwoWebhooksIsRefusedListingBothAndActedOnBySeq) {
  ConsoleDaemon rig;
  ASSERT_NE(rig.port, 0) << rig.daemon->log();
  ASSERT_EQ(post_signed(rig.port, "app", upload_event("shared-1", "u-a"), kSecret).status, 200);    // seq 1
  ASSERT_EQ(post_signed(rig.port, "other", upload_event("shared-1", "u-b"), kSecret).status, 200);  // seq 2
  ASSERT_TRUE(rig.sink.wait_for(2));
  for (const char* action : {"", "/retry", "/replay"}) {
    auto r = rig.call(*action ? "POST" : "GET", std::string("/api/v1/events/shared-1") + action);
    EXPECT_EQ(r.status, 409) << action << " " << r.body;
    EXPECT_NE(r.body.find("event id shared-1 names 2 events: #2 (webhook other, buildUploadStateUpdated), #1 (webhook app"),
              std::string::npos)
        << r.body;
  }
  for (const char* cmd : {"show", "retry", "replay"}) {
    auto cli = run_binary({"event", cmd, "shared-1", "--config", rig.cfg});
    EXPECT_EQ(cli.exit_code, 1) << cmd;
    EXPECT_NE(cli.err.find("names 2 events: #2"), std::string::npos) << cli.err;
  }
  EXPECT_EQ(rig.sink.count(), 2u);  // nothing was replayed
  // By seq, as the console does: exactly that one.
  auto first = json::parse(rig.call("GET", "/api/v1/events/1?by=seq").body);
  EXPECT_EQ(first["webhook"], "app");
  auto replay = rig.call("POST", "/api/v1/events/1/replay?by=seq");
  ASSERT_EQ(replay.status, 200) << replay.body;
  ASSERT_TRUE(rig.sink.wait_for(3));
  EXPECT_NE(rig.sink.requests().back().body.find("u-a"), std::string::npos);
  EXPECT_EQ(rig.call("GET", "/api/v1/events/x1?by=seq").status, 400);
}

TEST(HostileRound2, D11CliAnswersSayWhatIsSo) {
  ConsoleDaemon rig;
  ASSERT_NE(rig.port, 0) << rig.daemon->log();
  ASSERT_EQ(post_signed(rig.port, "app", upload_event("d11-1"), kSecret).status, 200);
  ASSERT_TRUE(rig.sink.wait_for(1));
  auto negative = run_binary({"events", "--limit", "-1", "--config", rig.cfg});
  EXPECT_EQ(negative.exit_code, 2);
  EXPECT_NE(negative.err.find("--limit must be a whole number"), std::string::npos) << negative.err;
  auto nosuch = run_binary({"event", "retry", "nosuch", "--config", rig.cfg});
  EXPECT_EQ(nosuch.exit_code, 1);
  EXPECT_NE(nosuch.err.find("no event nosuch"), std::string::npos) << nosuch.err;
  auto huge = run_binary({"job", "retry", "9200000000000000000", "--config", rig.cfg});
  EXPECT_EQ(huge.exit_code, 1);
  EXPECT_NE(huge.err.find("no job 9200000000000000000"), std::string::npos) << huge.err;
  ASSERT_TRUE(rig.daemon->wait_log("outcome=done"));
  auto done = run_binary({"job", "retry", "1", "--config", rig.cfg});
  EXPECT_EQ(done.exit_code, 1);
  EXPECT_NE(done.err.find("job 1 is done"), std::string::npos) << done.err;
  EXPECT_EQ(done.err.find("#1"), std::string::npos) << done.err;  // no unrelated event named
}

}  // namespace
}  // namespace asc_webhookd::test

namespace asc_webhookd::test {
namespace {

std::vector<int> delays_logged(const std::string& log) {
  std::vector<int> out;
  for (std::size_t p = 0; (p = log.find("delayed_ms=", p)) != std::string::npos; p += 11) out.push_back(std::atoi(log.c_str() + p + 11));
  return out;
}

TEST(HostileRound2, D6TheConsoleSlowdownHoldsAcrossForgedForwardedForAndParallelTries) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_text(dir, "  admin_token: " + std::string(kToken) +
                                                                "\n  trusted_proxies: [127.0.0.1]\n"))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  auto wrong = [&](const std::string& xff) {
    RawClient c(port);
    c.send(make_request("GET", "/api/v1/events", "", {{"Authorization", "Bearer wrong-token-0000000"}, {"X-Forwarded-For", xff}}));
    auto r = c.read_response(std::chrono::seconds(30));
    return r ? r->status : 0;
  };
  // A new client address per try, all through the trusted proxy: after the
  // proxy's allowance (30), its answers wait too.
  for (int i = 0; i < 32; ++i) ASSERT_EQ(wrong("203.0.113." + std::to_string(i + 1)), 401);
  ASSERT_TRUE(d.wait_log("remote=203.0.113.32"));
  auto delays = delays_logged(d.log());
  ASSERT_EQ(delays.size(), 32u);
  EXPECT_EQ(delays[0], 0);
  EXPECT_GT(delays[31], 0) << d.log();  // before: 0, every address was new
  // Three tries at once from one address past its free three: they wait one
  // after the other (before: each waited the same 250 ms, side by side).
  for (int i = 0; i < 3; ++i) ASSERT_EQ(wrong("198.51.100.7"), 401);
  std::vector<std::thread> parallel;
  for (int i = 0; i < 3; ++i) parallel.emplace_back([&] { EXPECT_EQ(wrong("198.51.100.7"), 401); });
  for (auto& t : parallel) t.join();
  delays = delays_logged(d.log());
  ASSERT_EQ(delays.size(), 38u);
  std::vector<int> last(delays.end() - 3, delays.end());
  std::sort(last.begin(), last.end());
  EXPECT_LT(last[0], last[1]) << d.log();
  EXPECT_LT(last[1], last[2]) << d.log();
}

TEST(HostileRound2, D7AHeadAnswerHasNoBody) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_text(dir, "  admin_token: " + std::string(kToken) + "\n"))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  for (const char* target : {"/healthz", "/ui/", "/webhooks/app"}) {
    RawClient c(port);
    // HEAD, then a GET on the same connection: the GET's answer must follow
    // the HEAD's header at once (a body in between would be read as garbage).
    ASSERT_TRUE(c.send(std::string("HEAD ") + target + " HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(c.wait_closed());
    const std::string bytes = c.unread();
    const auto head_end = bytes.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << bytes;
    EXPECT_NE(bytes.substr(0, head_end).find("Content-Length: "), std::string::npos) << bytes;
    EXPECT_EQ(bytes.compare(head_end + 4, 12, "HTTP/1.1 200"), 0) << target << ":\n" << bytes;
  }
}

TEST(HostileRound2, D8TheBearerSchemeIsCaseInsensitive) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_text(dir, "  admin_token: " + std::string(kToken) + "\n"))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  for (const char* scheme : {"Bearer", "bearer", "BEARER"}) {
    RawClient c(port);
    c.send(make_request("GET", "/api/v1/stats", "", {{"Authorization", std::string(scheme) + " " + kToken}}));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << scheme;
  }
}

TEST(HostileRound2, D9AYamlAliasBombIsRefusedQuickly) {
  TempDir dir;
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'h'; ++level) {
    const char prev = static_cast<char>(level - 1);
    bomb += std::string(1, level) + ": &" + level + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
  }
  auto r = run_binary({"check-config", "--config", dir.write("bomb.yaml", config_text(dir, "") + "x-bomb:\n  " + [&] {
    std::string indented;
    for (char c : bomb) indented += c == '\n' ? std::string("\n  ") : std::string(1, c);
    return indented;
  }())});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("expands to more than 100000 YAML nodes"), std::string::npos) << r.err;
}

TEST(HostileRound2, D10ReadyzIsNotReadyWhenTheStoresVolumeIsFull) {
  TempDir dir;
  const std::string small = dir.file("small");
  std::filesystem::create_directories(small);
  if (std::system("unshare -m true 2>/dev/null") != 0) GTEST_SKIP() << "no mount namespace here (needs root and unshare)";
  const std::string cfg = dir.write("c.yaml", "server:\n  listen: 127.0.0.1:0\nstore:\n  path: " + small +
                                                  "/state.db\nwebhooks: [{name: app, secret: " + kSecret + "}]\nrules: []\n");
  // A 4 MiB tmpfs in the daemon's own mount namespace, filled 2 s after it starts.
  Daemon d(Daemon::Program{"/usr/bin/unshare"},
           {"-m", "sh", "-c", "mount -t tmpfs -o size=4m tmpfs " + small + " && (sleep 2; dd if=/dev/zero of=" + small +
                                  "/fill bs=64k 2>/dev/null) & exec " + ASC_WEBHOOKD_BINARY + " serve --config " + cfg});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  std::optional<RawResponse> ready;
  for (int i = 0; i < 300; ++i) {  // up to 30 s: a loaded machine starts the filler late
    RawClient c(port);
    c.send("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    ready = c.read_response();
    if (ready && ready->status == 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("bytes free on the store's volume"), std::string::npos) << ready->body;
}

TEST(HostileRound2, D12TheConsoleOnThePublicAddressOrInClearIsSaid) {
  TempDir dir;
  const std::string token = "  admin_token: " + std::string(kToken) + "\n";
  auto same = run_binary({"check-config", "--config",
                          dir.write("same.yaml", "server:\n  listen: 127.0.0.1:8080\n" + token +
                                                     "  admin_listen: 127.0.0.1:8080\nwebhooks: [{name: app, secret: " +
                                                     kSecret + "}]\nrules: []\n")});
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_NE(same.err.find("server.admin_listen (127.0.0.1:8080) must differ from server.listen"), std::string::npos) << same.err;
  auto clear = run_binary({"check-config", "--config",
                           dir.write("clear.yaml", "server:\n  listen: 0.0.0.0:8080\n" + token +
                                                       "webhooks: [{name: app, secret: " + kSecret + "}]\nrules: []\n")});
  EXPECT_EQ(clear.exit_code, 0) << clear.err;
  EXPECT_NE(clear.err.find("served over plain HTTP on 0.0.0.0:8080"), std::string::npos) << clear.err;
  auto local = run_binary({"check-config", "--config",
                           dir.write("local.yaml", "server:\n  listen: 0.0.0.0:8080\n" + token +
                                                       "  admin_listen: 127.0.0.1:9090\nwebhooks: [{name: app, secret: " +
                                                       kSecret + "}]\nrules: []\n")});
  EXPECT_EQ(local.exit_code, 0) << local.err;
  EXPECT_EQ(local.err.find("plain HTTP"), std::string::npos) << local.err;
}

TEST(HostileRound2, D13StatesNumbersAndInvisibleCharactersAreBounded) {
  TempDir dir;
  Daemon d({"--config", dir.write("c.yaml", config_text(dir, ""))});
  const auto port = d.wait_listening();
  ASSERT_NE(port, 0) << d.log();
  auto long_state = post_signed(port, "app", upload_event("d13-1", "u-1", std::string(200, 'S')), kSecret);
  EXPECT_EQ(long_state.status, 400);
  EXPECT_NE(long_state.body.find("new state is longer than 128 characters"), std::string::npos) << long_state.body;
  const std::string huge_number = R"({"data":{"type":"webhookPingCreated","id":"n","version":1)" + std::string(500000, '9') + "}}";
  auto number = post_signed(port, "app", huge_number, kSecret);
  EXPECT_EQ(number.status, 400);
  EXPECT_LT(number.body.size(), 1000u) << number.body.size();
  // 256 two-byte characters are 256 characters (512 bytes); 257 are too many.
  std::string e256;
  for (int i = 0; i < 256; ++i) e256 += "\xc3\xa9";
  EXPECT_EQ(post_signed(port, "app", R"({"data":{"type":"webhookPingCreated","id":")" + e256 + R"("}})", kSecret).status, 200);
  EXPECT_EQ(post_signed(port, "app", R"({"data":{"type":"webhookPingCreated","id":")" + e256 + "\xc3\xa9" + R"("}})", kSecret).status, 400);
  // U+202E (right-to-left override) and U+2028 (line separator) in an id are escaped in the log.
  EXPECT_EQ(post_signed(port, "app", R"({"data":{"type":"webhookPingCreated","id":"rtl-)" "\xe2\x80\xae" "x-\xe2\x80\xa8" R"(-y"}})", kSecret).status, 200);
  ASSERT_TRUE(d.wait_log("rtl-\\u202ex-\\u2028-y")) << d.log().substr(0, 2000);
  EXPECT_EQ(d.log().find("\xe2\x80\xae"), std::string::npos);
  EXPECT_EQ(d.log().find(std::string(1000, '9')), std::string::npos);
}

}  // namespace
}  // namespace asc_webhookd::test
