// rules: `when` matchers and the list of actions they run (each action is
// read by actions.cpp). Webhook names are checked here, so a typo fails
// check-config rather than the first delivery.
#include "asc_webhookd/core/spelling.hpp"
#include "asc_webhookd/event/event_type.hpp"
#include "asc_webhookd/integrations/registry.hpp"
#include "sections.hpp"

#include <algorithm>
#include <set>

namespace asc_webhookd::config::detail {
namespace {

// " (did you mean FAILED?)", or, with nothing close, a plain ending: the
// value is kept either way (Apple adds values).
std::string did_you_mean(const std::string& value, std::span<const std::string_view> documented) {
  if (auto m = asc_webhookd::closest_match(value, documented)) return " (did you mean " + *m + "?)";
  return " (it is accepted, in case Apple added it)";
}

void load_match(YamlReader& r, const YAML::Node& when, std::string_view key, const std::string& rule, Match& out) {
  auto v = YamlReader::field(when, key);
  if (!v) return;
  if (auto list = r.string_list(*v, "rule " + rule + ": when." + std::string(key))) {
    for (const auto& s : *list)
      if (s.empty()) r.error(*v, "rule " + rule + ": when." + std::string(key) + " values must not be empty");
    out.values = *list;
    if (list->empty()) r.error(*v, "rule " + rule + ": when." + std::string(key) + " is an empty list; it would match nothing");
  }
}

}  // namespace

void load_rules(YamlReader& r, const YAML::Node& n, const Config& cfg, std::vector<Rule>& out) {
  if (!n.IsSequence()) {
    r.error(n, "rules must be a list");
    return;
  }
  std::set<std::string> names;
  for (const auto& item : n) {
    if (!r.section_map(item, "rule", "rules[]")) continue;
    Rule rule;
    rule.pos = r.pos(item);
    if (auto v = YamlReader::field(item, "name")) {
      if (auto s = r.nonempty_string(*v, "rule name")) {
        if (!names.insert(*s).second) r.error(*v, "duplicate rule name \"" + *s + "\"");
        rule.name = *s;
      }
    } else {
      r.error(item, "a rule needs a name");
    }
    if (auto when = YamlReader::field(item, "when")) {
      if (r.section_map(*when, "rule " + rule.name + ": when", "rules[].when")) {
        load_match(r, *when, "webhook", rule.name, rule.when.webhook);
        load_match(r, *when, "event", rule.name, rule.when.event);
        load_match(r, *when, "from", rule.name, rule.when.from);
        load_match(r, *when, "to", rule.name, rule.when.to);
        for (const auto& w : rule.when.webhook.values)
          if (w != "*" && !cfg.find_webhook(w))
            r.error(*YamlReader::field(*when, "webhook"), "rule " + rule.name + ": no webhook named \"" + w + "\"");
        for (const auto& e : rule.when.event.values)
          if (e != "*" && !event::find_event_type(e))
            r.warning(*YamlReader::field(*when, "event"),
                      "rule " + rule.name + ": \"" + e + "\" is not an App Store Connect event type Apple documents" +
                          did_you_mean(e, event::known_event_type_names()));
        for (const char* key : {"from", "to"})
          for (const auto& st : (key[0] == 'f' ? rule.when.from : rule.when.to).values) {
            const auto states = event::documented_states();
            if (st != "*" && std::find(states.begin(), states.end(), st) == states.end())
              r.warning(*YamlReader::field(*when, key), "rule " + rule.name + ": when." + key + " \"" + st +
                                                            "\" is not a state Apple documents" + did_you_mean(st, states));
          }
      }
    }
    if (auto v = YamlReader::field(item, "stop"))
      if (auto b = r.boolean(*v, "stop")) rule.stop = *b;
    auto actions = YamlReader::field(item, "actions");
    if (!actions || !actions->IsSequence() || actions->size() == 0) {
      r.error(actions ? *actions : YAML::Node(item), "rule " + rule.name + " needs actions: a list of " + integrations::kind_names() + " actions");
    } else {
      for (const auto& a : *actions) {
        if (!a.IsMap() || a.size() != 1) {
          r.error(a, "rule " + rule.name + ": each action is a mapping with one key: " + integrations::kind_names());
          continue;
        }
        auto it = a.begin();
        const std::string kind = it->first.Scalar();
        if (auto parsed = load_action(r, it->first, it->second, cfg, rule.name)) rule.actions.push_back(std::move(*parsed));
      }
    }
    out.push_back(std::move(rule));
  }
}

}  // namespace asc_webhookd::config::detail
