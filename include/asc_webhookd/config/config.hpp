#pragma once
// The whole configuration (docs/configuration.md) as plain, immutable values. The
// loader (loader.hpp) builds one Config from YAML; everything else in the
// daemon reads a `std::shared_ptr<const Config>` and never sees YAML.
#include "asc_webhookd/config/values.hpp"
#include "asc_webhookd/core/net_address.hpp"
#include "asc_webhookd/integrations/kinds.hpp"
#include "asc_webhookd/core/secret.hpp"
#include "asc_webhookd/core/units.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/common.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace asc_webhookd::config {

using namespace std::chrono_literals;

struct TlsConfig {
  std::string cert_file;
  std::string key_file;
};

struct ServerConfig {
  std::vector<ListenAddress> listen{{"127.0.0.1", 8080}};
  std::optional<TlsConfig> tls;
  std::uint64_t max_body = 1024 * 1024;
  Duration header_timeout = 10s;
  Duration body_timeout = 30s;
  Duration idle_timeout = 60s;
  std::size_t max_connections = 1024;
  std::vector<Cidr> trusted_proxies = {*Cidr::parse("127.0.0.1/32"), *Cidr::parse("::1/128")};
  std::optional<Secret> admin_token;            // enables /api and /ui
  std::optional<ListenAddress> admin_listen;    // set: /api and /ui only there (plain HTTP), never on `listen`
  unsigned io_threads = 0;  // 0: one per hardware thread
};

struct StoreConfig {
  std::string path;  // resolved default: $STATE_DIRECTORY/state.db, else ./asc-webhookd.db
  // Set: the PostgreSQL database several replicas share, instead of `path`
  // (a libpq URI; it may hold a password, so it is a Secret).
  std::optional<Secret> url;
  Duration retention = 30 * 24h;
};

// Reconciling with Apple's delivery log: a pass at start, then every
// `interval` (0: off), each asking back at least `window` (≤ 10 days, Apple's
// limit, and ≤ store.retention, or pruned events would come back).
struct ReconcileConfig {
  Duration interval = 10min;
  Duration window = 3 * 24h;
};
inline constexpr Duration kAppleDeliveryLogLimit = 10 * 24h;

struct DeliveryConfig {
  unsigned concurrency = 8;
  unsigned max_attempts = 12;
  Duration initial_backoff = 5s;
  Duration max_backoff = 30min;
  Duration max_age = 48h;
  Duration timeout = 15s;
  // After a ticket create whose outcome is unknown (timeout, cut connection,
  // 5xx), how long before the destination is searched for the submission's
  // marker: Jira's and GitHub's searches lag behind creates.
  Duration ticket_search_lag = 60s;
};

struct LogConfig {
  spdlog::level::level_enum level = spdlog::level::info;
  bool json = false;
};

struct AppStoreConnectConfig {
  std::optional<std::string> issuer_id;  // absent: an individual key (sub: user)
  std::string key_id;
  Secret private_key;                    // PEM text of the .p8
  std::string base_url = "https://api.appstoreconnect.apple.com";
  // Tries of a lookup failing transiently (timeout, 5xx, 429) before the
  // action runs without `instance`; a permanent failure gives up at once.
  unsigned enrich_attempts = 3;
};

// apple.reviews: poll the app's customer reviews (apple/review_poll).
struct ReviewPolling {
  Duration interval = 15min;              // a pass at start, then every interval (at least 1m)
  Duration backfill = 48h;                // how far back the very first pass reaches
  std::vector<std::string> territories;   // Apple's alpha-3 codes; empty: every territory
};
inline constexpr Duration kMinReviewInterval = 1min;

// Links a webhook to Apple's (the apple commands, reconcile, reviews).
struct AppleLink {
  std::string app_id;      // the app's Apple ID
  std::string webhook_id;  // Apple's webhook id ("" until `apple setup` made one)
  std::string url;         // the public URL Apple must call ("": not checked), exactly as Apple keeps it
  std::optional<ReviewPolling> reviews;
};

struct WebhookConfig {
  std::string name;
  Secret secret;
  std::vector<Secret> previous_secrets;
  std::string app_name;
  std::optional<AppleLink> apple;
};

// One `when:` value: absent or "*" matches anything, else one of the values.
struct Match {
  std::vector<std::string> values;  // empty = any
  bool matches(std::string_view v) const;
  bool matches_state(const std::optional<std::string>& v) const;  // absent state matches only "any"
};

// `when.rating`: one number, a list, or a bound ("<=2", ">=4"), kept as
// the set of ratings 1..5 it allows.
struct RatingMatch {
  std::vector<int> values;  // empty = any
  bool matches(std::optional<int> rating) const;  // an event without a rating matches only "any"
};

struct When {
  Match webhook;
  Match event;
  Match from;
  Match to;
  // Customer reviews (customerReviewCreated); an event without a review
  // matches these only when they are not set.
  RatingMatch rating;
  Match territory;
  std::optional<bool> has_response;
};

// The `kind` of a stored action (its integration's name).
// The form an action is stored in with its job (JSON; found by ADL, so
// nlohmann::json(action) and j.get<Action>() work): each integration writes
// its own (integrations/<kind>/), with "kind" naming it. Connections are kept
// by name: credentials are looked up in the live config when the job runs.
// from_json throws nlohmann::json::exception on a malformed value.
void to_json(nlohmann::json& j, const Action& a);
void from_json(const nlohmann::json& j, Action& a);

std::string kind_of(const Action& action);
// `enrich: required` on the action (any kind).
bool enrich_required(const Action& action);
// Whether `pred` holds for the text of any of the action's templates (a
// tree's — client_payload, blocks — as its JSON text).
bool any_template(const Action& action, const std::function<bool(const std::string&)>& pred);

struct Rule {
  std::string name;
  When when;
  bool stop = false;
  std::vector<Action> actions;
  SourcePos pos;
};

struct Config {
  std::string source_path;
  ServerConfig server;
  StoreConfig store;
  ReconcileConfig reconcile;
  DeliveryConfig delivery;
  LogConfig log;
  std::optional<AppStoreConnectConfig> app_store_connect;
  std::vector<WebhookConfig> webhooks;
  Connections connections;
  std::vector<Rule> rules;

  const WebhookConfig* find_webhook(std::string_view name) const;

  // The rules that may match an event of `type`, as indexes into `rules` in
  // file order: those naming that type, and those for any type. Planning
  // walks only these, so thousands of rules for other types cost nothing.
  const std::vector<std::size_t>& rules_for_type(std::string_view type) const;
  // Builds that index; the loader calls it once `rules` is complete.
  void index_rules();

private:
  std::map<std::string, std::vector<std::size_t>, std::less<>> rules_by_type_;
  std::vector<std::size_t> rules_any_type_;
};

}  // namespace asc_webhookd::config
