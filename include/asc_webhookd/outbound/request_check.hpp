#pragma once
// The one check every outbound request passes before it is built: outside
// text (an event's fields, an App Store Connect answer, a tester's comment)
// rendered into a header or a URL must stay data. Boost.Beast's
// `fields::set` writes whatever it is given, so a CR/LF in a value would end
// the header block and let the value smuggle a second request onto a pooled
// connection. Nothing here throws.
#include "asc_webhookd/outbound/client.hpp"

#include <string>
#include <string_view>

namespace asc_webhookd::outbound {

// Why `name` is not an HTTP field name (RFC 9110 §5.1: a token), or "".
std::string header_name_problem(std::string_view name);

// Why `value` cannot be sent as a field value, or "": control characters
// (NUL, CR, LF and the rest of 0x00–0x1F but HTAB, and DEL) and the
// Unicode line breaks NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which
// some peers fold into a new line. The message names the character and its
// byte offset, never the value (it may be a credential).
std::string header_value_problem(std::string_view value);

// Why `url` cannot be requested, or "": it must be an absolute http:// or
// https:// URL with a host, free of control characters and spaces.
std::string url_problem(std::string_view url);

// The first problem of a whole request (its URL, then each header), naming
// the field ("header X-Event: ..."), or "".
std::string request_problem(const ClientRequest& request);

// `text` percent-encoded so that it is one path segment or one query value:
// everything but RFC 3986's unreserved characters (A–Z a–z 0–9 - . _ ~).
std::string encode_component(std::string_view text);

// "scheme://authority" of a URL (or URL template): the text up to the first
// '/', '?' or '#' after "://". For a template, the part no rendered value
// may change.
std::string url_origin(std::string_view url);

// True when `a` and `b` parse as absolute URLs with the same scheme, host
// and port (the default port of the scheme when absent). Case-insensitive
// for scheme and host.
bool same_origin(std::string_view a, std::string_view b);

}  // namespace asc_webhookd::outbound
