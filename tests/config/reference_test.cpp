// The configuration reference (docs/configuration.md) names exactly the keys the loader
// accepts (config/keys.hpp, the table every section is checked against), so
// neither can drift from the other.
#include "asc_webhookd/config/keys.hpp"
#include "asc_webhookd/config/loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace asc_webhookd::config {
namespace {

std::set<std::string> loader_keys() {
  std::set<std::string> out;
  for (const auto& section : config_sections()) {
    std::string path(section.path);
    for (auto pos = path.find('*'); pos != std::string::npos; pos = path.find('*')) path.replace(pos, 1, "NAME");
    for (auto key : section.keys) out.insert(path.empty() ? std::string(key) : path + "." + std::string(key));
  }
  return out;
}

std::set<std::string> readme_keys() {
  std::ifstream in(std::string(ASC_WEBHOOKD_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const auto begin = text.find("<!-- config-reference:begin -->");
  const auto end = text.find("<!-- config-reference:end -->");
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  std::set<std::string> out;
  if (begin == std::string::npos || end == std::string::npos) return out;
  std::istringstream table(text.substr(begin, end - begin));
  static const std::regex row(R"(^\| `([^`]+)` \|)");
  for (std::string line; std::getline(table, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    EXPECT_TRUE(out.insert(m[1]).second) << "listed twice: " << m[1];
  }
  return out;
}

TEST(ConfigReference, ListsExactlyTheKeysTheLoaderAccepts) {
  const auto loader = loader_keys();
  const auto readme = readme_keys();
  ASSERT_GT(loader.size(), 80u);
  for (const auto& k : loader) EXPECT_TRUE(readme.count(k)) << "the configuration reference lacks " << k;
  for (const auto& k : readme) EXPECT_TRUE(loader.count(k)) << "the configuration reference documents " << k << ", which the loader refuses";
}

// The table is what the loader checks: a key outside it is refused.
TEST(ConfigReference, TheTableIsWhatTheLoaderEnforces) {
  Environment env{[](const std::string&) { return std::optional<std::string>(); }};
  auto ok = load_config_string("webhooks: [{name: a, secret: s}]\nrules:\n  - name: r\n    actions:\n"
                               "      - slack: {connection: x, enrich: required}\n",
                               "t.yaml", env);
  // (connection x does not exist: the error names it, not the enrich key)
  EXPECT_EQ(ok.errors_text().find("unknown key \"enrich\""), std::string::npos) << ok.errors_text();
  auto bad = load_config_string("webhooks: [{name: a, secret: s}]\nrules: []\nstore: {path: x, retension: 1d}\n", "t.yaml", env);
  EXPECT_NE(bad.errors_text().find("unknown key \"retension\" in store (expected one of: path, url, retention)"), std::string::npos)
      << bad.errors_text();
}

}  // namespace
}  // namespace asc_webhookd::config
