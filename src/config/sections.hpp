#pragma once
// Internal to the config loader: one function per top-level section.
#include "asc_webhookd/config/yaml_reader.hpp"

namespace asc_webhookd::config::detail {

void load_server(YamlReader& r, const YAML::Node& node, ServerConfig& out);
void warn_plain_http_console(YamlReader& r, const YAML::Node& node, const ServerConfig& out);
void load_store(YamlReader& r, const YAML::Node& node, const Environment& env, StoreConfig& out);
void load_delivery(YamlReader& r, const YAML::Node& node, DeliveryConfig& out);
void load_log(YamlReader& r, const YAML::Node& node, LogConfig& out);
void load_app_store_connect(YamlReader& r, const YAML::Node& node, std::optional<AppStoreConnectConfig>& out);
void load_webhooks(YamlReader& r, const YAML::Node& node, std::vector<WebhookConfig>& out);
void load_connections(YamlReader& r, const YAML::Node& node, Connections& out);
// Needs webhooks and connections loaded first: rules refer to them by name.
void load_rules(YamlReader& r, const YAML::Node& node, const Config& cfg, std::vector<Rule>& out);
// One action: `key` names its integration, `node` holds its settings.
std::optional<Action> load_action(YamlReader& r, const YAML::Node& key, const YAML::Node& node, const Config& cfg,
                                  const std::string& rule);
void load_reconcile(YamlReader& r, const YAML::Node& node, ReconcileConfig& out);

// Whole-document checks (document_checks.cpp), once every section is loaded.
void warn_lookups_without_api(YamlReader& r, const Config& cfg);
void check_reconcile(YamlReader& r, const YAML::Node& root, const Config& cfg);
void check_reviews(YamlReader& r, const YAML::Node& root, const Config& cfg);
void reject_references_in_actions(YamlReader& r, const Config& cfg);
// How deep the YAML text nests, by a scan before parsing.
std::size_t nesting_depth(std::string_view yaml);
// Whether the document, with every alias expanded where it is used, has at
// most `budget` nodes. yaml-cpp shares an anchored node among its aliases,
// so parsing is cheap, but every walk over the tree (ours, and each
// section's) visits an alias once per use: six levels of ten aliases each
// are a million nodes from 1.5 KB of text.
bool expands_within(const YAML::Node& node, std::size_t budget);

}  // namespace asc_webhookd::config::detail
