// The server, store, delivery, reconcile, log, app_store_connect and
// webhooks sections: each read into its struct, every mistake reported at
// its line. Connections, rules and actions have their own files.
#include "sections.hpp"

#include "asc_webhookd/apple/territories.hpp"

#include "asc_webhookd/core/jwt.hpp"
#include "asc_webhookd/core/log.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

namespace asc_webhookd::config::detail {

void load_server(YamlReader& r, const YAML::Node& n, ServerConfig& out) {
  if (!r.section_map(n, "server", "server"))
    return;
  if (auto v = YamlReader::field(n, "listen")) {
    if (auto list = r.string_list(*v, "server.listen")) {
      out.listen.clear();
      for (const auto& s : *list) {
        std::string err;
        if (auto a = parse_listen_address(s, err)) out.listen.push_back(*a);
        else r.error(*v, "server.listen: \"" + s + "\": " + err);
      }
      if (list->empty()) r.error(*v, "server.listen must name at least one address");
    }
  }
  if (auto v = YamlReader::field(n, "tls")) {
    if (r.section_map(*v, "server.tls", "server.tls")) {
      TlsConfig tls;
      auto cert = YamlReader::field(*v, "cert_file");
      auto key = YamlReader::field(*v, "key_file");
      if (!cert || !key) r.error(*v, "server.tls needs both cert_file and key_file");
      for (auto [node, dest, what] : {std::tuple{cert, &tls.cert_file, "server.tls.cert_file"},
                                      std::tuple{key, &tls.key_file, "server.tls.key_file"}}) {
        if (!node) continue;
        if (auto s = r.nonempty_string(*node, what)) {
          if (!std::ifstream(*s)) r.error(*node, std::string(what) + ": cannot read " + *s);
          *dest = *s;
        }
      }
      out.tls = tls;
    }
  }
  if (auto v = YamlReader::field(n, "max_body"))
    if (auto s = r.size(*v, "server.max_body")) {
      if (*s == 0) r.error(*v, "server.max_body must be greater than 0");
      out.max_body = *s;
    }
  for (auto [key, dest] : {std::pair{"header_timeout", &out.header_timeout},
                           std::pair{"body_timeout", &out.body_timeout}, std::pair{"idle_timeout", &out.idle_timeout}})
    if (auto v = YamlReader::field(n, key))
      if (auto d = r.duration(*v, std::string("server.") + key)) {
        if (d->count() == 0) r.error(*v, std::string("server.") + key + " must be greater than 0");
        *dest = *d;
      }
  if (auto v = YamlReader::field(n, "max_connections"))
    if (auto i = r.integer(*v, "server.max_connections", 1, 1'000'000)) out.max_connections = static_cast<std::size_t>(*i);
  if (auto v = YamlReader::field(n, "io_threads"))
    if (auto i = r.integer(*v, "server.io_threads", 0, 256)) out.io_threads = static_cast<unsigned>(*i);
  if (auto v = YamlReader::field(n, "trusted_proxies")) {
    if (auto list = r.string_list(*v, "server.trusted_proxies")) {
      out.trusted_proxies.clear();
      for (const auto& s : *list) {
        if (auto c = Cidr::parse(s)) out.trusted_proxies.push_back(*c);
        else r.error(*v, "server.trusted_proxies: \"" + s + "\" is not an address or CIDR block");
      }
    }
  }
  if (auto v = YamlReader::field(n, "admin_token"))
    if (auto s = r.secret(*v, "server.admin_token")) {
      if (!r.unresolved(*s) && s->reveal().size() < 16)
        r.error(*v, "server.admin_token must be at least 16 characters (openssl rand -hex 32 makes a good one)");
      out.admin_token = *s;
    }
  if (auto v = YamlReader::field(n, "admin_listen")) {
    if (auto s = r.nonempty_string(*v, "server.admin_listen")) {
      std::string err;
      if (auto a = parse_listen_address(*s, err)) out.admin_listen = *a;
      else r.error(*v, "server.admin_listen: \"" + *s + "\": " + err);
      // The same address would put /api and /ui back on the public port.
      if (out.admin_listen && out.admin_listen->port != 0)
        for (const auto& l : out.listen)
          if (l == *out.admin_listen)
            r.error(*v, "server.admin_listen (" + l.text() + ") must differ from server.listen: the console is "
                        "meant to be off the address Apple posts to");
    }
  }
  warn_plain_http_console(r, n, out);
}

namespace {
bool loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "::1" || host == "localhost";
}
}  // namespace

