#include "framing.hpp"

#include <boost/beast/core/string.hpp>

#include <cctype>
#include <vector>

namespace asc_webhookd::http {

namespace bhttp = boost::beast::http;

namespace {

// The transfer codings of every Transfer-Encoding line, in order, lower-case,
// parameters dropped ("gzip;q=1" → "gzip"); empty list items skipped.
std::vector<std::string> transfer_codings(const bhttp::request_header<>& h) {
  std::vector<std::string> out;
  auto range = h.equal_range(bhttp::field::transfer_encoding);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view v = it->value();
    while (!v.empty()) {
      auto comma = v.find(',');
      std::string_view item = v.substr(0, comma);
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      if (auto semi = item.find(';'); semi != std::string_view::npos) item = item.substr(0, semi);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item.empty()) continue;
      std::string lower(item);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back(std::move(lower));
    }
  }
  return out;
}

}  // namespace

std::optional<FramingError> framing_problem(const bhttp::request_header<>& h) {
  const auto hosts = h.count(bhttp::field::host);
  if (hosts > 1) return FramingError{400, "more than one Host header"};
  if (h.version() >= 11 && hosts == 0) return FramingError{400, "HTTP/1.1 request without a Host header"};

  if (h.count(bhttp::field::transfer_encoding) == 0) return std::nullopt;
  if (h.version() < 11) return FramingError{400, "Transfer-Encoding in an HTTP/1.0 request"};
  if (h.count(bhttp::field::content_length) > 0)
    return FramingError{400, "both Transfer-Encoding and Content-Length; send one"};
  const auto codings = transfer_codings(h);
  if (codings.empty() || codings.back() != "chunked")
    return FramingError{400, "Transfer-Encoding must end with chunked"};
  if (codings.size() == 1) return std::nullopt;
  for (std::size_t i = 0; i + 1 < codings.size(); ++i)
    if (codings[i] == "chunked") return FramingError{400, "chunked is applied more than once"};
  return FramingError{501, "transfer coding \"" + codings.front() + "\" is not supported; send the body as it is"};
}

}  // namespace asc_webhookd::http
