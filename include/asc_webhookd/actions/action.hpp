#pragma once
// Runs one job's action: render its templates against the event, build the
// request(s), send them with the shared client, and report what happened in
// the classifier's terms. One file per action kind under src/actions/.
#include "asc_webhookd/config/config.hpp"
#include "asc_webhookd/delivery/classifier.hpp"
#include "asc_webhookd/http/client.hpp"
#include "asc_webhookd/ingest/event.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <string>

namespace asc_webhookd::actions {

struct Job {
  const config::Config& config;
  const config::Action& action;
  const ingest::Event& event;
  const nlohmann::json& context;  // template data
  std::string rule;
};

struct Outcome {
  delivery::AttemptResult result;
  std::string target;  // for logs: method and host, never a credential
  bool permanent_error = false;  // a problem no retry can fix (bad template, missing connection)
};

boost::asio::awaitable<Outcome> run(const Job& job, http::HttpClient& client);

// The request an http action would send; shared by delivery and simulate.
Result<http::ClientRequest, Error> build_http_request(const Job& job, const config::HttpAction& action);

// "https://host" of a URL, for logs (a webhook URL's path is its secret).
std::string redact_url(const std::string& url);

}  // namespace asc_webhookd::actions
