#include "server/http/RequestGuard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "server/http/HttpError.h"
#include "server/ServerLimits.h"

namespace draggan::server {
namespace {

bool all_digits(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") + 1 - begin);
}

bool is_wildcard(const std::string& host) { return host.empty() || host == "0.0.0.0" || host == "::"; }

void add_interface_addresses(std::set<std::string>& hosts) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN] = "";
    if (a->ifa_addr->sa_family == AF_INET)
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
    else if (a->ifa_addr->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, text, sizeof text);
    if (*text) hosts.insert(lower(text));
  }
  freeifaddrs(list);
}

// What a route takes as its body: JSON within its limit, and/or an image within kImageBodyBytes.
struct BodyRule {
  size_t max_json_bytes;
  bool json;
  bool image;
  const char* what;
};

BodyRule body_rule(const std::string& method, const std::string& path) {
  const auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    return path.size() > s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0 &&
           path.rfind("/api/sessions/", 0) == 0;
  };
  if (method == "POST" && ends_with("/load")) return {limits::kSessionFileBytes, true, false, "a session file"};
  if (method == "POST" && ends_with("/upload")) return {0, false, true, "an uploaded image"};
  if (method == "PUT" && ends_with("/mask")) return {limits::kJsonBodyBytes, true, true, "a mask"};
  return {limits::kJsonBodyBytes, true, false, "a JSON request"};
}

std::string megabytes(size_t bytes) {
  return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + " MB" : std::to_string(bytes >> 10) + " kB";
}

// Headers whose second copy would let two readers of one request (a proxy in front, this server) disagree
// on where it ends, whom it is for or what it carries.
constexpr const char* kSingleHeaders[] = {"Host", "Origin", "Content-Type", "Content-Length", "Transfer-Encoding"};

}  // namespace

