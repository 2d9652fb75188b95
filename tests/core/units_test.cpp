#include "asc_webhookd/core/units.hpp"

#include <gtest/gtest.h>

namespace asc_webhookd {
namespace {

using namespace std::chrono_literals;

TEST(Units, DurationsOfEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), Duration(250));
  EXPECT_EQ(parse_duration("10s"), Duration(10s));
  EXPECT_EQ(parse_duration("5m"), Duration(5min));
  EXPECT_EQ(parse_duration("2h"), Duration(2h));
  EXPECT_EQ(parse_duration("30d"), Duration(30 * 24h));
  EXPECT_EQ(parse_duration("0s"), Duration(0));
}

TEST(Units, DurationsRejectAnythingElse) {
  for (const char* bad : {"", "10", "s", "-5s", "1.5s", "10 s", "10sec", "5M", "99999999999999999999d", "+3s"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_size("1MiB"), 1024u * 1024u);
  EXPECT_EQ(parse_size("512KiB"), 512u * 1024u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("2GiB"), 2ull * 1024 * 1024 * 1024);
  for (const char* bad : {"", "MiB", "1 MiB", "1mib", "-1", "1.5MiB", "99999999999999999999GiB"})
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}

TEST(Units, FormatDuration) {
  EXPECT_EQ(format_duration(Duration(1500)), "1500ms");
  EXPECT_EQ(format_duration(Duration(10s)), "10s");
  EXPECT_EQ(format_duration(Duration(30min)), "30m");
  EXPECT_EQ(format_duration(Duration(48h)), "2d");
}

}  // namespace
}  // namespace asc_webhookd
