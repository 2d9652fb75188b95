#include "asc_webhookd/core/net_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace asc_webhookd {

std::string ListenAddress::text() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  ListenAddress out;
  std::string_view port_part;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected [IPv6]:port";
      return std::nullopt;
    }
    out.host = std::string(text.substr(1, close - 1));
    port_part = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "expected host:port";
      return std::nullopt;
    }
    if (text.substr(0, colon).find(':') != std::string_view::npos) {
      error = "an IPv6 address must be written in brackets: [::1]:8080";
      return std::nullopt;
    }
    out.host = std::string(text.substr(0, colon));
    port_part = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), port);
  if (ec != std::errc{} || ptr != port_part.data() + port_part.size() || port_part.empty() || port > 65535) {
    error = "port must be a number from 0 to 65535";
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  c.text_ = std::string(text);
  std::string addr(text);
  int max_prefix = 0;
  auto slash = addr.find('/');
  std::string prefix_text;
  if (slash != std::string::npos) {
    prefix_text = addr.substr(slash + 1);
    addr.resize(slash);
  }
  if (inet_pton(AF_INET, addr.c_str(), c.bytes_.data()) == 1) {
    c.v4_ = true;
    max_prefix = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), c.bytes_.data()) == 1) {
    max_prefix = 128;
  } else {
    return std::nullopt;
  }
  c.prefix_ = max_prefix;
  if (slash != std::string::npos) {
    int p = -1;
    auto [ptr, ec] = std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), p);
    if (ec != std::errc{} || ptr != prefix_text.data() + prefix_text.size() || p < 0 || p > max_prefix)
      return std::nullopt;
    c.prefix_ = p;
  }
  return c;
}

bool Cidr::contains(std::string_view ip_text) const {
  std::string ip(ip_text);
  std::array<std::uint8_t, 16> b{};
  bool v4 = false;
  if (inet_pton(AF_INET, ip.c_str(), b.data()) == 1) {
    v4 = true;
  } else if (inet_pton(AF_INET6, ip.c_str(), b.data()) == 1) {
    static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (v4_ && std::memcmp(b.data(), mapped, 12) == 0) {
      std::memmove(b.data(), b.data() + 12, 4);
      v4 = true;
    }
  } else {
    return false;
  }
  if (v4 != v4_) return false;
  int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(b.data(), bytes_.data(), static_cast<std::size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (b[static_cast<std::size_t>(full)] & mask) == (bytes_[static_cast<std::size_t>(full)] & mask);
}

}  // namespace asc_webhookd