std::string media_type(const std::string& content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

bool takes_body(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool split_host_port(const std::string& text, std::string& host, int& port) {
  std::string rest = trim(text);
  port = -1;
  if (rest.empty()) return false;
  std::string port_text;
  if (rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string::npos) return false;
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return false;
      port_text = rest.substr(close + 2);
    }
  } else {
    const size_t colon = rest.find(':');
    if (colon != rest.rfind(':')) return false;  // a bare IPv6 address must be bracketed
    host = rest.substr(0, colon);
    if (colon != std::string::npos) port_text = rest.substr(colon + 1);
  }
  if (port_text.size() > 5 || !all_digits(port_text))
    return false;
  if (!port_text.empty()) port = std::stoi(port_text);
  if (!port_text.empty() && port > 65535) return false;
  host = lower(host);
  if (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is the same name
  if (host.empty()) return false;
  for (unsigned char c : host)
    if (!std::isalnum(c) && c != '.' && c != '-' && c != ':' && c != '_' && c != '%') return false;
  return true;
}

RequestGuard::RequestGuard(const std::string& bound_host, const std::vector<std::string>& extra_hosts)
    : hosts_{"localhost", "127.0.0.1", "::1"} {
  std::string bound;
  int ignored = 0;
  if (is_wildcard(bound_host)) add_interface_addresses(hosts_);
  else if (split_host_port(bound_host, bound, ignored)) hosts_.insert(bound);
  for (const auto& extra : extra_hosts) {
    if (extra == "*") {
      any_host_ = true;
      continue;
    }
    std::string name;
    int port = 0;
    if (split_host_port(extra, name, port)) hosts_.insert(name);
  }
}

std::string RequestGuard::describe_hosts() const {
  if (any_host_) return "any";
  std::string text;
  for (const auto& h : hosts_) text += (text.empty() ? "" : ", ") + h;
  return text;
}

void RequestGuard::check_host(const std::string& value) const {
  std::string host;
  int port = -1;
  if (value.empty()) throw HttpError(400, "the request has no Host header");
  if (!split_host_port(value, host, port)) throw HttpError(400, "malformed Host header");
  if (any_host_) return;
  const bool port_ok = port == port_ || (port == -1 && port_ == 80);
  if (!port_ok || !hosts_.count(host))
    throw HttpError(403, "this server does not answer to Host \"" + value.substr(0, 100) +
                             "\" (serve with --allowed-host NAME to reach it under another name)");
}

void RequestGuard::check_origin(const httplib::Request& req, const std::string& host_value) const {
  const bool changes_state = req.method != "GET" && req.method != "HEAD" && req.method != "OPTIONS";
  if (req.has_header("Origin")) {
    if (trim(req.get_header_value("Origin")).empty()) throw HttpError(403, "empty Origin header refused");
    // A page of this server, under any name the server answers to (http://localhost:P or http://127.0.0.1:P):
    // the Host rule again, on the Origin's host and port.
    const std::string origin = lower(trim(req.get_header_value("Origin")));
    const std::string scheme = "http://";
    std::string origin_host, host;
    int origin_port = -1, port = -1;
    bool ours = origin.rfind(scheme, 0) == 0 && split_host_port(origin.substr(scheme.size()), origin_host, origin_port);
    if (ours) {
      if (origin_port == -1) origin_port = 80;
      if (any_host_) {
        ours = split_host_port(host_value, host, port) && origin_host == host && origin_port == (port == -1 ? 80 : port);
      } else {
        ours = hosts_.count(origin_host) && origin_port == port_;
      }
    }
    if (!ours)
      throw HttpError(403, "cross-origin request refused: Origin \"" + origin.substr(0, 100) +
                               "\" is not this server's page");
  }
  if (changes_state && req.has_header("Sec-Fetch-Site")) {
    const std::string site = lower(trim(req.get_header_value("Sec-Fetch-Site")));
    if (site != "same-origin" && site != "none")
      throw HttpError(403, "cross-site request refused (Sec-Fetch-Site: " + site.substr(0, 40) + ")");
  }
}

size_t RequestGuard::check_body(const httplib::Request& req) const {
  const bool chunked = req.has_header("Transfer-Encoding");
  size_t length = 0;
  if (req.has_header("Content-Length")) {
    const std::string text = trim(req.get_header_value("Content-Length"));
    if (text.empty() || text.size() > 15 || !all_digits(text))
      throw HttpError(400, "malformed Content-Length \"" + text.substr(0, 40) + "\"");
    length = static_cast<size_t>(std::stoull(text));
  }
  if (!takes_body(req.method)) {
    // httplib would not read it, and the body would then be taken for the next request.
    if (chunked || length > 0) throw HttpError(400, req.method.substr(0, 16) + " requests take no body");
    return 0;
  }
  if (chunked) throw HttpError(411, "chunked request bodies are not accepted: send Content-Length");
  const BodyRule rule = body_rule(req.method, req.path);
  const bool has_type = req.has_header("Content-Type");
  const std::string type = media_type(req.get_header_value("Content-Type"));
  const bool json = type == "application/json";
  const bool image = type.rfind("image/", 0) == 0 || (!rule.json && type == "application/octet-stream");
  // The limit of what the body is (a mask as JSON: 1 MB like every JSON body; as a PNG: an image's).
  const bool as_image = rule.image && (image || !rule.json);
  const size_t max_bytes = as_image ? limits::kImageBodyBytes : rule.max_json_bytes;
  if (length > max_bytes)
    throw HttpError(413, "request body of " + std::to_string(length) + " bytes is larger than the " +
                             megabytes(max_bytes) + " " + req.method + " " + req.path.substr(0, 200) + " takes (" +
                             (rule.json && rule.image ? (as_image ? "an image" : "JSON") : rule.what) + ")");
  if (req.method == "DELETE") return length;
  if (length == 0 && !has_type) return 0;  // nothing to carry: the Origin check is what matters
  if ((rule.json && json) || (rule.image && image)) return length;
  const std::string wanted = rule.json && rule.image ? "application/json or image/png"
                             : rule.image            ? "the image's type (image/png, image/jpeg, ...)"
                                                     : "application/json";
  if (!has_type || type.empty())
    throw HttpError(415, "Content-Type is missing: " + req.method + " " + req.path.substr(0, 200) + " takes " +
                             wanted + " (with curl: -H 'Content-Type: application/json')");
  const std::string hint = type == "application/x-www-form-urlencoded"
                               ? " (curl's default for -d/--data-binary: add -H 'Content-Type: application/json')"
                               : "";
  throw HttpError(415, "Content-Type " + type.substr(0, 100) + " is not accepted: " + req.method + " " +
                           req.path.substr(0, 200) + " takes " + wanted + hint);
}

void RequestGuard::check_head(const std::string& head) {
  if (head.empty()) return;
  std::map<std::string, int> seen;
  size_t begin = 0;
  for (bool request_line = true;; request_line = false) {
    const size_t end = head.find('\n', begin);
    if (end == std::string::npos) return;  // the parser stopped before: it answers that itself
    if (end == begin || head[end - 1] != '\r' || head.find('\r', begin) != end - 1)
      throw HttpError(400, "malformed request: every line must end with CRLF");
    const std::string line = head.substr(begin, end - 1 - begin);
    begin = end + 1;
    if (line.empty()) break;  // end of the headers
    if (request_line) continue;
    if (line[0] == ' ' || line[0] == '\t') throw HttpError(400, "malformed request: folded header line");
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string::npos) throw HttpError(400, "malformed request: a header line without a name");
    const std::string name = lower(line.substr(0, colon));
    if (name.find_first_of(" \t") != std::string::npos)
      throw HttpError(400, "malformed request: whitespace in the header name \"" + name.substr(0, 40) + "\"");
    const std::string value = trim(line.substr(colon + 1));
    ++seen[name];
    if (name == "origin" && value.empty()) throw HttpError(403, "empty Origin header refused");
    if ((name == "content-length" || name == "host") && value.find('%') != std::string::npos)
      throw HttpError(400, "malformed " + name + " header");
  }
  for (const char* name : kSingleHeaders)
    if (seen[lower(name)] > 1) throw HttpError(400, std::string("the request has more than one ") + name + " header");
}

void RequestGuard::check_single_headers(const httplib::Request& req) const {
  for (const char* name : kSingleHeaders)
    if (req.get_header_value_count(name) > 1)
      throw HttpError(400, std::string("the request has more than one ") + name + " header");
}

size_t RequestGuard::check(const httplib::Request& req) const {
  check_single_headers(req);
  const std::string host = req.get_header_value("Host");
  check_host(host);
  check_origin(req, host);
  return check_body(req);
}

}  // namespace draggan::server
