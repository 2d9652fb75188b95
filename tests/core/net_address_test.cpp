#include "asc_webhookd/core/net_address.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd {
namespace {

TEST(ListenAddress, Forms) {
  std::string err;
  auto a = parse_listen_address("127.0.0.1:8080", err);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parse_listen_address("[::1]:9000", err);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->text(), "[::1]:9000");
  auto c = parse_listen_address("localhost:0", err);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 0);
}

TEST(ListenAddress, Rejects) {
  std::string err;
  for (const char* bad : {"8080", ":8080", "::1:8080", "[::1]8080", "host:99999", "host:", "host:8x"}) {
    EXPECT_FALSE(parse_listen_address(bad, err)) << bad;
    EXPECT_FALSE(err.empty());
  }
}

TEST(Cidr, Matching) {
  auto v4 = Cidr::parse("10.1.0.0/16");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->contains("10.1.200.3"));
  EXPECT_FALSE(v4->contains("10.2.0.1"));
  EXPECT_TRUE(v4->contains("::ffff:10.1.0.9"));  // IPv4-mapped
  EXPECT_FALSE(v4->contains("::1"));
  auto host = Cidr::parse("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains("127.0.0.1"));
  EXPECT_FALSE(host->contains("127.0.0.2"));
  auto v6 = Cidr::parse("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains("fd12::1"));
  EXPECT_FALSE(v6->contains("fe80::1"));
  auto odd = Cidr::parse("192.168.1.128/25");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains("192.168.1.200"));
  EXPECT_FALSE(odd->contains("192.168.1.127"));
  for (const char* bad : {"", "10.0.0.0/33", "::1/129", "nonsense", "10.0.0.0/x", "10.0.0/8"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
}

}  // namespace
}  // namespace asc_webhookd
