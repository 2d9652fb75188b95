#pragma once
// The territory codes App Store Connect uses (its TerritoryCode enum in the
// OpenAPI spec 4.4.1: ISO 3166-1 alpha-3, plus Apple's own XKS for Kosovo
// and ANT for the former Netherlands Antilles). A review's territory and a
// `territories:` filter are these; alpha-2 codes (US) are not.
#include <span>
#include <string_view>

namespace asc_webhookd::apple {

std::span<const std::string_view> territory_codes();
bool is_territory_code(std::string_view code);

}  // namespace asc_webhookd::apple
