// The one check outbound requests pass (header names and values, URLs) over
// a table of hostile values, percent-encoding of URL template values, and
// the JSON escaping of a templated body.
#include "asc_webhookd/outbound/request_check.hpp"
#include "asc_webhookd/rules/template.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace asc_webhookd::test {
namespace {

using json = nlohmann::json;
using rules::Escape;

struct HostileValue {
  const char* what;
  std::string value;
  const char* reason;  // a part of the message that must name it
};

TEST(RequestCheck, HeaderValuesWithLineBreaksOrControlsAreRefused) {
  const std::vector<HostileValue> table = {
      {"CR", "a\rb", "CR"},
      {"LF", "a\nb", "LF"},
      {"CRLF", "x\r\nContent-Length: 0\r\n\r\nPOST /smuggled HTTP/1.1", "CR"},
      {"NUL", std::string("a\0b", 3), "NUL"},
      {"DEL", "a\x7f" "b", "DEL"},
      {"ESC", "a\x1b[31m", "0x1B"},
      {"vertical tab", "a\vb", "0x0B"},
      {"NEL", "a\xc2\x85" "b", "U+0085"},
      {"LINE SEPARATOR", "a\xe2\x80\xa8" "b", "U+2028"},
      {"PARAGRAPH SEPARATOR", "a\xe2\x80\xa9" "b", "U+2029"},
  };
  for (const auto& [what, value, reason] : table) {
    auto problem = outbound::header_value_problem(value);
    EXPECT_NE(problem.find(reason), std::string::npos) << what << ": " << problem;
    EXPECT_EQ(problem.find(value), std::string::npos) << what << ": the value itself is not echoed";
  }
  EXPECT_NE(outbound::header_value_problem("ab\r").find("at byte 2"), std::string::npos);
}

TEST(RequestCheck, OrdinaryHeaderValuesPass) {
  for (const std::string v : {"buildUploadStateUpdated", "a\tb", "Bearer abc.def", "Café ☕ — “quoted”", ""})
    EXPECT_EQ(outbound::header_value_problem(v), "") << v;
}

TEST(RequestCheck, HeaderNamesMustBeTokens) {
  EXPECT_EQ(outbound::header_name_problem("X-Event"), "");
  EXPECT_EQ(outbound::header_name_problem("x_custom.header~1"), "");
  for (const std::string& n : std::vector<std::string>{"", "X Event", "X:Event", "X-Event\r\nX-Other", std::string("X\0", 2), "Ünïcode"})
    EXPECT_NE(outbound::header_name_problem(n), "") << n;
}

TEST(RequestCheck, UrlsMustBeAbsoluteHttpWithoutControlsOrSpaces) {
  EXPECT_EQ(outbound::url_problem("https://hooks.example.com/asc?x=1"), "");
  EXPECT_EQ(outbound::url_problem("http://127.0.0.1:8080/hook"), "");
  EXPECT_EQ(outbound::url_problem("HTTPS://hooks.example.com/"), "");
  const std::vector<HostileValue> table = {
      {"CRLF in the path", "http://h/a\r\nHost: evil", "CR"},
      {"LF", "http://h/a\nb", "LF"},
      {"NUL", std::string("http://h/a\0b", 12), "NUL"},
      {"DEL", "http://h/a\x7f", "DEL"},
      {"space", "http://h/a b", "space"},
      {"LINE SEPARATOR", "http://h/a\xe2\x80\xa8", "U+2028"},
      {"relative", "/just/a/path", "absolute"},
      {"other scheme", "file:///etc/passwd", "http"},
      {"no host", "http:///path", "host"},
  };
  for (const auto& [what, url, reason] : table)
    EXPECT_NE(outbound::url_problem(url).find(reason), std::string::npos) << what << ": " << outbound::url_problem(url);
}

TEST(RequestCheck, RequestProblemNamesTheField) {
  outbound::ClientRequest r;
  r.url = "http://127.0.0.1/hook";
  r.headers = {{"X-Ok", "fine"}, {"X-Event", "x\r\nInjected: 1"}};
  EXPECT_EQ(outbound::request_problem(r), "header X-Event: value contains a control character (CR) at byte 1");
  r.headers = {{"X Bad\r\n", "v"}};
  auto p = outbound::request_problem(r);
  EXPECT_EQ(p.rfind("header X%20Bad%0D%0A: name", 0), 0u) << p;  // the bad name shown encoded
  r.headers = {};
  r.url = "http://127.0.0.1/a\nb";
  EXPECT_EQ(outbound::request_problem(r).rfind("url contains a control character (LF)", 0), 0u);
}

TEST(RequestCheck, ComponentsArePercentEncoded) {
  EXPECT_EQ(outbound::encode_component("plain-Value_1.~"), "plain-Value_1.~");
  EXPECT_EQ(outbound::encode_component("a/b c?d&e=f#g%"), "a%2Fb%20c%3Fd%26e%3Df%23g%25");
  EXPECT_EQ(outbound::encode_component("../admin"), "..%2Fadmin");
  EXPECT_EQ(outbound::encode_component("\r\n"), "%0D%0A");
  EXPECT_EQ(outbound::encode_component("é"), "%C3%A9");
  EXPECT_EQ(outbound::encode_component("@evil.com:80"), "%40evil.com%3A80");
}

TEST(RequestCheck, SameOrigin) {
  EXPECT_TRUE(outbound::same_origin("https://h.example.com/a?b", "https://h.example.com"));
  EXPECT_TRUE(outbound::same_origin("https://H.example.com:443/x", "HTTPS://h.example.com"));
  EXPECT_TRUE(outbound::same_origin("http://127.0.0.1:8080/x", "http://127.0.0.1:8080"));
  EXPECT_FALSE(outbound::same_origin("http://127.0.0.1:8081/x", "http://127.0.0.1:8080"));
  EXPECT_FALSE(outbound::same_origin("http://h.example.com/x", "https://h.example.com"));
  EXPECT_FALSE(outbound::same_origin("https://evil.com/x", "https://h.example.com"));
  EXPECT_EQ(outbound::url_origin("https://h.example.com:8443/a/{{event.id}}?q={{x}}"), "https://h.example.com:8443");
  EXPECT_EQ(outbound::url_origin("https://{{host}}/a"), "https://{{host}}");
  EXPECT_EQ(outbound::url_origin("https://h.example.com?x={{y}}"), "https://h.example.com");
}

const json kContext = {{"event", {{"type", "x\r\nInjected: 1"}, {"id", "a/b?c=d&e"}}},
                       {"instance", {{"attributes", {{"comment", "He said \"ship it\"\n\\o/ \x01"}}}}}};

TEST(TemplateEscape, UrlValuesArePercentEncodedButTripleMustacheIsNot) {
  auto r = rules::render("https://h.example.com/events/{{event.id}}?type={{event.type}}", kContext,
                         Escape::url_component);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "https://h.example.com/events/a%2Fb%3Fc%3Dd%26e?type=x%0D%0AInjected%3A%201");
  EXPECT_EQ(outbound::url_problem(*r), "");
  auto raw = rules::render("https://h.example.com/{{{event.id}}}", kContext, Escape::url_component);
  ASSERT_TRUE(raw);
  EXPECT_EQ(*raw, "https://h.example.com/a/b?c=d&e");
}

TEST(TemplateEscape, JsonBodyCannotBeBrokenByAQuote) {
  const std::string body = R"({"text": "Feedback: {{instance.attributes.comment}}", "type": "{{event.type}}"})";
  auto unescaped = rules::render(body, kContext, Escape::none);
  ASSERT_TRUE(unescaped);
  EXPECT_TRUE(json::parse(*unescaped, nullptr, false).is_discarded());  // what json mode prevents
  auto r = rules::render(body, kContext, Escape::json_string);
  ASSERT_TRUE(r);
  auto j = json::parse(*r, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << *r;
  EXPECT_EQ(j["text"], "Feedback: He said \"ship it\"\n\\o/ \x01");
  EXPECT_EQ(j["type"], "x\r\nInjected: 1");
}

TEST(TemplateEscape, NoEscapeLeavesValuesAsTheyAre) {
  auto r = rules::render("{{event.type}}", kContext);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "x\r\nInjected: 1");  // headers are checked, not changed: request_problem refuses it
}

}  // namespace
}  // namespace asc_webhookd::test
