// /metrics in the Prometheus text format, checked by a strict parser, and
// counters that move with what the daemon does.
#include "asc_webhookd/ingest/signature.hpp"

#include "support/fake_http.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace asc_webhookd::test {
namespace {

struct Exposition {
  std::map<std::string, std::string> types;   // family → type
  std::map<std::string, double> samples;      // "name{labels}" → value
};

// Strict enough to catch what Prometheus would reject: every sample belongs
// to a family declared by # TYPE before it, names and labels are well formed,
// values parse, histogram buckets are cumulative and end in +Inf = _count.
Exposition parse_strict(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN))");
  Exposition e;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (line.rfind("# HELP", 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, m, help)) << "line " << n << ": " << line;
      continue;
    }
    if (line.rfind("# TYPE", 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, m, type)) << "line " << n << ": " << line;
      if (!m.empty()) {
        EXPECT_TRUE(e.types.emplace(m[1], m[2]).second) << "family declared twice: " << m[1];
      }
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample)) << "line " << n << ": " << line;
    if (m.empty()) continue;
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (!e.types.count(family) && family.size() > std::strlen(suffix) &&
          family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
        family = family.substr(0, family.size() - std::strlen(suffix));
    EXPECT_TRUE(e.types.count(family)) << "sample before its # TYPE: " << line;
    std::string value = m[7];
    e.samples[name + std::string(m[2])] = value == "+Inf" ? INFINITY : std::stod(value);
  }
  EXPECT_FALSE(text.empty() || text.back() != '\n') << "exposition must end with a newline";
  // Histograms: buckets non-decreasing in le order, and +Inf equals _count.
  static const std::regex le_re(R"re(,?le="([^"]*)")re");
  for (const auto& [family, t] : e.types) {
    if (t != "histogram") continue;
    std::map<std::string, std::map<double, double>> per_series;  // labels without le → le → count
    for (const auto& [key, v] : e.samples) {
      if (key.rfind(family + "_bucket{", 0) != 0) continue;
      std::smatch lm;
      EXPECT_TRUE(std::regex_search(key, lm, le_re)) << key;
      double le = lm[1] == "+Inf" ? INFINITY : std::stod(lm[1]);
      std::string series = std::regex_replace(key.substr(family.size() + 7), le_re, "");
      per_series[series][le] = v;
    }
    for (const auto& [series, buckets] : per_series) {
      double last = 0;
      for (const auto& [le, count] : buckets) {
        EXPECT_GE(count, last) << family << series << " le=" << le;
        last = count;
      }
      EXPECT_TRUE(buckets.count(INFINITY)) << family << series;
      if (!buckets.count(INFINITY)) continue;
      std::string count_key = family + "_count" + (series == "{}" ? "" : series);
      EXPECT_EQ(buckets.at(INFINITY), e.samples.at(count_key)) << count_key;
    }
  }
  return e;
}

std::string scrape(std::uint16_t port) {
  RawClient c(port);
  c.send(make_request("GET", "/metrics"));
  auto r = c.read_response();
  EXPECT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return r->body;
}

double value(const Exposition& e, const std::string& key) {
  auto it = e.samples.find(key);
  return it == e.samples.end() ? 0 : it->second;
}

TEST(Metrics, ParseStrictlyAndCountersMove) {
  FakeHttpServer fake;
  TestServer server(basic_config("", "rules:\n  - name: fwd\n    when: { event: webhookPingCreated }\n    actions:\n"
                                     "      - http: { url: \"" + fake.url("/x") + "\" }\n"));
  auto before = parse_strict(scrape(server.port()));
  EXPECT_EQ(before.types.at("asc_webhookd_http_requests_total"), "counter");
  EXPECT_EQ(before.types.at("asc_webhookd_attempt_duration_seconds"), "histogram");
  EXPECT_EQ(value(before, "asc_webhookd_build_info{version=\"" ASC_WEBHOOKD_VERSION "\"}"), 1);

  std::string body = R"({"data":{"type":"webhookPingCreated","id":"metrics-1","version":1}})";
  for (const char* secret : {"s3cret", "wrong"}) {
    RawClient c(server.port());
    c.send(make_request("POST", "/webhooks/app", body, {{"x-apple-signature", ingest::sign(secret, body)}}));
    ASSERT_TRUE(c.read_response());
  }
  ASSERT_TRUE(fake.wait_for(1));
  Exposition after;
  const std::string attempts = R"(asc_webhookd_attempts_total{kind="http",outcome="done"})";
  for (int i = 0; i < 200 && value(after, attempts) < value(before, attempts) + 1; ++i) {  // recorded just after the answer
    after = parse_strict(scrape(server.port()));
    if (value(after, attempts) < value(before, attempts) + 1) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(value(after, attempts) - value(before, attempts), 1);
  const std::string durations = R"(asc_webhookd_attempt_duration_seconds_count{kind="http"})";
  EXPECT_EQ(value(after, durations) - value(before, durations), 1);  // the registry is process-wide: compare deltas
  const std::string accepted = R"(asc_webhookd_events_total{webhook="app",type="webhookPingCreated",outcome="accepted"})";
  const std::string refused = R"(asc_webhookd_events_total{webhook="app",type="-",outcome="invalid_signature"})";
  EXPECT_EQ(value(after, accepted) - value(before, accepted), 1);
  EXPECT_EQ(value(after, refused) - value(before, refused), 1);
  const std::string ok = R"(asc_webhookd_http_requests_total{route="/webhooks",code="200"})";
  const std::string unauthorized = R"(asc_webhookd_http_requests_total{route="/webhooks",code="401"})";
  EXPECT_EQ(value(after, ok) - value(before, ok), 1);
  EXPECT_EQ(value(after, unauthorized) - value(before, unauthorized), 1);
  // The previous scrape itself was counted.
  EXPECT_GE(value(after, R"(asc_webhookd_http_requests_total{route="/metrics",code="200"})"), 1);
  // Never a per-event label.
  EXPECT_EQ(scrape(server.port()).find("metrics-1"), std::string::npos);
}

}  // namespace
}  // namespace asc_webhookd::test
