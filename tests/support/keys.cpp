#include "support/keys.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

namespace asc_webhookd::test {

namespace {

KeyPair to_pems(EVP_PKEY* key) {
  if (!key) throw std::runtime_error("key generation failed");
  KeyPair out;
  for (int pub = 0; pub < 2; ++pub) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (pub) PEM_write_bio_PUBKEY(bio, key);
    else PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    (pub ? out.public_pem : out.private_pem).assign(data, static_cast<std::size_t>(n));
    BIO_free(bio);
  }
  EVP_PKEY_free(key);
  return out;
}

}  // namespace

KeyPair make_rsa_key() { return to_pems(EVP_RSA_gen(2048)); }
KeyPair make_p256_key() { return to_pems(EVP_EC_gen("P-256")); }

}  // namespace asc_webhookd::test
