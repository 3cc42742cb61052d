// What the editor server refuses before reading a body: foreign Hosts, foreign Origins, CORS-simple body types,
// bodies without a length or over the route's limit; and the JSON limits its routes parse with.
#include <gtest/gtest.h>

#include "draggan/core/Error.h"
#include "server/http/HttpError.h"
#include "server/http/JsonBody.h"
#include "server/http/RequestGuard.h"

namespace request_guard_test {

using draggan::server::HttpError;
using draggan::server::RequestGuard;

httplib::Request request(const std::string& method, const std::string& path, httplib::Headers headers) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = std::move(headers);
  return req;
}

int status_of(const RequestGuard& guard, const httplib::Request& req) {
  try {
    guard.check(req);
    return 200;
  } catch (const HttpError& e) {
    return e.status;
  }
}

TEST(RequestGuard, AnswersLoopbackNamesTheBoundAddressAndAllowedHostsOnItsPort) {
  RequestGuard guard("192.168.1.5", {"editor.lan"});
  guard.set_port(7860);
  for (const char* host : {"127.0.0.1:7860", "localhost:7860", "LOCALHOST.:7860", "[::1]:7860", "192.168.1.5:7860",
                           "editor.lan:7860"})
    EXPECT_EQ(status_of(guard, request("GET", "/", {{"Host", host}})), 200) << host;
  for (const char* host : {"evil.example:7860", "127.0.0.1:7861", "127.0.0.1", "localhost.evil.example:7860",
                           "192.168.1.6:7860", "::1:7860"})
    EXPECT_NE(status_of(guard, request("GET", "/", {{"Host", host}})), 200) << host;
  EXPECT_EQ(status_of(guard, request("GET", "/", {})), 400);
}

TEST(RequestGuard, AnyHostOnlyWhenAskedFor) {
  RequestGuard guard("127.0.0.1", {"*"});
  guard.set_port(80);
  EXPECT_EQ(status_of(guard, request("GET", "/", {{"Host", "anything.example"}})), 200);
}

TEST(RequestGuard, RefusesForeignOriginsAndCrossSiteStateChanges) {
  RequestGuard guard("127.0.0.1", {});
  guard.set_port(7860);
  const auto post = [](httplib::Headers extra) {
    extra.emplace("Host", "127.0.0.1:7860");
    extra.emplace("Content-Type", "application/json");
    extra.emplace("Content-Length", "2");
    return request("POST", "/api/sessions", extra);
  };
  EXPECT_EQ(status_of(guard, post({{"Origin", "http://127.0.0.1:7860"}})), 200);
  EXPECT_EQ(status_of(guard, post({{"Sec-Fetch-Site", "same-origin"}})), 200);
  EXPECT_EQ(status_of(guard, post({{"Origin", "http://localhost:7860"}})), 200) << "this server under another name";
  EXPECT_EQ(status_of(guard, post({{"Origin", "http://localhost:7861"}})), 403) << "another server on this machine";
  EXPECT_EQ(status_of(guard, post({{"Origin", "https://127.0.0.1:7860"}})), 403);
  EXPECT_EQ(status_of(guard, post({{"Origin", "null"}})), 403);
  EXPECT_EQ(status_of(guard, post({{"Origin", "http://evil.example"}})), 403);
  EXPECT_EQ(status_of(guard, post({{"Sec-Fetch-Site", "cross-site"}})), 403);
  EXPECT_EQ(status_of(guard, post({{"Sec-Fetch-Site", "same-site"}})), 403);
  // A link from another site to the editor page still opens it.
  EXPECT_EQ(status_of(guard, request("GET", "/", {{"Host", "127.0.0.1:7860"}, {"Sec-Fetch-Site", "cross-site"}})), 200);
}

