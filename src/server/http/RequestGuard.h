// Which requests the editor answers at all, decided from the request line and headers before a byte of the
// body is read:
//  - Host must name this server: the loopback names (localhost, 127.0.0.1, [::1]), the bound address (every
//    interface address when bound to 0.0.0.0 / ::), or a name given with --allowed-host; with the server's
//    port. A DNS-rebinding page reaches the server under its own host name, which is refused.
//  - Origin, when the browser sends one, must be a page of this server: http://<a name it answers to>:<its
//    port>. State-changing requests (anything but GET/HEAD/OPTIONS) that the browser marks Sec-Fetch-Site
//    cross-site or same-site are refused as well.
//  - A body must come with Content-Length (no chunked uploads) within the route's limit, and with a
//    Content-Type the route takes: application/json, or an image type on upload/mask (compared without
//    case). None of those is a CORS-safelisted type (text/plain, the form encodings), so no cross-site
//    "simple" request carries a body in; a bodiless POST needs no Content-Type (it carries nothing, and the
//    Origin check covers it). GET, HEAD and OPTIONS take no body at all.
//  - Framing a proxy in front could read differently is refused: a second Host, Origin, Content-Type,
//    Content-Length or Transfer-Encoding header, an empty Origin.
#pragma once
#include <httplib.h>

#include <set>
#include <string>
#include <vector>

namespace draggan::server {

class RequestGuard {
 public:
  // `bound_host`: the address the server listens on; `extra_hosts`: --allowed-host names ("*" = any Host,
  // for a reverse proxy that checks it itself).
  RequestGuard(const std::string& bound_host, const std::vector<std::string>& extra_hosts);
  void set_port(int port) { port_ = port; }

  // Throws HttpError (400 bad or duplicate Host/Content-Length/..., a body where none is allowed; 403 foreign
  // or empty Host/Origin; 411 chunked body; 413 body too large; 415 wrong Content-Type). Returns how many body
  // bytes the request may send.
  size_t check(const httplib::Request& req) const;

  // The request line and headers as the client sent them (before httplib's parser, which drops empty values
  // and lines without CRLF): every line ends with CRLF, no folded or nameless header, no whitespace before a
  // colon, at most one of each header in kSingleHeaders (400), no empty Origin (403). "" passes (no record).
  static void check_head(const std::string& head);

  // The Host names answered, for the start-up log.
  std::string describe_hosts() const;

 private:
  void check_host(const std::string& host) const;
  void check_origin(const httplib::Request& req, const std::string& host) const;
  size_t check_body(const httplib::Request& req) const;
  void check_single_headers(const httplib::Request& req) const;

  std::set<std::string> hosts_;  // lower case, IPv6 without brackets
  bool any_host_ = false;
  int port_ = 0;
};

// The media type of a Content-Type header: without parameters, lower case ("Image/PNG; x=1" -> "image/png").
std::string media_type(const std::string& content_type);
// POST, PUT, PATCH, DELETE: the methods whose requests may carry a body.
bool takes_body(const std::string& method);

// "Host: name:port" / "[v6]:port" -> {name (lower case, no brackets, no trailing dot), port (-1 if absent)};
// false when malformed.
bool split_host_port(const std::string& text, std::string& host, int& port);

}  // namespace draggan::server