// The console's bearer token crosses the network in clear when it is
// served over plain HTTP on an address other machines reach.
void warn_plain_http_console(YamlReader& r, const YAML::Node& n, const ServerConfig& out) {
  if (!out.admin_token || out.tls) return;
  std::vector<ListenAddress> console = out.admin_listen ? std::vector<ListenAddress>{*out.admin_listen} : out.listen;
  for (const auto& a : console)
    if (!loopback(a.host)) {
      auto node = YamlReader::field(n, out.admin_listen ? "admin_listen" : "admin_token");
      r.warning(node ? *node : n, "the console (server.admin_token) is served over plain HTTP on " + a.text() +
                                      ", which other machines can reach: its token would cross the network in "
                                      "clear (add server.tls, put a TLS proxy in front, or set admin_listen to a "
                                      "127.0.0.1 address)");
      return;
    }
}

void load_store(YamlReader& r, const YAML::Node& n, const Environment& env, StoreConfig& out) {
  if (auto dir = env.getenv("STATE_DIRECTORY"); dir && !dir->empty())
    out.path = dir->substr(0, dir->find(':')) + "/state.db";  // systemd may list several
  else
    out.path = "./asc-webhookd.db";
  if (!r.section_map(n, "store", "store")) return;
  const auto path = YamlReader::field(n, "path");
  if (path)
    if (auto s = r.nonempty_string(*path, "store.path")) out.path = *s;
  if (auto v = YamlReader::field(n, "url")) {
    if (path) r.error(*v, "store.path and store.url are exclusive: a SQLite file or a PostgreSQL database");
    if (auto s = r.secret(*v, "store.url", /*credential=*/false)) {
      if (s->reveal().rfind("postgresql://", 0) != 0 && s->reveal().rfind("postgres://", 0) != 0)
        r.error(*v, "store.url must be a PostgreSQL URL (postgresql://USER@HOST/DATABASE)");
      else out.url = std::move(*s);
    }
  }
  if (auto v = YamlReader::field(n, "retention"))
    if (auto d = r.duration(*v, "store.retention")) out.retention = *d;
}

void load_delivery(YamlReader& r, const YAML::Node& n, DeliveryConfig& out) {
  if (!r.section_map(n, "delivery", "delivery"))
    return;
  if (auto v = YamlReader::field(n, "concurrency"))
    if (auto i = r.integer(*v, "delivery.concurrency", 1, 256)) out.concurrency = static_cast<unsigned>(*i);
  if (auto v = YamlReader::field(n, "max_attempts"))
    if (auto i = r.integer(*v, "delivery.max_attempts", 1, 1000)) out.max_attempts = static_cast<unsigned>(*i);
  for (auto [key, dest] : {std::pair{"initial_backoff", &out.initial_backoff},
                           std::pair{"max_backoff", &out.max_backoff}, std::pair{"max_age", &out.max_age},
                           std::pair{"timeout", &out.timeout}})
    if (auto v = YamlReader::field(n, key))
      if (auto d = r.duration(*v, std::string("delivery.") + key)) {
        if (d->count() == 0) r.error(*v, std::string("delivery.") + key + " must be greater than 0");
        *dest = *d;
      }
  if (out.max_backoff < out.initial_backoff)
    r.error(n, "delivery.max_backoff must not be shorter than delivery.initial_backoff");
  // 0 is allowed (a destination whose search is immediately consistent).
  if (auto v = YamlReader::field(n, "ticket_search_lag"))
    if (auto d = r.duration(*v, "delivery.ticket_search_lag")) out.ticket_search_lag = *d;
}