TEST(RequestGuard, BodiesNeedALengthWithinTheRouteLimitAndAJsonOrImageType) {
  RequestGuard guard("127.0.0.1", {});
  guard.set_port(7860);
  const auto body = [&](const std::string& method, const std::string& path, const std::string& type,
                        const std::string& length) {
    httplib::Headers h{{"Host", "127.0.0.1:7860"}};
    if (!type.empty()) h.emplace("Content-Type", type);
    if (!length.empty()) h.emplace("Content-Length", length);
    return status_of(guard, request(method, path, h));
  };
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "application/json; charset=utf-8", "100"), 200);
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "text/plain", "100"), 415);
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "", "100"), 415);
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "", ""), 200) << "bodiless";
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "application/json", "2000000"), 413);
  EXPECT_EQ(body("POST", "/api/sessions/abc/load", "application/json", "2000000"), 200);
  EXPECT_EQ(body("POST", "/api/sessions/abc/load", "application/json", "70000000"), 413);
  EXPECT_EQ(body("POST", "/api/sessions/abc/upload", "image/jpeg", "2000000"), 200);
  EXPECT_EQ(body("POST", "/api/sessions/abc/upload", "application/octet-stream", "2000000"), 200);
  EXPECT_EQ(body("POST", "/api/sessions/abc/upload", "application/json", "20"), 415);
  EXPECT_EQ(body("PUT", "/api/sessions/abc/mask", "image/png", "2000"), 200);
  EXPECT_EQ(body("PUT", "/api/sessions/abc/mask", "application/json", "2000"), 200);
  EXPECT_EQ(body("PUT", "/api/sessions/abc/mask", "application/octet-stream", "2000"), 415);
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "application/json", "12x"), 400);
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "application/json", "99999999999999999999"), 400);
  httplib::Headers chunked{{"Host", "127.0.0.1:7860"}, {"Content-Type", "application/json"},
                           {"Transfer-Encoding", "chunked"}};
  EXPECT_EQ(status_of(guard, request("POST", "/api/sessions", chunked)), 411);
  // A mask as JSON has the 1 MB limit of every JSON body; as an image, an image's. Types compare without case.
  EXPECT_EQ(body("PUT", "/api/sessions/abc/mask", "application/json", "1650000"), 413);
  EXPECT_EQ(body("PUT", "/api/sessions/abc/mask", "Image/PNG", "1650000"), 200);
  EXPECT_EQ(body("PUT", "/api/sessions/abc/mask", "", "1650000"), 413);
  EXPECT_EQ(body("POST", "/api/sessions/abc/points", "Application/JSON", "100"), 200);
}

TEST(RequestGuard, RefusesFramingAProxyCouldReadDifferently) {
  RequestGuard guard("127.0.0.1", {});
  guard.set_port(7860);
  const httplib::Headers host{{"Host", "127.0.0.1:7860"}};
  const auto with = [&](httplib::Headers extra) {
    httplib::Headers h = host;
    h.insert(extra.begin(), extra.end());
    return h;
  };
  // Bodies where none is allowed.
  EXPECT_EQ(status_of(guard, request("GET", "/api/models", with({{"Content-Length", "31"}}))), 400);
  EXPECT_EQ(status_of(guard, request("OPTIONS", "/api/models", with({{"Content-Length", "5"}}))), 400);
  EXPECT_EQ(status_of(guard, request("HEAD", "/", with({{"Transfer-Encoding", "chunked"}}))), 400);
  EXPECT_EQ(status_of(guard, request("GET", "/api/models", with({{"Content-Length", "0"}}))), 200);
  // A second copy of a header that decides framing, destination or content.
  EXPECT_EQ(status_of(guard, request("POST", "/api/sessions",
                                     with({{"Content-Type", "application/json"}, {"Content-Length", "31"},
                                           {"Content-Length", "5"}}))), 400);
  EXPECT_EQ(status_of(guard, request("POST", "/api/sessions",
                                     with({{"Content-Type", "application/json"}, {"Content-Length", "2"},
                                           {"Content-Length", "2"}}))), 400) << "equal copies too";
  EXPECT_EQ(status_of(guard, request("GET", "/", with({{"Host", "127.0.0.1:7860"}}))), 400);
  EXPECT_EQ(status_of(guard, request("GET", "/", with({{"Origin", "http://127.0.0.1:7860"}, {"Origin", "http://x"}}))), 400);
  EXPECT_EQ(status_of(guard, request("POST", "/api/sessions",
                                     with({{"Content-Type", "application/json"}, {"Content-Type", "text/plain"},
                                           {"Content-Length", "2"}}))), 400);
  // An empty Origin is not "no Origin".
  EXPECT_EQ(status_of(guard, request("POST", "/api/sessions", with({{"Origin", ""}}))), 403);
  EXPECT_EQ(status_of(guard, request("GET", "/", with({{"Origin", " "}}))), 403);
}

