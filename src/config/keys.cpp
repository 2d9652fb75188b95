// The keys of each section. Those of connections.<kind> and
// rules[].actions[].<kind> are each integration's own (the registry's).
#include "asc_webhookd/config/keys.hpp"

#include "asc_webhookd/integrations/registry.hpp"

#include <vector>

namespace asc_webhookd::config {

namespace {

using K = std::string_view;

constexpr K kTop[] = {"server", "store", "reconcile", "delivery", "log", "app_store_connect", "webhooks", "connections", "rules"};
constexpr K kServer[] = {"listen",          "tls",           "max_body",   "header_timeout", "body_timeout",
                         "idle_timeout",    "max_connections", "trusted_proxies", "admin_token", "admin_listen", "io_threads"};
constexpr K kTls[] = {"cert_file", "key_file"};
constexpr K kStore[] = {"path", "url", "retention"};
constexpr K kReconcile[] = {"interval", "window"};
constexpr K kDelivery[] = {"concurrency", "max_attempts", "initial_backoff", "max_backoff", "max_age", "timeout", "ticket_search_lag"};
constexpr K kLog[] = {"level", "format"};
constexpr K kAsc[] = {"issuer_id", "key_id", "private_key", "base_url", "enrich_attempts"};
constexpr K kWebhook[] = {"name", "secret", "previous_secrets", "app_name", "apple"};
constexpr K kAppleLink[] = {"app_id", "webhook_id", "url", "reviews"};
constexpr K kReviews[] = {"interval", "backfill", "territories"};
constexpr K kRule[] = {"name", "when", "stop", "actions"};
constexpr K kWhen[] = {"webhook", "event", "from", "to", "rating", "territory", "has_response"};

struct Table {
  std::vector<K> kinds;  // the keys of `connections` and of an action: the integrations
  std::vector<SectionKeys> sections;
};

bool under(K path, K prefix) { return path.substr(0, prefix.size()) == prefix; }

Table build() {
  Table t;
  for (const auto& i : integrations::all()) t.kinds.push_back(i.kind);
  t.sections = {{"", kTop},          {"server", kServer},   {"server.tls", kTls},
                {"store", kStore},   {"reconcile", kReconcile}, {"delivery", kDelivery},
                {"log", kLog},       {"app_store_connect", kAsc}, {"webhooks[]", kWebhook},
                {"webhooks[].apple", kAppleLink}, {"webhooks[].apple.reviews", kReviews},
                {"connections", t.kinds}};
  for (const auto& i : integrations::all())
    for (const auto& s : i.sections)
      if (under(s.path, "connections.")) t.sections.push_back(s);
  t.sections.push_back({"rules[]", kRule});
  t.sections.push_back({"rules[].when", kWhen});
  t.sections.push_back({"rules[].actions[]", t.kinds});
  for (const auto& i : integrations::all())
    for (const auto& s : i.sections)
      if (under(s.path, "rules[].actions[].")) t.sections.push_back(s);
  return t;
}

const Table& table() {
  static const Table t = build();
  return t;
}

}  // namespace

std::span<const SectionKeys> config_sections() { return table().sections; }

std::span<const std::string_view> keys_of(std::string_view path) {
  for (const auto& s : table().sections)
    if (s.path == path) return s.keys;
  return {};
}

}  // namespace asc_webhookd::config
