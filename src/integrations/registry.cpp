// The one list of integrations. A new one is a line here (and its settings'
// line in kinds.hpp).
#include "asc_webhookd/integrations/registry.hpp"

#include <array>
#include <functional>

namespace asc_webhookd::integrations {

namespace github { const Integration& integration(); }
namespace slack { const Integration& integration(); }
namespace jira { const Integration& integration(); }
namespace http { const Integration& integration(); }
namespace teams { const Integration& integration(); }
namespace discord { const Integration& integration(); }
namespace gitlab { const Integration& integration(); }

namespace {

// In the reference's order; by alternative, so of() is an index.
std::vector<Integration> build() {
  std::vector<Integration> list{github::integration(), slack::integration(), jira::integration(), http::integration(),
                                teams::integration(),  discord::integration(), gitlab::integration()};
  return list;
}

}  // namespace

std::span<const Integration> all() {
  static const std::vector<Integration> list = build();
  return list;
}

const Integration* find(std::string_view kind) {
  for (const auto& i : all())
    if (i.kind == kind) return &i;
  return nullptr;
}

const Integration& of(const config::Action& action) {
  for (const auto& i : all())
    if (i.alternative == action.index()) return i;
  std::abort();  // every alternative of config::Action is listed (registry_test)
}

std::string kind_names() {
  std::string out;
  const auto list = all();
  for (std::size_t n = 0; n < list.size(); ++n) {
    if (n > 0) out += n + 1 == list.size() ? " or " : ", ";
    out += list[n].kind;
  }
  return out;
}

}  // namespace asc_webhookd::integrations
