// core/metrics: counters, gauges and histograms in Prometheus' text format.
#include "asc_webhookd/core/metrics.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::metrics {
namespace {

bool has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(Metrics, CountersGaugesAndHistogramsRender) {
  Registry r;
  r.describe("t_requests_total", "counter", "Requests.");
  r.describe("t_jobs", "gauge", "Jobs.");
  r.describe("t_seconds", "histogram", "Durations.", {0.1, 1});
  r.inc("t_requests_total", {{"route", "/webhooks"}, {"code", "200"}});
  r.inc("t_requests_total", {{"route", "/webhooks"}, {"code", "200"}}, 2);
  r.set("t_jobs", {{"state", "dead"}}, 3);
  r.set("t_jobs", {{"state", "dead"}}, 1);  // a gauge is set, not added
  r.observe("t_seconds", {}, 0.05);
  r.observe("t_seconds", {}, 0.5);
  r.observe("t_seconds", {}, 5);
  const std::string text = r.render();
  EXPECT_TRUE(has(text, "# HELP t_requests_total Requests.")) << text;
  EXPECT_TRUE(has(text, "# TYPE t_requests_total counter")) << text;
  EXPECT_TRUE(has(text, R"(t_requests_total{route="/webhooks",code="200"} 3)")) << text;
  EXPECT_TRUE(has(text, R"(t_jobs{state="dead"} 1)")) << text;
  EXPECT_TRUE(has(text, "# TYPE t_seconds histogram")) << text;
  EXPECT_TRUE(has(text, R"(t_seconds_bucket{le="0.1"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(t_seconds_bucket{le="1"} 2)")) << text;
  EXPECT_TRUE(has(text, R"(t_seconds_bucket{le="+Inf"} 3)")) << text;
  EXPECT_TRUE(has(text, "t_seconds_count 3")) << text;
}

TEST(Metrics, LabelValuesAreEscaped) {
  Registry r;
  r.inc("t_events_total", {{"type", "a\"b\\c\nd"}});
  EXPECT_NE(r.render().find(R"(t_events_total{type="a\"b\\c\nd"} 1)"), std::string::npos) << r.render();
}

TEST(Metrics, ScrapersRunAtEachRender) {
  Registry r;
  int n = 0;
  r.on_scrape([&](Registry& reg) { reg.set("t_scrapes", {}, ++n); });
  r.render();
  EXPECT_TRUE(has(r.render(), "t_scrapes 2"));
}

}  // namespace
}  // namespace asc_webhookd::metrics