void load_reconcile(YamlReader& r, const YAML::Node& n, ReconcileConfig& out) {
  if (!r.section_map(n, "reconcile", "reconcile")) return;
  if (auto v = YamlReader::field(n, "interval"))
    if (auto d = r.duration(*v, "reconcile.interval")) out.interval = *d;
  if (auto v = YamlReader::field(n, "window"))
    if (auto d = r.duration(*v, "reconcile.window")) {
      if (d->count() == 0) r.error(*v, "reconcile.window must be greater than 0");
      else if (*d > kAppleDeliveryLogLimit) r.error(*v, "reconcile.window is at most 10d: Apple lists deliveries of the last 10 days only");
      out.window = *d;
    }
}

void load_log(YamlReader& r, const YAML::Node& n, LogConfig& out) {
  if (!r.section_map(n, "log", "log")) return;
  if (auto v = YamlReader::field(n, "level")) {
    if (auto s = r.string(*v, "log.level")) {
      if (auto l = log::parse_level(*s)) out.level = *l;
      else r.error(*v, "log.level must be one of trace, debug, info, warn, error");
    }
  }
  if (auto v = YamlReader::field(n, "format")) {
    if (auto s = r.string(*v, "log.format")) {
      if (*s == "text") out.json = false;
      else if (*s == "json") out.json = true;
      else r.error(*v, "log.format must be text or json");
    }
  }
}

void load_app_store_connect(YamlReader& r, const YAML::Node& n, std::optional<AppStoreConnectConfig>& out) {
  if (!r.section_map(n, "app_store_connect", "app_store_connect")) return;
  AppStoreConnectConfig asc;
  if (auto v = YamlReader::field(n, "issuer_id"))
    if (auto s = r.nonempty_string(*v, "app_store_connect.issuer_id")) asc.issuer_id = *s;
  if (auto v = YamlReader::field(n, "key_id")) {
    if (auto s = r.nonempty_string(*v, "app_store_connect.key_id")) asc.key_id = *s;
  } else {
    r.error(n, "app_store_connect.key_id is required");
  }
  if (auto v = YamlReader::field(n, "private_key")) {
    if (auto s = r.secret(*v, "app_store_connect.private_key")) {
      // Loaded now: a key that does not load stops the start, not the first event.
      if (r.unresolved(*s))
        ;  // not read here: checked by the service (and by check-config where it can read it)
      else if (s->reveal().find("-----BEGIN PRIVATE KEY-----") == std::string::npos)
        r.error(*v, "app_store_connect.private_key is not a PEM PKCS#8 key (an AuthKey_*.p8 file)");
      else if (auto k = jwt::SigningKey::load(s->reveal(), jwt::Algorithm::es256); !k)
        r.error(*v, "app_store_connect.private_key: " + k.error().message + " (an AuthKey_*.p8 file holds a P-256 key)");
      asc.private_key = *s;
    }
  } else {
    r.error(n, "app_store_connect.private_key is required");
  }
  if (auto v = YamlReader::field(n, "base_url"))
    if (auto s = r.url(*v, "app_store_connect.base_url")) asc.base_url = *s;
  if (auto v = YamlReader::field(n, "enrich_attempts"))
    if (auto i = r.integer(*v, "app_store_connect.enrich_attempts", 1, 100)) asc.enrich_attempts = static_cast<unsigned>(*i);
  out = asc;
}

namespace {

void load_review_polling(YamlReader& r, const YAML::Node& n, const std::string& webhook, std::optional<ReviewPolling>& out) {
  if (!r.section_map(n, "webhook " + webhook + " apple.reviews", "webhooks[].apple.reviews")) return;
  ReviewPolling p;
  if (auto v = YamlReader::field(n, "interval"))
    if (auto d = r.duration(*v, "webhooks[].apple.reviews.interval")) {
      if (*d < kMinReviewInterval)
        r.error(*v, "webhooks[].apple.reviews.interval is at least 1m (each pass costs requests of the API key's hourly limit)");
      p.interval = *d;
    }
  if (auto v = YamlReader::field(n, "backfill"))
    if (auto d = r.duration(*v, "webhooks[].apple.reviews.backfill")) p.backfill = *d;
  if (auto v = YamlReader::field(n, "territories"))
    if (auto list = r.string_list(*v, "webhooks[].apple.reviews.territories")) {
      for (const auto& t : *list)
        if (!apple::is_territory_code(t))
          r.warning(*v, "webhooks[].apple.reviews.territories: \"" + t +
                            "\" is not a territory code App Store Connect uses (three letters, ISO 3166-1 alpha-3: USA, GBR, DEU)");
      p.territories = *list;
    }
  out = p;
}

}  // namespace

