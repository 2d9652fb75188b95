#include "asc_webhookd/core/metrics.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace asc_webhookd::metrics {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string labels_text(const Labels& labels, const std::string& extra_key = "", const std::string& extra_value = "") {
  if (labels.empty() && extra_key.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    out += k + "=\"" + escape(v) + "\"";
    first = false;
  }
  if (!extra_key.empty()) {
    if (!first) out += ",";
    out += extra_key + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream ss;
  ss.precision(15);
  ss << v;
  return ss.str();
}

}  // namespace

Registry& Registry::global() {
  static Registry r;
  return r;
}

void Registry::inc(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mutex_);
  families_[name].values[labels] += by;
}

void Registry::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  families_[name].values[labels] = value;
}

void Registry::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  auto& h = f.histograms[labels];
  if (h.counts.size() != f.buckets.size()) h.counts.assign(f.buckets.size(), 0);
  for (std::size_t i = 0; i < f.buckets.size(); ++i)
    if (value <= f.buckets[i]) ++h.counts[i];
  h.sum += value;
  ++h.count;
}

void Registry::describe(const std::string& name, const std::string& type, const std::string& help,
                        std::vector<double> buckets) {
  std::lock_guard lock(mutex_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
  f.buckets = std::move(buckets);
}

void Registry::on_scrape(std::function<void(Registry&)> f) {
  std::lock_guard lock(mutex_);
  scrapers_.push_back(std::move(f));
}

void Registry::reset() {
  std::lock_guard lock(mutex_);
  families_.clear();
  scrapers_.clear();
}

std::string Registry::render() {
  std::vector<std::function<void(Registry&)>> scrapers;
  {
    std::lock_guard lock(mutex_);
    scrapers = scrapers_;
  }
  for (auto& s : scrapers) s(*this);
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, f] : families_) {
    if (!f.help.empty()) out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    if (f.type == "histogram") {
      for (const auto& [labels, h] : f.histograms) {
        for (std::size_t i = 0; i < f.buckets.size(); ++i)
          out += name + "_bucket" + labels_text(labels, "le", number(f.buckets[i])) + " " + std::to_string(h.counts[i]) + "\n";
        out += name + "_bucket" + labels_text(labels, "le", "+Inf") + " " + std::to_string(h.count) + "\n";
        out += name + "_sum" + labels_text(labels) + " " + number(h.sum) + "\n";
        out += name + "_count" + labels_text(labels) + " " + std::to_string(h.count) + "\n";
      }
    } else {
      for (const auto& [labels, v] : f.values) out += name + labels_text(labels) + " " + number(v) + "\n";
    }
  }
  return out;
}

void describe_standard(Registry& r) {
  const std::vector<double> latency{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  const std::vector<double> lag{0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400};
  r.describe("asc_webhookd_http_requests_total", "counter", "HTTP requests answered, by route and status code.");
  r.describe("asc_webhookd_connections_dropped_total", "counter",
             "Connections closed unanswered: over their address's share, or the server full, with as many refusals (503) already open.");
  r.describe("asc_webhookd_events_total", "counter", "Webhook events received, by webhook, type and outcome.");
  r.describe("asc_webhookd_attempts_total", "counter", "Delivery attempts, by action kind and outcome.");
  r.describe("asc_webhookd_record_failures_total", "counter",
             "Attempt records that could not be written (each is retried from memory until it is durable).");
  r.describe("asc_webhookd_attempt_duration_seconds", "histogram", "Duration of delivery attempts.", latency);
  r.describe("asc_webhookd_event_to_action_seconds", "histogram",
             "Time from receiving an event to its action being done.", lag);
  r.describe("asc_webhookd_jobs", "gauge", "Jobs in the store, by state.");
  r.describe("asc_webhookd_asc_api_calls_total", "counter", "App Store Connect API calls, by HTTP status (or error).");
  r.describe("asc_webhookd_asc_api_rate_limit_remaining", "gauge", "Requests left this hour for the API key (X-Rate-Limit user-hour-rem).");
  r.describe("asc_webhookd_asc_api_rate_limit", "gauge", "The API key's hourly request limit (X-Rate-Limit user-hour-lim).");
  r.describe("asc_webhookd_reconcile_passes_total", "counter", "Reconcile passes over Apple's delivery log, by webhook and outcome (ok, rate_limited, error).");
  r.describe("asc_webhookd_reconciled_events_total", "counter", "Events found in Apple's delivery log that were not stored here, now stored.");
  r.describe("asc_webhookd_reconcile_last_success_timestamp_seconds", "gauge", "When the last complete reconcile pass of the webhook listed Apple's log.");
  r.describe("asc_webhookd_apple_webhook_healthy", "gauge", "1 while Apple's webhook is healthy (exists, enabled, right URL and event types, deliveries not failing), else 0.");
  r.describe("asc_webhookd_config_reloads_total", "counter", "Configuration reloads, by result.");
  r.describe("asc_webhookd_build_info", "gauge", "Build information.");
  r.describe("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  r.describe("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  r.describe("process_open_fds", "gauge", "Number of open file descriptors.");
  r.describe("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
  r.set("asc_webhookd_build_info", {{"version", ASC_WEBHOOKD_VERSION}}, 1);
  static const double start = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  r.set("process_start_time_seconds", {}, std::floor(start));
}

void update_process_metrics(Registry& r) {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (statm >> pages_total >> pages_resident)
    r.set("process_resident_memory_bytes", {}, static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    auto close = line.rfind(')');
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    std::vector<std::string> fields;
    while (rest >> field) fields.push_back(field);
    // After "pid (comm) ": state is field 0; utime and stime are fields 11 and 12.
    if (fields.size() > 12) {
      double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      r.set("process_cpu_seconds_total", {}, (std::stod(fields[11]) + std::stod(fields[12])) / ticks);
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) ++fds;
  r.set("process_open_fds", {}, static_cast<double>(fds));
}

}  // namespace asc_webhookd::metrics
