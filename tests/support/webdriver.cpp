#include "support/webdriver.hpp"

#include "asc_webhookd/outbound/client.hpp"
#include "support/raw_client.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

extern char** environ;

namespace asc_webhookd::test {

using nlohmann::json;

namespace {
constexpr const char* kDriver = "/usr/bin/chromedriver";
constexpr const char* kBrowser = "/usr/bin/chromium";
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";
}  // namespace

std::string WebDriver::unavailable() {
  for (const char* p : {kDriver, kBrowser})
    if (::access(p, X_OK) != 0) return std::string(p) + " is not installed (apt-get install chromium chromium-driver)";
  return "";
}

WebDriver::WebDriver() {
  if (!(error_ = unavailable()).empty()) return;
  ::close(listen_loopback(port_));
  const std::string port_arg = "--port=" + std::to_string(port_);
  char* argv[] = {const_cast<char*>(kDriver), const_cast<char*>(port_arg.c_str()), nullptr};
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawn(&pid_, kDriver, &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    error_ = "cannot start chromedriver";
    return;
  }
  for (int i = 0; i < 100; ++i) {  // until it answers /status
    auto s = call("GET", "/status");
    if (s.is_object() && s.value("/value/ready"_json_pointer, false)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  json caps = {{"capabilities",
                {{"alwaysMatch",
                  {{"browserName", "chrome"},
                   {"goog:chromeOptions",
                    {{"binary", kBrowser},
                     {"args", {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               "--window-size=1280,900", "--lang=en-US"}}}}}}}}};
  auto created = call("POST", "/session", caps);
  session_ = created.value("/value/sessionId"_json_pointer, std::string());
  if (session_.empty()) error_ = "no WebDriver session: " + created.dump();
}

WebDriver::~WebDriver() {
  if (!session_.empty()) call("DELETE", "/session/" + session_);
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
}

json WebDriver::call(const std::string& method, const std::string& path, const json& body) {
  outbound::ClientRequest req;
  req.method = method;
  req.url = "http://127.0.0.1:" + std::to_string(port_) + path;
  req.timeout = std::chrono::seconds(60);
  req.max_response = 64 * 1024 * 1024;  // screenshots
  if (!body.is_null()) {
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body.dump();
  }
  auto res = outbound::fetch_blocking(req);
  if (!res) return json();
  return json::parse(res->body, nullptr, false);
}

void WebDriver::go(const std::string& url) { call("POST", "/session/" + session_ + "/url", {{"url", url}}); }

std::string WebDriver::find(const std::string& css) {
  auto r = call("POST", "/session/" + session_ + "/element", {{"using", "css selector"}, {"value", css}});
  return r.is_object() && r["value"].is_object() ? r["value"].value(kElementKey, std::string()) : "";
}

void WebDriver::type(const std::string& css, const std::string& text) {
  call("POST", "/session/" + session_ + "/element/" + find(css) + "/value", {{"text", text}});
}

void WebDriver::click(const std::string& css) {
  call("POST", "/session/" + session_ + "/element/" + find(css) + "/click", json::object());
}

json WebDriver::script(const std::string& js) {
  auto r = call("POST", "/session/" + session_ + "/execute/sync", {{"script", js}, {"args", json::array()}});
  return r.is_object() ? r["value"] : json();
}

bool WebDriver::wait_until(const std::string& js, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto v = script(js);
    if ((v.is_boolean() && v.get<bool>()) || (v.is_number() && v.get<double>() != 0) || (v.is_string() && !v.get<std::string>().empty()))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string WebDriver::text(const std::string& css) {
  auto r = call("GET", "/session/" + session_ + "/element/" + find(css) + "/text");
  return r.is_object() && r["value"].is_string() ? r["value"].get<std::string>() : "";
}

void WebDriver::window(int width, int height) {
  call("POST", "/session/" + session_ + "/window/rect", {{"width", width}, {"height", height}});
}

bool WebDriver::screenshot(const std::string& path) {
  auto r = call("GET", "/session/" + session_ + "/screenshot");
  if (!r.is_object() || !r["value"].is_string()) return false;
  const std::string b64 = r["value"];
  std::string png(b64.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(png.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return false;
  std::size_t pad = 0;
  while (pad < 2 && !b64.empty() && b64[b64.size() - 1 - pad] == '=') ++pad;
  png.resize(static_cast<std::size_t>(n) - pad);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << png;
  return true;
}

}  // namespace asc_webhookd::test
