// The server's first look at a request: Host, Origin, Sec-Fetch-Site, Content-Length and Content-Type as a
// hostile client writes them. Refusals are HttpError (a draggan::Error).
#include "FuzzInput.h"
#include "server/http/RequestGuard.h"

int draggan::fuzz::fuzz_request_guard(const uint8_t* data, size_t size) {
  static const draggan::server::RequestGuard guard = [] {
    draggan::server::RequestGuard g("127.0.0.1", {"editor.lan"});
    g.set_port(7860);
    return g;
  }();
  // Fields separated by newlines: method, path, Host, Origin, Sec-Fetch-Site, Content-Length, Content-Type.
  const std::string text = draggan::fuzz::as_string(data, size);
  std::vector<std::string> fields;
  for (size_t begin = 0; fields.size() < 7;) {
    const size_t end = text.find('\n', begin);
    fields.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  fields.resize(7);
  httplib::Request req;
  req.method = fields[0];
  req.path = fields[1];
  const char* names[] = {"Host", "Origin", "Sec-Fetch-Site", "Content-Length", "Content-Type"};
  for (int i = 0; i < 5; ++i)
    if (!fields[2 + i].empty()) req.headers.emplace(names[i], fields[2 + i]);
  draggan::fuzz::expect_clean([&] { guard.check(req); });
  return 0;
}