// What httplib's parser drops before a Request exists (empty values, lines without CRLF) is checked on the
// request head as it was sent.
TEST(RequestGuard, ChecksTheRequestHeadAsSent) {
  const auto head_status = [](const std::string& head) {
    try {
      RequestGuard::check_head(head);
      return 200;
    } catch (const HttpError& e) {
      return e.status;
    }
  };
  const std::string line = "POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:7860\r\n";
  EXPECT_EQ(head_status(line + "Content-Length: 2\r\n\r\n"), 200);
  EXPECT_EQ(head_status(""), 200) << "nothing recorded";
  EXPECT_EQ(head_status(line + "Origin:\r\n\r\n"), 403);
  EXPECT_EQ(head_status(line + "Origin: \t\r\n\r\n"), 403);
  EXPECT_EQ(head_status(line + "Transfer-Encoding: chunked\nContent-Length: 2\r\n\r\n"), 400) << "bare LF";
  EXPECT_EQ(head_status(line + "X: a\rb\r\n\r\n"), 400) << "bare CR";
  EXPECT_EQ(head_status(line + "Content-Length : 2\r\n\r\n"), 400) << "space before the colon";
  EXPECT_EQ(head_status(line + "X-A: 1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(head_status(line + "no colon here\r\n\r\n"), 400);
  EXPECT_EQ(head_status(line + "content-length: 2\r\nContent-Length:\r\n\r\n"), 400) << "a second, empty copy";
  EXPECT_EQ(head_status(line + "Content-Length: 1%30\r\n\r\n"), 400) << "httplib would decode it to 10";
  EXPECT_EQ(head_status("GET / HTTP/1.1\n\r\n"), 400);
}

TEST(RequestGuard, SplitsHostAndPort) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(draggan::server::split_host_port("[::1]:80", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 80);
  ASSERT_TRUE(draggan::server::split_host_port("Example.COM", host, port));
  EXPECT_EQ(host, "example.com");
  EXPECT_EQ(port, -1);
  for (const char* bad : {"", ":80", "a:b", "a:99999", "[::1", "a b:80", "::1"})
    EXPECT_FALSE(draggan::server::split_host_port(bad, host, port)) << bad;
}

TEST(JsonBody, LimitsDepthAndValueCountWhileParsing) {
  using draggan::server::parse_json_object;
  EXPECT_EQ(parse_json_object("", 10, "b"), nlohmann::json::object());
  EXPECT_EQ(parse_json_object(R"({"a": [1, 2]})", 100, "b")["a"][1], 2);
  EXPECT_THROW(parse_json_object("[1]", 100, "b"), draggan::InputError);
  EXPECT_THROW(parse_json_object("{\"a\": ", 100, "b"), draggan::InputError);
  EXPECT_THROW(parse_json_object(std::string(100, '[') + std::string(100, ']'), 1000, "b"), draggan::InputError);
  EXPECT_THROW(parse_json_object(R"({"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]})", 8, "b"), draggan::InputError);
}

TEST(JsonBody, RefusesTooManyStringsOrTooMuchMemoryBeforeTheDocumentIsBuilt) {
  using draggan::server::JsonBudget;
  using draggan::server::parse_json_object;
  std::string strings = "{\"a\": [";
  for (int i = 0; i < 1000; ++i) strings += "\"s\",";
  strings += "\"s\"]}";
  EXPECT_EQ(parse_json_object(strings, JsonBudget{10000, 1002}, "b")["a"].size(), 1001u) << "1001 strings and a key";
  try {
    parse_json_object(strings, JsonBudget{10000, 500}, "session file");
    ADD_FAILURE() << "501 strings passed a budget of 500";
  } catch (const draggan::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("session file: more than 500 JSON strings"), std::string::npos) << e.what();
  }
  // ~48 bytes per short string plus 32 per array slot: 1001 of them take ~80 kB, refused under 64 kB.
  EXPECT_THROW(parse_json_object(strings, JsonBudget{10000, 10000, 64 << 10}, "b"), draggan::InputError);
  EXPECT_NO_THROW(parse_json_object(strings, JsonBudget{10000, 10000, 128 << 10}, "b"));
  // Empty containers cost more than their two characters.
  std::string arrays = "{\"a\": [";
  for (int i = 0; i < 2000; ++i) arrays += "[],";
  arrays += "[]]}";
  EXPECT_THROW(parse_json_object(arrays, JsonBudget{100000, 100, 64 << 10}, "b"), draggan::InputError);
}

}  // namespace request_guard_test
