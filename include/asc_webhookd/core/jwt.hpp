#pragma once
// JSON Web Tokens signed with a PEM private key: RS256 for app installations,
// ES256 for the App Store Connect API (JWS wants ECDSA signatures as raw
// R‖S, 64 bytes; OpenSSL produces DER, converted here). Keys are parsed once
// into a SigningKey; a key that does not load is an error at config time.
#include "asc_webhookd/core/result.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace asc_webhookd::jwt {

std::string base64url(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64(std::string_view bytes);

enum class Algorithm { rs256, es256 };

class SigningKey {
public:
  // PEM text (PKCS#8 "PRIVATE KEY", or PKCS#1 "RSA PRIVATE KEY" / SEC1 "EC
  // PRIVATE KEY"). The key type must fit the algorithm (RSA / P-256).
  static Result<SigningKey, Error> load(std::string_view pem, Algorithm alg);
  Algorithm algorithm() const { return alg_; }
  // header.payload.signature; `header` gets "alg" and "typ" filled in.
  Result<std::string, Error> sign(nlohmann::json header, const nlohmann::json& claims) const;

private:
  struct Key;
  std::shared_ptr<Key> key_;
  Algorithm alg_ = Algorithm::rs256;
};

// Checks a token's signature against a PEM public key and returns its
// header and claims (for test fakes, which verify exactly like the service).
struct Decoded {
  nlohmann::json header;
  nlohmann::json claims;
};
Result<Decoded, Error> verify(std::string_view token, std::string_view public_pem, Algorithm alg);

}  // namespace asc_webhookd::jwt
