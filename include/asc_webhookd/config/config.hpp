#pragma once
// The whole configuration of DESIGN.md §4 as plain, immutable values. The
// loader (loader.hpp) builds one Config from YAML; everything else in the
// daemon reads a `std::shared_ptr<const Config>` and never sees YAML.
#include "asc_webhookd/core/net_address.hpp"
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

struct SourcePos {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

// A string that is a Mustache template, kept with where it was written so the
// template compiler can report errors at the right line.
struct Template {
  std::string text;
  SourcePos pos;
};

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

// Links a webhook to Apple's (the apple commands, reconcile).
struct AppleLink {
  std::string app_id;      // the app's Apple ID
  std::string webhook_id;  // Apple's webhook id ("" until `apple setup` made one)
};

struct WebhookConfig {
  std::string name;
  Secret secret;
  std::vector<Secret> previous_secrets;
  std::string app_name;
  std::optional<AppleLink> apple;
};

struct GithubAppAuth {
  std::int64_t app_id = 0;
  std::int64_t installation_id = 0;
  Secret private_key;
};

struct GithubConnection {
  std::optional<Secret> token;
  std::optional<GithubAppAuth> app;
  std::string api_url = "https://api.github.com";
};

struct SlackConnection {
  std::optional<Secret> webhook_url;  // the URL is the credential
  std::optional<Secret> bot_token;
  std::string api_url = "https://slack.com/api";
};

enum class JiraFlavor { automatic, cloud, datacenter };

struct JiraConnection {
  std::string base_url;
  std::string email;
  std::optional<Secret> api_token;
  std::optional<Secret> bearer_token;
  JiraFlavor flavor = JiraFlavor::automatic;
};

struct HttpHeader {
  std::string name;
  Secret value;  // header values may carry keys; never logged
};

struct HttpConnection {
  Secret url;
  std::vector<HttpHeader> headers;
};

// A Teams Workflows webhook ("When a Teams webhook request is received"):
// the URL, with its SAS signature, is the credential (outbound-apis.md §7).
// `envelope: message` (default) wraps the Adaptive Card in the message
// envelope Microsoft documents; `card` posts the bare card, for flows that
// read the body as the card.
struct TeamsConnection {
  Secret webhook_url;
  bool bare_card = false;
};

// A Discord webhook: https://discord.com/api/webhooks/ID/TOKEN (§8).
struct DiscordConnection {
  Secret webhook_url;
};

// A GitLab pipeline trigger token and the instance's API (§9).
struct GitlabConnection {
  Secret trigger_token;
  std::string api_url = "https://gitlab.com/api/v4";
};

struct Connections {
  std::map<std::string, GithubConnection> github;
  std::map<std::string, SlackConnection> slack;
  std::map<std::string, JiraConnection> jira;
  std::map<std::string, HttpConnection> http;
  std::map<std::string, TeamsConnection> teams;
  std::map<std::string, DiscordConnection> discord;
  std::map<std::string, GitlabConnection> gitlab;
};

// One `when:` value: absent or "*" matches anything, else one of the values.
struct Match {
  std::vector<std::string> values;  // empty = any
  bool matches(std::string_view v) const;
  bool matches_state(const std::optional<std::string>& v) const;  // absent state matches only "any"
};

struct When {
  Match webhook;
  Match event;
  Match from;
  Match to;
};

struct GithubAction {
  std::string connection = "default";
  std::string repo;  // owner/name
  // workflow_dispatch
  std::optional<std::string> workflow;
  std::optional<Template> ref;
  std::map<std::string, Template> inputs;
  // repository_dispatch
  std::optional<Template> event_type;
  std::optional<nlohmann::json> client_payload;  // string leaves are templates
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

struct SlackAction {
  std::string connection;
  std::optional<Template> channel;
  std::optional<Template> text;
  std::optional<nlohmann::json> blocks;  // string leaves are templates
  bool thread_per_instance = false;
  bool update_parent = false;
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

struct JiraReleaseVersion {
  Template project;
  Template name;
};

struct JiraAction {
  std::string connection = "default";
  Template jql;
  std::optional<Template> transition;
  std::optional<Template> comment;
  std::optional<JiraReleaseVersion> release_version;
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

struct HttpAction {
  std::optional<std::string> connection;
  std::optional<Template> url;
  std::string method = "POST";
  std::map<std::string, Template> headers;
  std::optional<Template> body;  // absent: the raw event JSON as received
  // body_escape: json — every {{value}} in `body` is escaped for a JSON
  // string literal (a quote in a tester's comment cannot end the string),
  // and the rendered body must parse as JSON.
  bool body_json_escaped = false;
  bool enrich_required = false;  // enrich: required — a failed lookup keeps retrying (never runs without instance)
  SourcePos pos;
};

// Teams and Discord: `text` replaces the built-in card/embed with that text.
struct TeamsAction {
  std::string connection;
  std::optional<Template> text;
  bool enrich_required = false;
  SourcePos pos;
};

struct DiscordAction {
  std::string connection;
  std::optional<Template> text;
  bool enrich_required = false;
  SourcePos pos;
};

struct GitlabAction {
  std::string connection = "default";
  std::string project;  // numeric id or group/name (percent-encoded on the wire)
  Template ref{"main", {}};
  std::map<std::string, Template> variables;
  bool enrich_required = false;
  SourcePos pos;
};

using Action = std::variant<GithubAction, SlackAction, JiraAction, HttpAction, TeamsAction, DiscordAction, GitlabAction>;

// GitHub's limits on a dispatch (outbound-apis.md §1), checked at load where
// the values are written out and at send time where they are rendered.
struct GithubLimits {
  static constexpr std::size_t max_workflow_inputs = 25;  // github.com since 2025-12
  static constexpr std::size_t max_client_payload_keys = 10;
  static constexpr std::size_t max_client_payload_bytes = 64 * 1024;
  static constexpr std::size_t max_event_type = 100;
};

// The form an action is stored in with its job (JSON; found by ADL, so
// nlohmann::json(action) and j.get<Action>() work). Connections are kept by
// name: credentials are looked up in the live config when the job runs.
// from_json throws nlohmann::json::exception on a malformed value.
void to_json(nlohmann::json& j, const GithubAction& a);
void to_json(nlohmann::json& j, const SlackAction& a);
void to_json(nlohmann::json& j, const JiraAction& a);
void to_json(nlohmann::json& j, const HttpAction& a);
void to_json(nlohmann::json& j, const TeamsAction& a);
void to_json(nlohmann::json& j, const DiscordAction& a);
void to_json(nlohmann::json& j, const GitlabAction& a);
void to_json(nlohmann::json& j, const Action& a);
void from_json(const nlohmann::json& j, GithubAction& a);
void from_json(const nlohmann::json& j, SlackAction& a);
void from_json(const nlohmann::json& j, JiraAction& a);
void from_json(const nlohmann::json& j, HttpAction& a);
void from_json(const nlohmann::json& j, TeamsAction& a);
void from_json(const nlohmann::json& j, DiscordAction& a);
void from_json(const nlohmann::json& j, GitlabAction& a);
void from_json(const nlohmann::json& j, Action& a);

// "github", "slack", "jira", "http", "teams", "discord" or "gitlab": the
// `kind` of a stored action.
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
