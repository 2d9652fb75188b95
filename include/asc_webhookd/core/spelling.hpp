#pragma once
// "Did you mean …?": the candidate closest to a misspelt word.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace asc_webhookd {

// The candidate at the smallest edit distance from `word` (case-insensitive;
// insert, delete, substitute, swap), if that distance is small for the
// word's length (at most a third of it, and never more than 3).
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace asc_webhookd
