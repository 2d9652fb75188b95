#pragma once
// Mustache templates (libkainjow-mustache-dev) with HTML escaping off, over
// the template data of docs/configuration.md. A name that is absent renders empty.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/event/event.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::rules {

// The template data for one job: event.*, webhook.*, rule.name (and, once
// enrichment runs, instance, app, history).
nlohmann::json template_context(const event::Event& event, const config::WebhookConfig* webhook,
                                const std::string& rule);

// Adds `links.app_store_connect`: the app's page in App Store Connect (its
// TestFlight page for TestFlight and upload events), when the app id is
// known from the lookup (`app.id`, or the instance's app relationship);
// "" otherwise. Call after the lookup's data is in `context`.
void add_links(nlohmann::json& context);

// How `{{name}}` values are escaped where they land; `{{{name}}}` and
// `{{&name}}` are never escaped (the config author's explicit choice).
enum class Escape {
  none,           // headers, chat text, issue fields: checked where they are used, not changed
  url_component,  // a URL: percent-encoded so a value is one path segment or query value
  json_string,    // inside a JSON string literal: quotes, backslashes and controls escaped
};

// Renders `text`; an error names the problem (unclosed section, ...).
Result<std::string, Error> render(const std::string& text, const nlohmann::json& context,
                                  Escape escape = Escape::none);

// The check-config view of a template: it must compile, and every name used
// outside a section must start with one of the template data's sections
// (event, webhook, rule, instance, app, build, history, enrichment, links). Returns "" when
// fine, else the problem, with `offset` the byte in `text` where it is.
std::string check_template(const std::string& text, std::size_t& offset);

}  // namespace asc_webhookd::rules
