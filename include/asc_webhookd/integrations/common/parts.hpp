#pragma once
// The pieces of an Integration value (registry.hpp) that integrations fill
// alike: reading the stored form back as their own action type, running it
// as that type, a chat action's loading, and simulate's fixed answers.
#include "asc_webhookd/integrations/common/action.hpp"
#include "asc_webhookd/integrations/common/loading.hpp"
#include "asc_webhookd/integrations/registry.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace asc_webhookd::integrations {

// The stored form read back as the action type A (its settings' from_json).
template <class A>
config::Action stored_as(const nlohmann::json& stored) {
  return stored.get<A>();
}

// Runs the action as its own type A with the integration's `Run`.
template <class A, boost::asio::awaitable<actions::Outcome> (*Run)(const actions::Job&, const A&, actions::Services&)>
boost::asio::awaitable<actions::Outcome> run_as(const actions::Job& job, actions::Services& services) {
  return Run(job, std::get<A>(job.action), services);
}

// An integration whose built-in message (if any) does not show history.
inline bool never_shows_history(const config::Action&) { return false; }

// The console's target line of an action known by its connection alone.
inline std::string connection_target(const nlohmann::json& stored) { return "connection " + field(stored, "connection"); }

// A chat action on a named connection: its built-in message, or `text`
// instead (A has connection, text, enrich_required, pos).
template <class A>
bool text_holds(const config::Action& action, const TemplatePredicate& pred) {
  return holds(std::get<A>(action).text, pred);
}

template <class A, class Map>
std::optional<config::Action> load_chat_action(YamlReader& r, const YAML::Node& n, const Map& connections,
                                               std::string_view kind, const std::string& rule) {
  const std::string k(kind);
  if (!r.section_map(n, k + " action", "rules[].actions[]." + k)) return std::nullopt;
  A a;
  a.pos = r.pos(n);
  a.enrich_required = enrich_required(r, n, rule);
  if (auto c = connection_ref(r, n, connections, kind, rule, std::nullopt)) a.connection = *c;
  if (auto v = YamlReader::field(n, "text")) {
    a.text = r.template_text(*v, "text");
    if (a.text && a.text->text.empty()) r.error(*v, with_name(rule, "text must not be empty (leave it out for the built-in message)"));
  }
  return config::Action(std::move(a));
}

// simulate's answer when every request of the integration gets the same one.
inline Simulation same_answer(unsigned status, std::string body = {}) {
  Simulation s;
  s.answer = [status, body = std::move(body)](const outbound::ClientRequest&) -> std::optional<outbound::ClientResponse> {
    outbound::ClientResponse res;
    res.status = status;
    res.body = body;
    return res;
  };
  return s;
}

}  // namespace asc_webhookd::integrations
