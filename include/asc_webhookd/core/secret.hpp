#pragma once
// A secret value (webhook secret, token, key, credential URL). It cannot be
// printed by accident: its fmt formatter and operator<< write "<redacted>".
// Only reveal() gives the bytes, and only code that signs or authenticates
// calls it.
#include <fmt/format.h>

#include <ostream>
#include <string>
#include <utility>

namespace asc_webhookd {

class Secret {
public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend bool operator==(const Secret&, const Secret&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "<redacted>"; }

private:
  std::string value_;
};

}  // namespace asc_webhookd

template <>
struct fmt::formatter<asc_webhookd::Secret> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const asc_webhookd::Secret&, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format("<redacted>", ctx);
  }
};
