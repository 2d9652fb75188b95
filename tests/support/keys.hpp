#pragma once
// Throw-away key pairs for tests (GitHub App RS256, App Store Connect ES256).
#include <string>

namespace asc_webhookd::test {

struct KeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

// The App Store Connect key ids the fakes expect (as in Apple's docs).
inline constexpr const char* kAscIssuer = "57246542-96fe-1a63-e053-0824d011072a";
inline constexpr const char* kAscKeyId = "2X9R4HXF34";

KeyPair make_rsa_key();
KeyPair make_p256_key();

}  // namespace asc_webhookd::test
