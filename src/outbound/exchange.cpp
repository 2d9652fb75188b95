// One outbound exchange: check, send, read the answer, decide.
#include "asc_webhookd/outbound/exchange.hpp"

#include "asc_webhookd/outbound/request_check.hpp"
#include "asc_webhookd/outbound/request_text.hpp"

#include <nlohmann/json.hpp>

namespace asc_webhookd::outbound {

using nlohmann::json;

boost::asio::awaitable<Exchange> exchange(Transport& transport, ClientRequest request, const RetryPolicy& policy,
                                          const Clock& clock, ShowTarget show) {
  Exchange done;
  if (auto problem = request_problem(request); !problem.empty()) {
    done.target = request.method + " " + redact_url(request.url);
    done.result.error = problem + "; the request was not sent";
    done.decision = final_decision(done.result.error);
    co_return done;
  }
  // A credential in the URL (a signed download's query) is masked here too.
  done.target = request.method + " " + (show == ShowTarget::host ? redact_url(request.url) : mask(request.url, request.secrets));
  auto answer = co_await transport.send(std::move(request));
  if (answer) {
    done.result.status = answer->status;
    done.result.headers = answer->headers;
    done.result.body = answer->body;
    if (answer->status >= 300) done.result.error = service_message(answer->body);
  } else {
    done.result.error = answer.error().message;
  }
  done.decision = decide(policy, done.result, clock.now_ms());
  if (done.decision.verdict == Verdict::success) done.response = std::move(*answer);
  co_return done;
}

std::string redact_url(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return "<url>";
  auto path = url.find('/', scheme + 3);
  std::string host = url.substr(0, path);
  if (auto at = host.find('@'); at != std::string::npos) host = url.substr(0, scheme + 3) + host.substr(at + 1);
  return host;
}

std::string service_message(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  std::string msg;
  if (j.is_object()) {
    if (auto m = j.find("message"); m != j.end() && m->is_string()) msg = m->get<std::string>();  // {"message": "…"}
    else if (m != j.end() && m->is_object())  // model errors: {"message": {"base": ["Reference not found"]}}
      for (const auto& [k, v] : m->items()) {
        std::string values;
        if (v.is_array())
          for (const auto& e : v) values += (values.empty() ? "" : ", ") + (e.is_string() ? e.get<std::string>() : e.dump());
        else values = v.is_string() ? v.get<std::string>() : v.dump();
        msg += (msg.empty() ? "" : "; ") + (k == "base" ? "" : k + ": ") + values;
      }
    if (auto e = j.find("error"); e != j.end() && e->is_string()) msg = e->get<std::string>();    // {"ok": false, "error": "…"}
    if (auto em = j.find("errorMessages"); em != j.end() && em->is_array())                       // {"errorMessages": […]}
      for (const auto& m : *em)
        if (m.is_string()) msg += (msg.empty() ? "" : "; ") + m.get<std::string>();
    if (auto er = j.find("errors"); er != j.end()) {
      if (er->is_object())
        for (const auto& [k, v] : er->items()) msg += (msg.empty() ? "" : "; ") + k + ": " + (v.is_string() ? v.get<std::string>() : v.dump());
      else if (er->is_array() && msg.empty() && !er->empty() && (*er)[0].is_object() && (*er)[0].contains("title"))
        for (const auto& e : *er) {  // App Store Connect (JSON:API): code, title, detail
          // A field of another type (a number, an object) is shown as JSON,
          // never thrown on: this reads answers from outside (found by fuzzing).
          auto field = [&e](const char* k) -> std::string {
            if (!e.is_object()) return "";
            auto it = e.find(k);
            if (it == e.end() || it->is_null()) return "";
            return it->is_string() ? it->get<std::string>() : it->dump();
          };
          const std::string code = field("code"), title = field("title"), detail = field("detail");
          msg += (msg.empty() ? "" : "; ") + (code.empty() ? "" : code + ": ") + title + (detail.empty() ? "" : " " + detail);
        }
      else if (er->is_array() && msg.empty())
        msg = er->dump();  // validation errors, invalid block details
    }
  }
  if (msg.empty()) msg = body;
  for (auto& c : msg)
    if (c == '\n' || c == '\r') c = ' ';
  if (msg.size() > 300) msg = msg.substr(0, 300) + "…";
  return msg;
}

}  // namespace asc_webhookd::outbound
