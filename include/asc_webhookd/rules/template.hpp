#pragma once
// Mustache templates (libkainjow-mustache-dev) with HTML escaping off, over
// the data of DESIGN.md §4 "Templates". A name that is absent renders empty.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/core/result.hpp"
#include "asc_webhookd/ingest/event.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::rules {

// The template data for one job: event.*, webhook.*, rule.name (and, once
// enrichment runs, instance, app, history).
nlohmann::json template_context(const ingest::Event& event, const config::WebhookConfig* webhook,
                                const std::string& rule);

// Renders `text`; an error names the problem (unclosed section, ...).
Result<std::string, Error> render(const std::string& text, const nlohmann::json& context);

// The check-config view of a template: it must compile, and every name used
// outside a section must start with one of the template data's sections
// (event, webhook, rule, instance, app, build, history). Returns "" when
// fine, else the problem, with `offset` the byte in `text` where it is.
std::string check_template(const std::string& text, std::size_t& offset);

}  // namespace asc_webhookd::rules
