#pragma once
// Every key the configuration accepts, by section: the loader checks each
// mapping against this table (an unknown key is an error), and the README's
// configuration reference is tested against it, so neither can drift.
#include <span>
#include <string_view>

namespace asc_webhookd::config {

struct SectionKeys {
  std::string_view path;  // "server", "connections.<kind>.*", "rules[].actions[].<kind>"; "" for the top level
  std::span<const std::string_view> keys;
};

// Every section, in the order the reference documents them.
std::span<const SectionKeys> config_sections();
// The keys of one section (its `path` as above); empty for an unknown path.
std::span<const std::string_view> keys_of(std::string_view path);

}  // namespace asc_webhookd::config
