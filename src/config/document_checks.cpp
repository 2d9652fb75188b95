// Checks of the whole document once every section is loaded (the ones
// that need several sections at once), and the nesting bound applied to
// the text before it is parsed.
#include "sections.hpp"

#include <algorithm>
#include <variant>

namespace asc_webhookd::config::detail {

// Without app_store_connect nothing is looked up: an action that shows
// the looked-up data (version, build, a tester's comment) would render it
// empty, silently. Say so where the action is written.
void warn_lookups_without_api(YamlReader& r, const Config& cfg) {
  for (const auto& rule : cfg.rules)
    for (const auto& action : rule.actions) {
      const bool names_lookup = any_template(action, [](const std::string& text) {
        for (const char* section : {"{{instance.", "{{app.", "{{build.", "{{{instance.", "{{{app.", "{{{build.",
                                    "{{#instance", "{{#app", "{{#build"})
          if (text.find(section) != std::string::npos) return true;
        return false;
      });
      if (!names_lookup) continue;
      const SourcePos pos = std::visit([](const auto& a) { return a.pos; }, action);
      r.warning_at(pos, "rule " + rule.name + ": this " + kind_of(action) +
                            " action shows App Store Connect details (instance, app or build), but "
                            "app_store_connect is not configured: they render empty (add app_store_connect "
                            "to look them up)");
    }
}

// The window must not reach past the retention (events pruned here would be
// found in Apple's log and stored again); linked webhooks need the API.
void check_reconcile(YamlReader& r, const YAML::Node& root, const Config& cfg) {
  auto node = YamlReader::field(root, "reconcile");
  if (cfg.reconcile.window > cfg.store.retention)
    r.error(node ? *node : root, "reconcile.window (" + format_duration(cfg.reconcile.window) +
                                     ") must not be longer than store.retention (" + format_duration(cfg.store.retention) +
                                     "): events pruned here would be found in Apple's log and planned again");
  // apple.url is what the health check compares Apple's URL with.
  auto hooks = YamlReader::field(root, "webhooks");
  for (const auto& w : cfg.webhooks) {
    if (!w.apple || w.apple->url.empty()) continue;
    const YAML::Node& at = hooks ? *hooks : root;
    if (w.apple->webhook_id.empty())
      r.warning(at, "webhook " + w.name + " has apple.url but no apple.webhook_id: nothing checks that Apple calls it "
                    "(asc-webhookd apple setup prints the id)");
    const std::string route = "/webhooks/" + w.name;
    if (w.apple->url.size() < route.size() || w.apple->url.compare(w.apple->url.size() - route.size(), route.size(), route) != 0)
      r.warning(at, "webhook " + w.name + " apple.url (" + w.apple->url + ") does not end in " + route +
                    ": Apple will call that URL; the daemon answers on " + route + " unless a proxy rewrites the path");
  }
  if (cfg.app_store_connect) return;
  for (const auto& w : cfg.webhooks)
    if (w.apple && !w.apple->webhook_id.empty())
      r.warning(node ? *node : root, "webhook " + w.name +
                                         " is linked to Apple's webhook, but app_store_connect is not configured: "
                                         "nothing is reconciled (add app_store_connect with an API key)");
}

// Reviews are read with the API key; a backfill reaching past the retention
// would announce again the reviews pruned here.
void check_reviews(YamlReader& r, const YAML::Node& root, const Config& cfg) {
  auto hooks = YamlReader::field(root, "webhooks");
  if (!hooks || !hooks->IsSequence()) return;
  for (const auto& item : *hooks) {
    auto name = YamlReader::field(item, "name");
    auto apple = YamlReader::field(item, "apple");
    auto reviews = apple ? YamlReader::field(*apple, "reviews") : std::nullopt;
    const WebhookConfig* w = name && name->IsScalar() ? cfg.find_webhook(name->Scalar()) : nullptr;
    if (!reviews || !w || !w->apple || !w->apple->reviews) continue;
    if (!cfg.app_store_connect)
      r.error(*reviews, "webhook " + w->name + " has apple.reviews, but app_store_connect is not configured: reviews are "
                        "read with an App Store Connect API key (add app_store_connect)");
    if (w->apple->reviews->backfill > cfg.store.retention)
      r.error(*reviews, "webhook " + w->name + " apple.reviews.backfill (" + format_duration(w->apple->reviews->backfill) +
                            ") must not be longer than store.retention (" + format_duration(cfg.store.retention) +
                            "): reviews pruned here would be announced again");
  }
}

// Secret references are resolved where credentials live (connections, the
// webhooks' secrets, app_store_connect's key); an action's strings are
// templates, sent as written. A reference there would go out literally.
void reject_references_in_actions(YamlReader& r, const Config& cfg) {
  for (const auto& rule : cfg.rules)
    for (const auto& action : rule.actions) {
      std::string found;
      any_template(action, [&](const std::string& text) {
        for (const char* kind : {"${env:", "${file:", "${credential:"}) {
          if (auto p = text.find(kind); p != std::string::npos) {
            found = text.substr(p, text.find('}', p) == std::string::npos ? 40 : text.find('}', p) - p + 1);
            return true;
          }
        }
        return false;
      });
      if (found.empty()) continue;
      const SourcePos pos = std::visit([](const auto& a) { return a.pos; }, action);
      r.error_at(pos, "rule " + rule.name + ": " + found + " in a " + kind_of(action) +
                          " action would be sent as written: secret references are resolved only in connections "
                          "(tokens, URLs, headers), webhooks' secrets and app_store_connect; put it on a connection and "
                          "name the connection here");
    }
}

// How deep the text nests (flow brackets, "- - -" runs, indentation), by a
// scan that ignores quoted text: yaml-cpp recurses once per level, and a few
// hundred thousand levels would exhaust the stack.
std::size_t nesting_depth(std::string_view yaml) {
  std::size_t deepest = 0, flow = 0;
  bool line_start = true;
  std::size_t indent = 0, dashes = 0;
  char quote = 0;
  for (char c : yaml) {
    if (c == '\n') {
      if (quote == '\n') quote = 0;  // the end of a comment
      line_start = true;
      indent = dashes = 0;
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (line_start && c == ' ') {
      ++indent;
      continue;
    }
    if (line_start && c == '-') {
      ++dashes;
      continue;
    }
    line_start = false;
    if (c == '"' || c == '\'') quote = c;
    else if (c == '[' || c == '{') ++flow;
    else if ((c == ']' || c == '}') && flow > 0) --flow;
    else if (c == '#') quote = '\n';  // a comment runs to the end of the line
    deepest = std::max(deepest, flow + dashes + indent / 2);
  }
  return deepest;
}

namespace {
// Aliases can also nest deeper than the text does (or refer to themselves):
// the depth is bounded too.
constexpr std::size_t kMaxExpandedDepth = 256;

bool walk_within(const YAML::Node& node, std::size_t& left, std::size_t depth) {
  if (left == 0 || depth > kMaxExpandedDepth) return false;
  --left;
  if (node.IsSequence()) {
    for (const auto& item : node)
      if (!walk_within(item, left, depth + 1)) return false;
  } else if (node.IsMap()) {
    for (const auto& kv : node)
      if (!walk_within(kv.first, left, depth + 1) || !walk_within(kv.second, left, depth + 1)) return false;
  }
  return true;
}
}  // namespace

bool expands_within(const YAML::Node& node, std::size_t budget) { return walk_within(node, budget, 0); }

}  // namespace asc_webhookd::config::detail