void load_webhooks(YamlReader& r, const YAML::Node& n, std::vector<WebhookConfig>& out) {
  if (!n.IsSequence()) {
    r.error(n, "webhooks must be a list");
    return;
  }
  static const std::regex name_re("[a-z0-9][a-z0-9_-]*");
  std::set<std::string> names;
  for (const auto& item : n) {
    if (!r.section_map(item, "webhook", "webhooks[]")) continue;
    WebhookConfig w;
    if (auto v = YamlReader::field(item, "name")) {
      if (auto s = r.nonempty_string(*v, "webhooks[].name")) {
        if (!std::regex_match(*s, name_re))
          r.error(*v, "webhook name \"" + *s + "\" must match [a-z0-9][a-z0-9_-]* (it becomes the URL path)");
        else if (!names.insert(*s).second)
          r.error(*v, "duplicate webhook name \"" + *s + "\"");
        w.name = *s;
      }
    } else {
      r.error(item, "webhook needs a name");
    }
    if (auto v = YamlReader::field(item, "secret")) {
      if (auto s = r.secret(*v, "webhook " + w.name + " secret")) w.secret = *s;
    } else {
      r.error(item, "webhook " + w.name + " needs a secret");
    }
    if (auto v = YamlReader::field(item, "previous_secrets")) {
      if (!v->IsSequence()) {
        r.error(*v, "previous_secrets must be a list");
      } else {
        for (const auto& p : *v)
          if (auto s = r.secret(p, "webhook " + w.name + " previous_secrets[]")) w.previous_secrets.push_back(*s);
      }
    }
    if (auto v = YamlReader::field(item, "app_name"))
      if (auto s = r.string(*v, "webhooks[].app_name")) w.app_name = *s;
    if (auto v = YamlReader::field(item, "apple")) {
      if (r.section_map(*v, "webhook " + w.name + " apple", "webhooks[].apple")) {
        AppleLink link;
        if (auto id = YamlReader::field(*v, "app_id")) {
          if (auto s = r.nonempty_string(*id, "webhooks[].apple.app_id")) {
            if (s->find_first_not_of("0123456789") != std::string::npos)
              r.error(*id, "webhooks[].apple.app_id is the app's Apple ID, a number (App Store Connect → App Information)");
            link.app_id = *s;
          }
        } else {
          r.error(*v, "webhook " + w.name + " apple needs app_id (the app's Apple ID)");
        }
        if (auto id = YamlReader::field(*v, "webhook_id"))
          if (auto s = r.nonempty_string(*id, "webhooks[].apple.webhook_id")) link.webhook_id = *s;
        // Kept as written (no trailing slash dropped): the health check
        // compares it with the URL Apple calls, character for character.
        if (auto u = YamlReader::field(*v, "url"))
          if (auto s = r.nonempty_string(*u, "webhooks[].apple.url")) {
            if (s->rfind("https://", 0) != 0 && s->rfind("http://", 0) != 0)
              r.error(*u, "webhooks[].apple.url is the public URL Apple calls (https://HOST/webhooks/" + w.name + ")");
            link.url = *s;
          }
        if (auto rv = YamlReader::field(*v, "reviews")) load_review_polling(r, *rv, w.name, link.reviews);
        w.apple = link;
      }
    }
    out.push_back(std::move(w));
  }
  if (n.size() == 0) r.error(n, "webhooks must list at least one webhook");
}

}  // namespace asc_webhookd::config::detail
