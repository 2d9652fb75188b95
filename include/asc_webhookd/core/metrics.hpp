#pragma once
// Prometheus metrics: counters, gauges and histograms with fixed label sets,
// rendered in the text exposition format (version 0.0.4). Thread-safe; cheap
// enough for the request path (one mutex, no allocation for known series).
// Label values must be low-cardinality: never event ids.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace asc_webhookd::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Registry {
public:
  static Registry& global();

  void inc(const std::string& name, const Labels& labels = {}, double by = 1);
  void set(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double value);

  // Declares a metric's help text, type and (for histograms) buckets.
  void describe(const std::string& name, const std::string& type, const std::string& help,
                std::vector<double> buckets = {});
  // Called at every scrape to refresh gauges (store counts, process stats).
  void on_scrape(std::function<void(Registry&)> f);

  std::string render();
  void reset();  // tests

private:
  struct Histogram {
    std::vector<std::uint64_t> counts;  // per bucket, cumulative at render
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct Family {
    std::string type = "untyped";
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, double> values;
    std::map<Labels, Histogram> histograms;
  };
  std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Registry&)>> scrapers_;
};

// The daemon's own metric families (docs/operating.md, "Metrics"), described once.
void describe_standard(Registry& r);
// process_* series from /proc/self.
void update_process_metrics(Registry& r);

}  // namespace asc_webhookd::metrics
