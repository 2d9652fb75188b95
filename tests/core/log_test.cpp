#include "asc_webhookd/core/log.hpp"
#include "asc_webhookd/core/secret.hpp"

#include "support/log_capture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace asc_webhookd {
namespace {

TEST(Log, SecretsFormatAsRedacted) {
  Secret s("hunter2");
  EXPECT_EQ(fmt::format("token={}", s), "token=<redacted>");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "<redacted>");
  EXPECT_EQ(s.reveal(), "hunter2");
}

TEST(Log, TextLinesCarrySubsystemAndLevel) {
  test::LogCapture cap(spdlog::level::debug);
  log::get("ingest")->info("event id={}", "abc");
  log::get("http")->trace("not shown at debug");
  auto text = cap.text();
  EXPECT_NE(text.find(" info ingest: event id=abc\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("not shown"), std::string::npos);
}

TEST(Log, JsonFormatIsOneObjectPerLineWithEscaping) {
  test::LogCapture cap(spdlog::level::info, log::Format::json);
  log::get("http")->warn("quote \" backslash \\ newline \n end");
  log::get("app")->info("second");
  std::istringstream lines(cap.text());
  std::string line;
  std::vector<nlohmann::json> objs;
  while (std::getline(lines, line)) objs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0]["level"], "warning");
  EXPECT_EQ(objs[0]["logger"], "http");
  EXPECT_EQ(objs[0]["msg"], "quote \" backslash \\ newline \n end");
  EXPECT_EQ(objs[1]["logger"], "app");
  EXPECT_TRUE(objs[1]["ts"].get<std::string>().ends_with("Z"));
}

TEST(Log, LevelNames) {
  EXPECT_EQ(log::parse_level("warn"), spdlog::level::warn);
  EXPECT_EQ(log::parse_level("error"), spdlog::level::err);
  EXPECT_FALSE(log::parse_level("verbose"));
}

}  // namespace
}  // namespace asc_webhookd
