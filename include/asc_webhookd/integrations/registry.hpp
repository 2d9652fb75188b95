#pragma once
// The one list of integrations (registry.cpp). Every place that needs to
// know the kinds — the loader, the stored form, delivery, the console,
// `simulate`, the configuration reference — loops over it, so a new
// integration is its folder under integrations/, a line here in
// registry.cpp and kinds.hpp, its sources in CMake and its keys in the
// configuration reference.
#include "asc_webhookd/config/keys.hpp"
#include "asc_webhookd/integrations/kinds.hpp"
#include "asc_webhookd/outbound/client.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace YAML {
class Node;
}
namespace asc_webhookd::config {
struct Config;
namespace detail {
class YamlReader;
}
}  // namespace asc_webhookd::config
namespace asc_webhookd::actions {
struct Job;
struct Services;
struct Outcome;
}  // namespace asc_webhookd::actions

namespace asc_webhookd::integrations {

using TemplatePredicate = std::function<bool(const std::string&)>;

// What `simulate` answers this integration's requests with: what the service
// answers on success (nullopt: a plain 200 "ok"), and a note on the action's
// line where the answers are made up.
struct Simulation {
  std::function<std::optional<outbound::ClientResponse>(const outbound::ClientRequest&)> answer;
  std::string note;
};

struct Integration {
  // The YAML key under connections: and rules[].actions[], and the stored
  // form's "kind".
  std::string_view kind;
  // Its alternative in config::Action (action_index<its action>()).
  std::size_t alternative;
  // Its sections of the configuration reference (config/keys.hpp): those
  // under connections.<kind>.* first, then rules[].actions[].<kind>.
  std::span<const config::SectionKeys> sections;
  // Loading (config/): the named connections under connections.<kind>, and
  // one action of a rule.
  void (*load_connections)(config::detail::YamlReader& r, const YAML::Node& named, config::Connections& out);
  std::optional<config::Action> (*load_action)(config::detail::YamlReader& r, const YAML::Node& node,
                                               const config::Config& cfg, const std::string& rule);
  // The stored form read back (written by the settings' to_json).
  config::Action (*from_json)(const nlohmann::json& stored);
  // Whether `pred` holds for any of the action's templates.
  bool (*any_template)(const config::Action& action, const TemplatePredicate& pred);
  // One attempt (delivery/).
  boost::asio::awaitable<actions::Outcome> (*run)(const actions::Job& job, actions::Services& services);
  // Whether the built-in message shows the version's review history.
  bool (*builtin_shows_history)(const config::Action& action);
  // What a job acts on, for the console's list, from the stored form.
  std::string (*target)(const nlohmann::json& stored);
  // `simulate`'s made-up answers, given the rendered template data.
  Simulation (*simulate)(const config::Action& action, const nlohmann::json& context);
};

// Every integration, in the order the reference documents them.
std::span<const Integration> all();
// By kind; null for one not known.
const Integration* find(std::string_view kind);
// The integration an action belongs to.
const Integration& of(const config::Action& action);
// "a, b, c or d": the kinds, for messages.
std::string kind_names();

// The index of T among config::Action's alternatives.
template <class T, std::size_t I = 0>
constexpr std::size_t action_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, config::Action>, T>) return I;
  else return action_index<T, I + 1>();
}

}  // namespace asc_webhookd::integrations
