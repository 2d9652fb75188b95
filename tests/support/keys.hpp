#pragma once
// Throw-away key pairs for tests (GitHub App RS256, App Store Connect ES256).
#include <string>

namespace asc_webhookd::test {

struct KeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

KeyPair make_rsa_key();
KeyPair make_p256_key();

}  // namespace asc_webhookd::test
