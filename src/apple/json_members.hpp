#pragma once
// Reading members of Apple's JSON:API documents without throwing: a member
// that is absent or of another type reads as empty.
#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::apple::detail {

inline std::string string_at(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return "";
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

inline const nlohmann::json& object_at(const nlohmann::json& o, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : empty;
}

inline bool bool_at(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return false;
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace asc_webhookd::apple::detail
