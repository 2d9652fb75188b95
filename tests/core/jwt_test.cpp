// core/jwt: base64url, RS256 and ES256 tokens that verify with the public
// key (and only with it), ES256 signatures in JWS's raw R||S form.
#include "asc_webhookd/core/jwt.hpp"

#include "support/keys.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd::jwt {
namespace {

using nlohmann::json;

TEST(Jwt, Base64UrlHasNoPaddingAndRoundTrips) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("\xfb\xff"), "-_8");
  EXPECT_EQ(base64("\xfb\xff"), "+/8=");
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)})
    EXPECT_EQ(base64url_decode(base64url(s)), s);
  EXPECT_FALSE(base64url_decode("not*base64"));
}

TEST(Jwt, Es256TokenVerifiesWithItsKeyOnly) {
  auto kp = test::make_p256_key();
  auto key = SigningKey::load(kp.private_pem, Algorithm::es256);
  ASSERT_TRUE(key) << key.error().message;
  auto token = key->sign({{"kid", "2X9R4HXF34"}}, {{"iss", "issuer"}, {"aud", "appstoreconnect-v1"}, {"exp", 2000000000}});
  ASSERT_TRUE(token) << token.error().message;
  auto dot = token->rfind('.');
  EXPECT_EQ(base64url_decode(token->substr(dot + 1))->size(), 64u) << "JWS wants R||S, not DER";
  auto decoded = verify(*token, kp.public_pem, Algorithm::es256);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->header["alg"], "ES256");
  EXPECT_EQ(decoded->header["typ"], "JWT");
  EXPECT_EQ(decoded->header["kid"], "2X9R4HXF34");
  EXPECT_EQ(decoded->claims["aud"], "appstoreconnect-v1");
  EXPECT_FALSE(verify(*token, test::make_p256_key().public_pem, Algorithm::es256)) << "another key";
  std::string tampered = *token;
  tampered[tampered.find('.') + 2] ^= 1;
  EXPECT_FALSE(verify(tampered, kp.public_pem, Algorithm::es256));
}

TEST(Jwt, Rs256TokenVerifies) {
  auto kp = test::make_rsa_key();
  auto key = SigningKey::load(kp.private_pem, Algorithm::rs256);
  ASSERT_TRUE(key) << key.error().message;
  auto token = key->sign(json::object(), {{"iss", 12345}});
  ASSERT_TRUE(token);
  auto decoded = verify(*token, kp.public_pem, Algorithm::rs256);
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->header["alg"], "RS256");
  EXPECT_EQ(decoded->claims["iss"], 12345);
}

TEST(Jwt, AKeyOfTheWrongTypeOrNoKeyIsAnError) {
  EXPECT_FALSE(SigningKey::load(test::make_rsa_key().private_pem, Algorithm::es256));
  EXPECT_FALSE(SigningKey::load(test::make_p256_key().private_pem, Algorithm::rs256));
  EXPECT_FALSE(SigningKey::load("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", Algorithm::es256));
  EXPECT_FALSE(SigningKey::load("", Algorithm::rs256));
}

}  // namespace
}  // namespace asc_webhookd::jwt
