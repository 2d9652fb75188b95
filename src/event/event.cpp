#include "asc_webhookd/event/event.hpp"

#include "asc_webhookd/event/review.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace asc_webhookd::event {
namespace {
// Apple's ids are UUIDs or numbers and its types short names: these bounds
// keep a hostile payload from storing (and templating) megabytes of "id".
constexpr std::size_t kMaxId = 256;
constexpr std::size_t kMaxName = 128;  // a type, a state
// A parse error quoting the body is cut to this many bytes (a 500,000-digit
// number would otherwise come back whole in the 400 and the log line).
constexpr std::size_t kMaxQuoted = 200;
constexpr int kFirstYear = 1678;
constexpr int kLastYear = 2261;
}  // namespace

namespace {

using json = nlohmann::json;

// Bodies come from the network: bound nesting so a hostile body cannot make
// destruction or later traversal recurse without limit.
constexpr std::size_t kMaxDepth = 64;

struct TooDeep {};

Error err(std::string m) { return Error{std::move(m)}; }

// Characters, as the limits say: UTF-8 bytes that start a code point.
std::size_t characters(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// At most `max` bytes of `s`, cut before a code point's continuation bytes.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80) --end;
  s.resize(end);
  return s + "… (cut)";
}

// Reads an optional string member; a present non-string is an error.
bool opt_string(const json& obj, const char* key, const std::string& path, std::optional<std::string>& out,
                std::string& error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    error = path + "." + key + " must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

// relationships.<name>: {data:{type,id}, links:{self}} or, for background
// assets, {type, id, links:{self}}.
bool resource(const json& rel, const std::string& path, std::optional<ResourceRef>& out, std::string& error) {
  if (!rel.is_object()) {
    error = path + " must be an object";
    return false;
  }
  const json* ident = &rel;
  if (auto d = rel.find("data"); d != rel.end() && !d->is_null()) {
    if (!d->is_object()) {
      error = path + ".data must be an object";
      return false;
    }
    ident = &*d;
  }
  auto t = ident->find("type");
  auto i = ident->find("id");
  if (t == ident->end() || !t->is_string() || i == ident->end() || !i->is_string() ||
      t->get_ref<const std::string&>().empty() || i->get_ref<const std::string&>().empty()) {
    error = path + " needs a string type and id";
    return false;
  }
  if (characters(t->get_ref<const std::string&>()) > kMaxName || characters(i->get_ref<const std::string&>()) > kMaxId) {
    error = path + " type or id is too long (128 and 256 characters at most)";
    return false;
  }
  ResourceRef r{t->get<std::string>(), i->get<std::string>(), {}};
  if (auto l = rel.find("links"); l != rel.end() && l->is_object()) {
    if (auto s = l->find("self"); s != l->end()) {
      if (!s->is_string()) {
        error = path + ".links.self must be a string";
        return false;
      }
      r.url = s->get<std::string>();
    }
  }
  out = std::move(r);
  return true;
}

bool string_list(const json& obj, const char* key, std::vector<std::string>& out, std::string& error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  bool ok = it->is_array();
  for (const auto& x : ok ? *it : json::array()) {
    if (!x.is_string()) ok = false;
    else out.push_back(x.get<std::string>());
  }
  if (!ok) error = std::string("data.attributes.") + key + " must be a list of strings";
  return ok;
}

// A webhookHealthChanged event's verdict (data.attributes.healthy, problems,
// previous); absent when the event carries no `healthy`.
bool read_health(const json& attributes, std::optional<WebhookHealth>& out, std::string& error) {
  auto healthy = attributes.find("healthy");
  if (healthy == attributes.end() || healthy->is_null()) return true;
  if (!healthy->is_boolean()) {
    error = "data.attributes.healthy must be true or false";
    return false;
  }
  WebhookHealth h;
  h.healthy = healthy->get<bool>();
  if (!string_list(attributes, "problems", h.problems, error) || !string_list(attributes, "previous", h.previous, error))
    return false;
  out = std::move(h);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_nanos(std::string_view s) {
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t k = pos; k < pos + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      out = out * 10 + (s[k] - '0');
    }
    return true;
  };
  int year, mon, day, hour, min, sec;
  if (!digits(0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(5, 2, mon) || s[7] != '-' ||
      !digits(8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, hour) || s[13] != ':' ||
      !digits(14, 2, min) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return std::nullopt;
  // Nanoseconds since 1970 fit in 64 bits from 1677-09-21 to 2262-04-11 only.
  if (year < kFirstYear || year > kLastYear) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return std::nullopt;
    for (std::size_t k = n; k < 9; ++k) nanos *= 10;
  }
  std::int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(pos + 4, 2, om))
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset;
  return secs * 1'000'000'000 + nanos;
}

Result<Event, Error> decode_event(std::string_view body) {
  json doc;
  try {
    auto guard = [](int depth, json::parse_event_t, json&) {
      if (static_cast<std::size_t>(depth) > kMaxDepth) throw TooDeep{};
      return true;
    };
    doc = json::parse(body.begin(), body.end(), guard);
  } catch (const TooDeep&) {
    return err("body nests deeper than 64 levels");
  } catch (const json::exception& e) {
    // parse_error (syntax, bad UTF-8) and out_of_range (a number like 1e999).
    return err("body is not valid JSON: " + cut(e.what(), kMaxQuoted));
  }
  if (!doc.is_object()) return err("body is not a JSON object");
  auto data_it = doc.find("data");
  if (data_it == doc.end() || !data_it->is_object())
    return err("body is not an App Store Connect event: no \"data\" object");
  const json& data = *data_it;

  Event ev;
  ev.raw = std::string(body);
  auto t = data.find("type");
  if (t == data.end() || !t->is_string() || t->get_ref<const std::string&>().empty())
    return err("data.type is missing or not a string");
  auto id = data.find("id");
  if (id == data.end() || !id->is_string() || id->get_ref<const std::string&>().empty())
    return err("data.id is missing or not a string");
  if (characters(t->get_ref<const std::string&>()) > kMaxName) return err("data.type is longer than 128 characters");
  if (characters(id->get_ref<const std::string&>()) > kMaxId) return err("data.id is longer than 256 characters");
  ev.type_name = t->get<std::string>();
  ev.id = id->get<std::string>();
  const EventTypeInfo* info = find_event_type(ev.type_name);
  ev.type = info ? info->type : EventType::unknown;

  if (auto v = data.find("version"); v != data.end() && !v->is_null()) {
    if (!v->is_number_integer()) return err("data.version must be an integer");
    ev.version = v->get<std::int64_t>();
  }

  std::string error;
  if (auto a = data.find("attributes"); a != data.end() && !a->is_null()) {
    if (!a->is_object()) return err("data.attributes must be an object");
    std::optional<std::string> ts;
    if (!opt_string(*a, "timestamp", "data.attributes", ts, error)) return err(error);
    if (ts) {
      auto nanos = parse_rfc3339_nanos(*ts);
      if (!nanos)
        return err("data.attributes.timestamp is not an RFC 3339 time between the years " + std::to_string(kFirstYear) +
                   " and " + std::to_string(kLastYear) + ": " + ts->substr(0, 64));
      ev.timestamp = Timestamp{*nanos, *ts};
    }
    // The type's own spelling first, then the other two (Apple is not
    // consistent across event types; community payloads mix them).
    static constexpr std::pair<const char*, const char*> spellings[] = {
        {"oldValue", "newValue"}, {"oldState", "newState"}, {"oldExternalBuildState", "newExternalBuildState"}};
    if (info && !info->new_key.empty()) {
      if (!opt_string(*a, info->old_key.data(), "data.attributes", ev.old_state, error)) return err(error);
      if (!opt_string(*a, info->new_key.data(), "data.attributes", ev.new_state, error)) return err(error);
    }
    for (auto [o, n] : spellings) {
      if (!ev.old_state && !opt_string(*a, o, "data.attributes", ev.old_state, error)) return err(error);
      if (!ev.new_state && !opt_string(*a, n, "data.attributes", ev.new_state, error)) return err(error);
    }
    // Apple's states are short names (READY_FOR_DISTRIBUTION); a megabyte
    // of "state" would reach every log line and template.
    for (const auto* state : {&ev.old_state, &ev.new_state})
      if (*state && characters(**state) > kMaxName)
        return err(std::string("data.attributes.") + (state == &ev.old_state ? "old" : "new") +
                   " state is longer than 128 characters");
    if (auto v = a->find("appId"); v != a->end() && !v->is_null()) {
      if (v->is_string()) ev.app_id = v->get<std::string>();
      else if (v->is_number_integer()) ev.app_id = std::to_string(v->get<std::int64_t>());
      else return err("data.attributes.appId must be a string");
    }
    if (auto v = a->find("available"); v != a->end() && !v->is_null()) {
      if (!v->is_boolean()) return err("data.attributes.available must be true or false");
      ev.available = v->get<bool>();
    }
    if (!string_list(*a, "territories", ev.territories, error)) return err(error);
    if (ev.type == EventType::webhook_health_changed && !read_health(*a, ev.health, error)) return err(error);
  }

  if (auto rel = data.find("relationships"); rel != data.end() && !rel->is_null()) {
    if (!rel->is_object()) return err("data.relationships must be an object");
    if (auto i = rel->find("instance"); i != rel->end() && !i->is_null())
      if (!resource(*i, "data.relationships.instance", ev.instance, error)) return err(error);
    if (auto m = rel->find("marketplaceApp"); m != rel->end() && !m->is_null())
      if (!resource(*m, "data.relationships.marketplaceApp", ev.marketplace_app, error)) return err(error);
  }
  if (ev.type == EventType::customer_review_created && !read_review(doc, ev.review, error)) return err(error);
  return ev;
}

}  // namespace asc_webhookd::event
