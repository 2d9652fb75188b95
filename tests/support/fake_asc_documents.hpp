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

inline std::string url_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

inline std::map<std::string, std::string> parse_query(const std::string& q) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= q.size() && !q.empty()) {
    auto amp = q.find('&', i);
    const std::string pair = q.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
    auto eq = pair.find('=');
    if (!pair.empty()) out[url_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    if (amp == std::string::npos) break;
    i = amp + 1;
  }
  return out;
}

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
