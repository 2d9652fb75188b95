#pragma once
// A fake Teams Workflows trigger (its documented answers) on 127.0.0.1: the
// old (logic.azure.com) and new (powerplatform) path shapes, `sp`, `sv` and
// `sig` required (a wrong sig → 401 DirectApiAuthorizationRequired), any
// Authorization header refused (a second scheme → 400), 202 with an empty
// body for valid JSON. Like the real flow it checks the card afterwards and
// keeps the "run result" to itself (runs()), never in the HTTP answer:
// `type: message`, attachments[0] an Adaptive Card ≤ 1.5, ≤ 28 KB — or, in
// bare-card mode, the body itself an AdaptiveCard.
#include "support/fake_http.hpp"

#include <nlohmann/json.hpp>

namespace asc_webhookd::test {

class FakeTeams {
public:
  struct Run {
    nlohmann::json card;  // the Adaptive Card the flow would post, null when the run failed
    std::string error;    // why the flow's run failed ("" when it posted)
  };

  explicit FakeTeams(std::string sig = "s1gnature");
  // The new-host form of the trigger URL (the whole URL is the credential).
  std::string url(const std::string& workflow = "wf1") const;
  std::string old_host_url(const std::string& workflow = "wf1") const;
  void expect_bare_card(bool on);  // the flow reads the body as the card
  void throttle_next(int n);       // the next n requests answer 429 with Retry-After

  std::vector<Run> runs() const;

private:
  FakeResponse handle(const FakeRequest& r);

  std::string sig_;
  mutable std::mutex mutex_;
  bool bare_ = false;
  int throttled_ = 0;
  std::vector<Run> runs_;

public:
  FakeHttpServer server;  // last: stopped before the state its handler uses goes
};

}  // namespace asc_webhookd::test
