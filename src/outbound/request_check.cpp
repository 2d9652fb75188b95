#include "asc_webhookd/outbound/request_check.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <strings.h>

#include <cstdio>

namespace asc_webhookd::outbound {

namespace {

// RFC 9110 §5.6.2 tchar.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string control_name(unsigned char c) {
  switch (c) {
    case 0x00: return "NUL";
    case 0x09: return "TAB";
    case 0x0a: return "LF";
    case 0x0d: return "CR";
    case 0x7f: return "DEL";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02X", c);
      return buf;
    }
  }
}

// The first forbidden character of `text`, as "a control character (CR) at
// byte 3", or "".
// `allow_tab`: a field value may hold HTAB (RFC 9110 §5.5); a URL may not.
std::string first_forbidden(std::string_view text, bool allow_tab, bool allow_space) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f)
      return "a control character (" + control_name(c) + ") at byte " + std::to_string(i);
    if (c == ' ' && !allow_space) return "a space at byte " + std::to_string(i);
    // UTF-8 NEL (C2 85), LINE SEPARATOR (E2 80 A8), PARAGRAPH SEPARATOR (E2 80 A9).
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85)
      return "a line break (U+0085 NEL) at byte " + std::to_string(i);
    if (c == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) == 0xa8 || static_cast<unsigned char>(text[i + 2]) == 0xa9))
      return std::string("a line break (U+") + (static_cast<unsigned char>(text[i + 2]) == 0xa8 ? "2028" : "2029") +
             ") at byte " + std::to_string(i);
  }
  return "";
}

}  // namespace

std::string header_name_problem(std::string_view name) {
  if (name.empty()) return "name is empty";
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!is_tchar(static_cast<unsigned char>(name[i])))
      return "name has a character that is not allowed in a header name at byte " + std::to_string(i);
  return "";
}

std::string header_value_problem(std::string_view value) {
  auto bad = first_forbidden(value, true, true);
  return bad.empty() ? "" : "value contains " + bad;
}

std::string url_problem(std::string_view url) {
  if (auto bad = first_forbidden(url, false, false); !bad.empty()) return "contains " + bad;
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return "is not an absolute URL";
  if (strcasecmp(std::string(u->scheme()).c_str(), "http") != 0 &&
      strcasecmp(std::string(u->scheme()).c_str(), "https") != 0)
    return "is not an http:// or https:// URL";
  if (u->host_address().empty()) return "has no host";
  return "";
}

std::string request_problem(const ClientRequest& request) {
  if (auto p = url_problem(request.url); !p.empty()) return "url " + p;
  for (const auto& [name, value] : request.headers) {
    if (auto p = header_name_problem(name); !p.empty()) return "header " + encode_component(name) + ": " + p;
    if (auto p = header_value_problem(value); !p.empty()) return "header " + name + ": " + p;
  }
  return "";
}

std::string encode_component(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string url_origin(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, url.find_first_of("/?#", scheme + 3)));
}

bool same_origin(std::string_view a, std::string_view b) {
  auto ua = boost::urls::parse_absolute_uri(a);
  auto ub = boost::urls::parse_absolute_uri(b);
  if (!ua || !ub) return false;
  auto port = [](const boost::urls::url_view& u) {
    if (u.has_port()) return std::string(u.port());
    return strcasecmp(std::string(u.scheme()).c_str(), "https") == 0 ? std::string("443") : std::string("80");
  };
  return strcasecmp(std::string(ua->scheme()).c_str(), std::string(ub->scheme()).c_str()) == 0 &&
         strcasecmp(std::string(ua->host_address()).c_str(), std::string(ub->host_address()).c_str()) == 0 &&
         port(*ua) == port(*ub);
}

}  // namespace asc_webhookd::outbound
