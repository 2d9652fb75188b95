#include "session.hpp"

#include <boost/asio/ip/address.hpp>

#include <random>

namespace asc_webhookd::http {

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string id(16, '0');
  auto v = rng();
  for (auto& c : id) {
    c = digits[v & 0xf];
    v >>= 4;
  }
  return id;
}

std::string client_address(const std::string& peer, std::string_view xff, const config::ServerConfig& cfg) {
  auto trusted = [&](std::string_view ip) {
    for (const auto& c : cfg.trusted_proxies)
      if (c.contains(ip)) return true;
    return false;
  };
  if (xff.empty() || !trusted(peer)) return peer;
  std::string current = peer;
  while (!xff.empty()) {
    auto comma = xff.rfind(',');
    auto item = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
    xff = comma == std::string_view::npos ? std::string_view{} : xff.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    // Only an address is believed: anything else (a forged "6.6.6.6 method=POST"
    // log line, a host name) stops the walk at the last address seen.
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(item), ec);
    if (ec) break;
    current = std::string(item);
    if (!trusted(item)) break;
  }
  return current;
}

}  // namespace asc_webhookd::http
