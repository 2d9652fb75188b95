// The man pages and the bash completion are generated at build time
// (scripts/generate_docs.cmake) from `asc-webhookd --help` and the README's
// configuration reference: every command of --help is in asc-webhookd(8)
// and in the completion, every key of the reference in asc-webhookd.yaml(5).
#include "support/daemon.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

namespace asc_webhookd::test {
namespace {

const std::string kDocs = std::string(ASC_WEBHOOKD_ARTIFACTS) + "/../docs/";

std::string roff(std::string s) {  // how the generator writes text in roff
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(Docs, TheManPageAndCompletionHaveEveryCommandOfHelp) {
  auto help = run_binary({"--help"});
  ASSERT_EQ(help.exit_code, 0);
  const std::string man = read_file(kDocs + "asc-webhookd.8");
  const std::string completion = read_file(kDocs + "asc-webhookd.bash");
  ASSERT_FALSE(man.empty()) << kDocs;
  std::istringstream lines(help.out);
  int commands = 0;
  static const std::regex usage(R"(^  asc-webhookd (\[?([a-z][a-z-]*)\]?( [a-z]+)?)[ \[])");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, usage)) continue;
    ++commands;
    std::string words = m[2].str() + m[3].str();
    EXPECT_NE(man.find(".B " + roff("asc-webhookd " + m[1].str())), std::string::npos) << line;
    EXPECT_NE(completion.find("\"" + words + "\")"), std::string::npos) << words;
  }
  EXPECT_GE(commands, 15);
  // The installed completion is valid bash.
  EXPECT_EQ(run_program("/bin/bash", {"-n", kDocs + "asc-webhookd.bash"}).exit_code, 0);
}

TEST(Docs, TheConfigManPageHasEveryKeyOfTheReference) {
  const std::string readme = read_file(std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/README.md");
  const std::string man = read_file(kDocs + "asc-webhookd.yaml.5");
  const auto begin = readme.find("<!-- config-reference:begin -->"), end = readme.find("<!-- config-reference:end -->");
  ASSERT_NE(begin, std::string::npos);
  std::istringstream rows(readme.substr(begin, end - begin));
  static const std::regex key(R"(^\| `([^`]+)` \|)");
  int keys = 0;
  for (std::string row; std::getline(rows, row);) {
    std::smatch m;
    if (!std::regex_search(row, m, key)) continue;
    ++keys;
    EXPECT_NE(man.find(".B " + roff(m[1].str()) + "\n"), std::string::npos) << m[1];
  }
  EXPECT_GT(keys, 100);
}

}  // namespace
}  // namespace asc_webhookd::test
