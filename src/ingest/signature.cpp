#include "asc_webhookd/ingest/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cctype>
#include <optional>

namespace asc_webhookd::ingest {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest hmac_sha256(std::string_view key, std::string_view body) {
  Digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), out.data(), &len);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Digest> parse_header(std::string_view header) {
  constexpr std::string_view prefix = "hmacsha256=";
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  if (header.size() != prefix.size() + 64) return std::nullopt;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != prefix[i]) return std::nullopt;
  header.remove_prefix(prefix.size());
  Digest d{};
  for (std::size_t i = 0; i < d.size(); ++i) {
    int hi = hex_value(header[2 * i]), lo = hex_value(header[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return d;
}

}  // namespace

std::string sign(std::string_view secret, std::string_view body) {
  static constexpr char digits[] = "0123456789abcdef";
  auto d = hmac_sha256(secret, body);
  std::string out = "hmacsha256=";
  for (unsigned char c : d) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

bool verify(std::string_view header, std::string_view body, std::span<const Secret* const> secrets) {
  auto given = parse_header(header);
  if (!given) return false;
  bool ok = false;
  for (const Secret* s : secrets) {
    if (s == nullptr || s->empty()) continue;
    auto expected = hmac_sha256(s->reveal(), body);
    ok |= CRYPTO_memcmp(expected.data(), given->data(), expected.size()) == 0;
  }
  return ok;
}

}  // namespace asc_webhookd::ingest
