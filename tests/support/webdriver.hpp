#pragma once
// A small W3C WebDriver client for the browser tests: starts Debian's
// chromedriver on 127.0.0.1, opens a headless chromium session, and offers
// what the console test needs (navigate, find, type, click, run a script,
// wait for a condition, screenshots). Requests go through the daemon's own
// HTTP client.
#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace asc_webhookd::test {

class WebDriver {
public:
  // The reason no browser can be driven here ("" when one can).
  static std::string unavailable();
  WebDriver();   // starts chromedriver and a session; check ok()
  ~WebDriver();  // ends the session, stops chromedriver
  bool ok() const { return !session_.empty(); }
  const std::string& error() const { return error_; }

  void go(const std::string& url);
  std::string find(const std::string& css);  // the element id ("" when absent)
  void type(const std::string& css, const std::string& text);
  void click(const std::string& css);
  nlohmann::json script(const std::string& js);  // `return …;` in the page
  // Polls `js` (a `return …` expression) until it is truthy; false on timeout.
  bool wait_until(const std::string& js, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  std::string text(const std::string& css);
  void window(int width, int height);
  bool screenshot(const std::string& path);  // PNG

private:
  nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string session_;
  std::string error_;
};

}  // namespace asc_webhookd::test
