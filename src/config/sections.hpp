#pragma once
// Internal to the config loader: one function per top-level section.
#include "yaml_reader.hpp"

namespace asc_webhookd::config::detail {

void load_server(YamlReader& r, const YAML::Node& node, ServerConfig& out);
void load_store(YamlReader& r, const YAML::Node& node, const Environment& env, StoreConfig& out);
void load_delivery(YamlReader& r, const YAML::Node& node, DeliveryConfig& out);
void load_log(YamlReader& r, const YAML::Node& node, LogConfig& out);
void load_app_store_connect(YamlReader& r, const YAML::Node& node, std::optional<AppStoreConnectConfig>& out);
void load_webhooks(YamlReader& r, const YAML::Node& node, std::vector<WebhookConfig>& out);
void load_connections(YamlReader& r, const YAML::Node& node, Connections& out);
// Needs webhooks and connections loaded first: rules refer to them by name.
void load_rules(YamlReader& r, const YAML::Node& node, const Config& cfg, std::vector<Rule>& out);

}  // namespace asc_webhookd::config::detail
