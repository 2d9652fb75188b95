// rules: `when` matchers and the list of actions they run (each action is
// read by actions.cpp). Webhook names are checked here, so a typo fails
// check-config rather than the first delivery.
#include "asc_webhookd/apple/territories.hpp"
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

// `when.rating`: 3, [1, 2], "<=2", ">=4", "<3", ">3" → the ratings allowed.
std::optional<std::vector<int>> parse_rating(const YAML::Node& v) {
  auto one = [](const std::string& s) -> std::optional<int> {
    if (s.size() != 1 || s[0] < '1' || s[0] > '5') return std::nullopt;
    return s[0] - '0';
  };
  std::vector<int> out;
  if (v.IsSequence()) {
    if (v.size() == 0) return std::nullopt;
    for (const auto& x : v) {
      if (!x.IsScalar()) return std::nullopt;
      auto n = one(x.Scalar());
      if (!n) return std::nullopt;
      if (std::find(out.begin(), out.end(), *n) == out.end()) out.push_back(*n);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  if (!v.IsScalar()) return std::nullopt;
  std::string s = v.Scalar();
  s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
  std::string op;
  for (const char* o : {"<=", ">=", "<", ">", "="})
    if (s.rfind(o, 0) == 0) {
      op = o;
      break;
    }
  auto n = one(s.substr(op.size()));
  if (!n) return std::nullopt;
  for (int r = 1; r <= 5; ++r)
    if ((op == "<=" && r <= *n) || (op == ">=" && r >= *n) || (op == "<" && r < *n) || (op == ">" && r > *n) ||
        ((op.empty() || op == "=") && r == *n))
      out.push_back(r);
  if (out.empty()) return std::nullopt;  // "<1", ">5": nothing could match
  return out;
}

void load_review_conditions(YamlReader& r, const YAML::Node& when, Rule& rule) {
  if (auto v = YamlReader::field(when, "rating")) {
    if (auto allowed = parse_rating(*v)) rule.when.rating.values = *allowed;
    else
      r.error(*v, "rule " + rule.name +
                      ": when.rating is a star rating from 1 to 5: one number, a list such as [1, 2], or a bound such "
                      "as \"<=2\" or \">=4\"");
  }
  load_match(r, when, "territory", rule.name, rule.when.territory);
  for (const auto& t : rule.when.territory.values)
    if (t != "*" && !apple::is_territory_code(t))
      r.warning(*YamlReader::field(when, "territory"),
                "rule " + rule.name + ": when.territory \"" + t +
                    "\" is not a territory code App Store Connect uses (three letters, ISO 3166-1 alpha-3: USA, GBR, DEU)");
  if (auto v = YamlReader::field(when, "has_response"))
    if (auto b = r.boolean(*v, "rule " + rule.name + ": when.has_response")) rule.when.has_response = *b;
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
        load_review_conditions(r, *when, rule);
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
