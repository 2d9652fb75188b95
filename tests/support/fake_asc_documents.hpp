#pragma once
// What the fake App Store Connect resource models share: reading a query as
// Apple's API does, writing a JSON:API answer, and the time.
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace asc_webhookd::test::asc_documents {

inline constexpr const char* kAppleHost = "https://api.appstoreconnect.apple.com";

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A query as Apple's API reads it.
inline std::map<std::string, std::string> parse_query(const std::string& q) { return url_decoded_fields(q); }

// filter[x] as a URL carries it: filter%5Bx%5D.
inline std::string bracket_encoded(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '[' ? "%5B" : c == ']' ? "%5D" : std::string(1, c);
  return out;
}

inline FakeResponse answer(int status, const nlohmann::json& body) {
  return {status, {{"Content-Type", "application/json"}}, body.dump(), {}};
}

}  // namespace asc_webhookd::test::asc_documents
