#pragma once
// How an App Store Connect API answer becomes template data (docs/configuration.md):
// `instance` is the resource's `data`; `app` the included app's attributes
// (name, bundleId, sku) plus its id; `build` the included build's.
#include <nlohmann/json.hpp>

namespace asc_webhookd::enrich {

// Adds instance / app / build to `context` from `api_response`
// ({"data": {...}, "included": [...]}); a response without data adds nothing.
void add_to_context(nlohmann::json& context, const nlohmann::json& api_response);

}  // namespace asc_webhookd::enrich
