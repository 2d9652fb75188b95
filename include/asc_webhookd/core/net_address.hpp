#pragma once
// Listen endpoints ("127.0.0.1:8080", "[::1]:8080", "localhost:8080") and
// CIDR blocks for trusted proxies. Plain data and parsers; no Asio here.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asc_webhookd {

struct ListenAddress {
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string text() const;  // host:port, IPv6 in brackets
  friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

// Returns std::nullopt with `error` set to the reason.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

class Cidr {
public:
  static std::optional<Cidr> parse(std::string_view text);
  // `ip` is a textual IPv4 or IPv6 address (IPv4-mapped IPv6 matches IPv4 blocks).
  bool contains(std::string_view ip) const;
  const std::string& text() const { return text_; }

private:
  std::array<std::uint8_t, 16> bytes_{};
  int prefix_ = 0;
  bool v4_ = false;
  std::string text_;
};

}  // namespace asc_webhookd
