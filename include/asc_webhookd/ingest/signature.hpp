#pragma once
// x-apple-signature: hmacsha256=<hex HMAC-SHA256 of the raw body>.
// Apple's test vector (Apple's webhook documentation): secret "This is my secret", body
// "Hello, World!" → hmacsha256=7f062172…e54657.
#include "asc_webhookd/core/secret.hpp"

#include <span>
#include <string>
#include <string_view>

namespace asc_webhookd::ingest {

// "hmacsha256=" + lowercase hex.
std::string sign(std::string_view secret, std::string_view body);

// True when `header` is a well-formed signature over `body` with any of the
// secrets. Checks every secret with CRYPTO_memcmp (no early exit), and never
// parses the body. Hex is accepted in either case; the prefix too.
bool verify(std::string_view header, std::string_view body, std::span<const Secret* const> secrets);

}  // namespace asc_webhookd::ingest
