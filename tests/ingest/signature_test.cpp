#include "asc_webhookd/ingest/signature.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace asc_webhookd::ingest {
namespace {

constexpr const char* kAppleVector = "hmacsha256=7f062172b01cb00b53ca068614674a3d982a34062a0f5d37687d5e3377e54657";

bool verify_with(std::string_view header, std::string_view body, std::vector<std::string> secrets) {
  std::vector<Secret> owned;
  for (auto& s : secrets) owned.emplace_back(s);
  std::vector<const Secret*> ptrs;
  for (auto& s : owned) ptrs.push_back(&s);
  return verify(header, body, ptrs);
}

TEST(Signature, ApplesTestVector) {
  EXPECT_EQ(sign("This is my secret", "Hello, World!"), kAppleVector);
  EXPECT_TRUE(verify_with(kAppleVector, "Hello, World!", {"This is my secret"}));
}

TEST(Signature, HexAndPrefixInAnyCase) {
  std::string upper = kAppleVector;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  EXPECT_TRUE(verify_with(upper, "Hello, World!", {"This is my secret"}));
}

TEST(Signature, RejectsWrongSecretBodyOrForm) {
  EXPECT_FALSE(verify_with(kAppleVector, "Hello, World!", {"another secret"}));
  EXPECT_FALSE(verify_with(kAppleVector, "Hello, World! ", {"This is my secret"}));
  EXPECT_FALSE(verify_with("", "Hello, World!", {"This is my secret"}));
  std::string bare = std::string(kAppleVector).substr(11);
  EXPECT_FALSE(verify_with(bare, "Hello, World!", {"This is my secret"}));
  EXPECT_FALSE(verify_with("sha256=" + bare, "Hello, World!", {"This is my secret"}));
  EXPECT_FALSE(verify_with(std::string(kAppleVector) + "00", "Hello, World!", {"This is my secret"}));
  std::string not_hex = kAppleVector;
  not_hex.back() = 'g';
  EXPECT_FALSE(verify_with(not_hex, "Hello, World!", {"This is my secret"}));
}

TEST(Signature, AnyOfSeveralSecretsDuringRotation) {
  auto sig = sign("old", "body");
  EXPECT_TRUE(verify_with(sig, "body", {"new", "old"}));
  EXPECT_FALSE(verify_with(sig, "body", {"new"}));
}

TEST(Signature, EmptySecretNeverMatches) {
  auto sig = sign("", "body");
  EXPECT_FALSE(verify_with(sig, "body", {""}));
}

}  // namespace
}  // namespace asc_webhookd::ingest
