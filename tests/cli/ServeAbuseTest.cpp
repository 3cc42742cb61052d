// `draggan serve` against hostile or careless clients, over real HTTP on loopback (issue 12): other people's
// requests never delete an open session; foreign Hosts, cross-site pages and CORS-simple bodies are refused;
// event streams and slow bodies do not starve anyone; huge or bomb images are refused from their header;
// `load` checks what the routes check. The server runs with small caps so the limits are reached quickly.
#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <csignal>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "RawHttp.h"
#include "ServerProcess.h"
#include "draggan/io/Image.h"

namespace serve_abuse_test {

using Json = nlohmann::json;
using namespace std::chrono_literals;
using draggan::cli_test::RawConnection;
using draggan::cli_test::ServerProcess;
using draggan::cli_test::status_of;
using Clock = std::chrono::steady_clock;

constexpr int kMaxSessions = 6;
constexpr int kIdleSeconds = 2;
constexpr int kMaxStreams = 10;
constexpr int kRequestTimeout = 3;
constexpr int kMaxConnections = 48;

struct Reply {
  int status = 0;
  std::string body;
  double seconds = 0;
  Json json() const { return Json::parse(body, nullptr, false); }
  std::string error() const {
    const Json j = json();
    return j.is_object() && j.contains("error") ? j["error"].get<std::string>() : "";
  }
};

class ServeAbuse : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The server closes connections whose bodies it refuses: writing the rest must not kill the test.
    signal(SIGPIPE, SIG_IGN);
    server_ = new ServerProcess({"--max-sessions", std::to_string(kMaxSessions), "--session-idle",
                                 std::to_string(kIdleSeconds), "--max-event-streams", std::to_string(kMaxStreams),
                                 "--request-timeout", std::to_string(kRequestTimeout), "--max-connections",
                                 std::to_string(kMaxConnections)});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void TearDown() override {
    EXPECT_TRUE(server_->alive()) << server_->output();
    EXPECT_EQ(call("GET", "/api/models").status, 200);
  }

  static Reply call(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& type = "application/json", const httplib::Headers& headers = {}) {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(60, 0);
    const auto started = Clock::now();
    httplib::Result r = method == "GET"     ? client.Get(path.c_str(), headers)
                        : method == "POST"  ? client.Post(path.c_str(), headers, body, type.c_str())
                        : method == "PUT"   ? client.Put(path.c_str(), headers, body, type.c_str())
                        : method == "PATCH" ? client.Patch(path.c_str(), headers, body, type.c_str())
                                            : client.Delete(path.c_str(), headers);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (!r) return {-1, "no answer: " + httplib::to_string(r.error()), seconds};
    return {r->status, r->body, seconds};
  }
  static Reply call(const std::string& method, const std::string& path, const Json& body) {
    return call(method, path, body.dump());
  }
  // A raw request (any Host, Origin, ...): the whole answer text.
  static std::string raw(const std::string& request, std::chrono::milliseconds timeout = 10s) {
    RawConnection c(server_->port());
    if (!c.send(request)) return "";
    return c.receive(timeout);
  }
  static std::string host() { return "127.0.0.1:" + std::to_string(server_->port()); }
  static std::string new_session() {
    // The cap may be reached by an earlier test's sessions for up to the idle window.
    for (auto deadline = Clock::now() + 10s;;) {
      Reply r = call("POST", "/api/sessions", Json::object());
      if (r.status == 201) return r.json()["id"].get<std::string>();
      if (r.status != 503 || Clock::now() > deadline) {
        ADD_FAILURE() << r.status << " " << r.body;
        return "";
      }
      std::this_thread::sleep_for(250ms);
    }
  }
  static std::string at(const std::string& s, const std::string& suffix = "") { return "/api/sessions/" + s + suffix; }
  static Json wait_idle(const std::string& s) {
    for (auto deadline = Clock::now() + 120s; Clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
      const Json state = call("GET", at(s)).json();
      if (!state.value("running", true)) return state;
    }
    ADD_FAILURE() << "drag did not finish";
    return {};
  }
  // Opens /events on a raw connection and waits for the first bytes of the answer.
  static std::unique_ptr<RawConnection> open_stream(const std::string& s, int* status) {
    auto c = std::make_unique<RawConnection>(server_->port());
    c->send("GET " + at(s, "/events") + " HTTP/1.1\r\nHost: " + host() + "\r\n\r\n");
    const std::string head = c->receive(1500ms);
    *status = status_of(head);
    return c;
  }

  static ServerProcess* server_;
};
ServerProcess* ServeAbuse::server_ = nullptr;

// A PNG whose header says width x height, with a tiny (wrong) pixel stream: what a forged upload looks like.
std::string forged_png(uint32_t width, uint32_t height) {
  std::string png = draggan::encode_png(torch::zeros({2, 2, 4}, torch::kUInt8));
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<char>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<char>(height >> (24 - 8 * i));
  }
  return png;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((data.size() >> shift) & 0xff);
  const std::string body = type + data;
  out += body;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((crc >> shift) & 0xff);
  return out;
}

// A width x height gray PNG whose pixel data inflates to `inflated` bytes (far more than the image needs).
std::string bomb_png(uint32_t width, uint32_t height, size_t inflated) {
  std::string ihdr;
  for (uint32_t v : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) ihdr += static_cast<char>((v >> shift) & 0xff);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit gray, no interlace
  const std::string zeros(inflated, '\0');
  uLongf size = compressBound(zeros.size());
  std::string packed(size, '\0');
  compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(zeros.data()),
            zeros.size(), 9);
  packed.resize(size);
  return std::string("\x89PNG\r\n\x1a\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", packed) +
         png_chunk("IEND", "");
}

// --- only this machine's pages

TEST_F(ServeAbuse, AnswersOnlyToItsOwnHostNames) {
  for (const std::string& name : std::vector<std::string>{host(), "localhost:" + std::to_string(server_->port())})
    EXPECT_EQ(status_of(raw("GET /api/models HTTP/1.1\r\nHost: " + name + "\r\n\r\n")), 200) << name;
  // A DNS-rebinding page reaches the server under its own name: refused, the page included.
  for (const std::string& name : std::vector<std::string>{"evil.example:" + std::to_string(server_->port()),
                                                         "evil.example", "127.0.0.1:1",
                                                         "localhost.evil.example:" + std::to_string(server_->port())}) {
    const std::string answer = raw("GET / HTTP/1.1\r\nHost: " + name + "\r\n\r\n");
    EXPECT_EQ(status_of(answer), 403) << name << "\n" << answer;
    EXPECT_NE(answer.find("--allowed-host"), std::string::npos) << answer;
    EXPECT_EQ(status_of(raw("POST /api/sessions HTTP/1.1\r\nHost: " + name +
                            "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")),
              403);
  }
  EXPECT_EQ(status_of(raw("GET /api/models HTTP/1.0\r\n\r\n")), 400) << "no Host header at all";
}

TEST_F(ServeAbuse, CrossOriginStateChangesAreRefused) {
  const std::string own = "http://" + host();
  EXPECT_EQ(call("POST", "/api/sessions", "{}", "application/json", {{"Origin", own}}).status, 201);
  for (const std::string& origin :
       std::vector<std::string>{"http://evil.example", "null", "http://127.0.0.1:1", "https://" + host()}) {
    const Reply r = call("POST", "/api/sessions", "{}", "application/json", {{"Origin", origin}});
    EXPECT_EQ(r.status, 403) << origin << " " << r.body;
    EXPECT_NE(r.error().find("cross-origin"), std::string::npos) << r.body;
  }
  const std::string s = new_session();
  EXPECT_EQ(call("POST", at(s, "/points"), R"({"handle": [1, 1]})", "application/json",
                 {{"Origin", "http://evil.example"}}).status,
            403);
  EXPECT_EQ(call("DELETE", at(s), "", "", {{"Origin", "http://evil.example"}}).status, 403);
  EXPECT_EQ(call("POST", at(s, "/reset"), "", "", {{"Sec-Fetch-Site", "cross-site"}}).status, 403);
  EXPECT_EQ(call("GET", at(s, "/events"), "", "", {{"Origin", "http://evil.example"}}).status, 403);
  EXPECT_TRUE(call("GET", at(s)).json()["points"].empty()) << "nothing the foreign page sent was applied";
}

TEST_F(ServeAbuse, BodiesMustBeJsonOrAnImageNeverACorsSimpleType) {
  const std::string s = new_session();
  for (const std::string type : {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    const Reply r = call("POST", at(s, "/points"), R"({"handle": [1, 1]})", type);
    EXPECT_EQ(r.status, 415) << type << " " << r.body;
    EXPECT_NE(r.error().find("application/json"), std::string::npos) << r.body;
  }
  // curl --data-binary without -H: a form type; a body without any Content-Type says so.
  const std::string big(9000, 'x');
  const Reply form = call("POST", at(s, "/load"), big, "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 415) << form.body;
  EXPECT_NE(form.error().find("x-www-form-urlencoded"), std::string::npos) << form.body;
  const std::string untyped = raw("POST " + at(s, "/points") + " HTTP/1.1\r\nHost: " + host() +
                                  "\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(status_of(untyped), 415) << untyped;
  EXPECT_NE(untyped.find("Content-Type is missing"), std::string::npos) << untyped;
  EXPECT_EQ(call("POST", at(s, "/upload"), "not really", "text/plain").status, 415);
  // A bodiless POST carries nothing and needs no Content-Type.
  EXPECT_EQ(status_of(raw("POST " + at(s, "/reset") + " HTTP/1.1\r\nHost: " + host() + "\r\n\r\n")), 200);
  EXPECT_TRUE(call("GET", at(s)).json()["points"].empty());
}

// --- bodies: limits known before reading, slow senders cut off

TEST_F(ServeAbuse, OversizedBodiesAreRefusedBeforeTheyAreSent) {
  const std::string s = new_session();
  RawConnection c(server_->port());
  // Headers only: the server must answer without waiting for the 50 MB it was told about.
  c.send("POST " + at(s, "/points") + " HTTP/1.1\r\nHost: " + host() +
         "\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n");
  const std::string answer = c.receive(5s);
  EXPECT_EQ(status_of(answer), 413) << answer;
  EXPECT_NE(answer.find("50000000 bytes is larger than the 1 MB"), std::string::npos) << answer;
  const std::string chunked = raw("POST " + at(s, "/points") + " HTTP/1.1\r\nHost: " + host() +
                                  "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}\r\n");
  EXPECT_EQ(status_of(chunked), 411) << chunked;
  const std::string upload = raw("POST " + at(s, "/upload") + " HTTP/1.1\r\nHost: " + host() +
                                 "\r\nContent-Type: image/png\r\nContent-Length: 40000000\r\n\r\n");
  EXPECT_EQ(status_of(upload), 413) << upload;
  EXPECT_NE(upload.find("larger than the 32 MB"), std::string::npos) << upload;
  // curl asks before sending a large body (Expect: 100-continue): the refusal comes instead of the go-ahead.
  const std::string asked = raw("POST " + at(s, "/load") + " HTTP/1.1\r\nHost: " + host() +
                                "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                                "Content-Length: 90000000\r\n\r\n");
  EXPECT_EQ(status_of(asked), 413) << asked;
  const std::string wrong_type = raw("POST " + at(s, "/load") + " HTTP/1.1\r\nHost: " + host() +
                                     "\r\nExpect: 100-continue\r\nContent-Length: 90000\r\n\r\n");
  EXPECT_EQ(status_of(wrong_type), 415) << wrong_type;
}

TEST_F(ServeAbuse, SlowBodiesAreCutOffAndNobodyWaitsForThem) {
  const std::string s = new_session();
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->port()));
    slow.back()->send("POST " + at(s, "/points") + " HTTP/1.1\r\nHost: " + host() +
                      "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{");
  }
  std::atomic<bool> trickling{true};
  std::thread trickle([&] {
    while (trickling) {
      for (auto& c : slow) c->send(" ");
      std::this_thread::sleep_for(300ms);
    }
  });
  double slowest = 0;
  for (int i = 0; i < 10; ++i) {
    const Reply r = call("GET", "/api/models");
    EXPECT_EQ(r.status, 200);
    slowest = std::max(slowest, r.seconds);
    EXPECT_EQ(call("GET", at(s)).status, 200);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_LT(slowest, 1.0) << "other requests wait for no slow body";
  // The trickle never completes a body: each connection is cut after the request timeout.
  std::this_thread::sleep_for(std::chrono::seconds(kRequestTimeout));
  int closed = 0;
  for (auto& c : slow) closed += c->closed_by_server(3s);
  trickling = false;
  trickle.join();
  EXPECT_EQ(closed, 40);
}

TEST_F(ServeAbuse, IdleConnectionsCannotLockOutANewClient) {
  // Twice as many silent connections as the server serves at once.
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 2 * kMaxConnections; ++i) idle.push_back(std::make_unique<RawConnection>(server_->port()));
  std::this_thread::sleep_for(2500ms);  // older than the 2 s a connection may wait before it can be dropped
  for (int i = 0; i < 5; ++i) {
    const Reply r = call("GET", "/api/models");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_LT(r.seconds, 1.0);
  }
}

// --- event streams

TEST_F(ServeAbuse, EventStreamsAreCappedPerSessionAndInAllAndStarveNoOne) {
  std::vector<std::unique_ptr<RawConnection>> streams;
  const std::string a = new_session();
  int status = 0;
  for (size_t i = 0; i < 4; ++i) {
    streams.push_back(open_stream(a, &status));
    EXPECT_EQ(status, 200);
  }
  auto extra = open_stream(a, &status);
  EXPECT_EQ(status, 429) << "a fifth stream of one session";
  std::vector<std::string> others;
  while (static_cast<int>(streams.size()) < kMaxStreams) {
    others.push_back(new_session());
    for (int i = 0; i < 3 && static_cast<int>(streams.size()) < kMaxStreams; ++i) {
      streams.push_back(open_stream(others.back(), &status));
      EXPECT_EQ(status, 200);
    }
  }
  others.push_back(new_session());
  auto over = open_stream(others.back(), &status);
  EXPECT_EQ(status, 429) << "more streams than the server's cap";
  // With every stream slot taken, everything else still answers at once.
  for (const std::string& path : std::vector<std::string>{"/api/models", "/", at(a), at(others.back())}) {
    const Reply r = call("GET", path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_LT(r.seconds, 1.0) << path;
  }
  // A closed tab frees its slot within a couple of seconds.
  streams.pop_back();
  bool reopened = false;
  for (auto deadline = Clock::now() + 5s; !reopened && Clock::now() < deadline; std::this_thread::sleep_for(300ms)) {
    auto again = open_stream(others.back(), &status);
    reopened = status == 200;
  }
  EXPECT_TRUE(reopened);
}

// --- no work lost

TEST_F(ServeAbuse, AFloodOfNewSessionsNeverDeletesAnOpenOne) {
  const std::string user = new_session();
  int status = 0;
  std::unique_ptr<RawConnection> page;  // the user's tab (slots of an earlier test's streams free within a second)
  for (auto deadline = Clock::now() + 5s; status != 200 && Clock::now() < deadline;) page = open_stream(user, &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(call("POST", at(user, "/points"), Json{{"handle", {10, 20}}, {"target", {30, 20}}}).status, 201);
  const std::string image = call("GET", at(user, "/image.png")).body;

  std::atomic<int> created{0}, refused{0}, other{0};
  std::vector<std::thread> flood;
  for (int i = 0; i < 40; ++i)
    flood.emplace_back([&] {
      const Reply r = call("POST", "/api/sessions", Json::object());
      if (r.status == 201) ++created;
      else if (r.status == 503 && r.error().find("the server is full") != std::string::npos) ++refused;
      else ++other;
    });
  for (auto& t : flood) t.join();
  EXPECT_EQ(other, 0);
  EXPECT_EQ(created + refused, 40);
  const Json status_now = call("GET", "/api/status").json();
  EXPECT_LE(status_now["sessions"]["in_memory"].get<int>(), kMaxSessions) << status_now.dump();
  EXPECT_LE(created.load(), kMaxSessions - 1) << "the cap holds under parallel creates";

  const Reply state = call("GET", at(user));
  ASSERT_EQ(state.status, 200) << state.body;
  EXPECT_EQ(state.json()["points"].size(), 1u);
  EXPECT_EQ(call("GET", at(user, "/image.png")).body, image);
  EXPECT_FALSE(page->closed_by_server(100ms)) << "the page's stream is still open";

  // Once the flood's sessions are idle, new sessions get room again (idle ones move to disk).
  std::this_thread::sleep_for(std::chrono::seconds(kIdleSeconds + 1));
  EXPECT_EQ(call("POST", "/api/sessions", Json::object()).status, 201);
  EXPECT_EQ(call("GET", at(user)).json()["points"].size(), 1u);
}

TEST_F(ServeAbuse, AnIdleSessionMovedToDiskComesBackWhole) {
  const std::string s = new_session();
  ASSERT_EQ(call("PATCH", at(s), Json{{"seed", 7}, {"params", {{"lr", 0.01}}}}).status, 200);
  const std::string original = call("GET", at(s, "/image.png")).body;
  ASSERT_EQ(call("POST", at(s, "/points"), Json{{"handle", {22, 30}}, {"target", {38, 30}}}).status, 201);
  ASSERT_EQ(call("POST", at(s, "/start"), Json{{"max_steps", 3}}).status, 202);
  wait_idle(s);
  ASSERT_EQ(call("PUT", at(s, "/mask"), Json{{"format", "rle"}, {"width", 64}, {"height", 64}, {"counts", {100, 400, 3596}}})
                .status,
            200);
  const Json before = call("GET", at(s)).json();
  const std::string dragged = call("GET", at(s, "/image.png")).body;
  ASSERT_TRUE(before["can_undo"].get<bool>());

  // Idle past the window, then crowded out by fresh sessions: it goes to disk.
  std::this_thread::sleep_for(std::chrono::seconds(kIdleSeconds + 1));
  for (int i = 0; i < kMaxSessions; ++i) call("POST", "/api/sessions", Json::object());
  EXPECT_GE(call("GET", "/api/status").json()["sessions"]["on_disk"].get<int>(), 1);

  const Reply back = call("GET", at(s));
  ASSERT_EQ(back.status, 200) << back.body;
  Json after = back.json();
  EXPECT_EQ(after, before) << "points, mask, params, history flags, versions: all as they were";
  EXPECT_EQ(call("GET", at(s, "/image.png")).body, dragged);
  EXPECT_EQ(call("GET", at(s, "/animation.gif")).status, 200);
  ASSERT_EQ(call("POST", at(s, "/undo")).status, 200);
  EXPECT_EQ(call("GET", at(s, "/image.png")).body, original) << "the undo history came back too";
}

// --- images

TEST_F(ServeAbuse, AHugeImageIsRefusedFromItsHeader) {
  const std::string s = new_session();
  const long before_kb = server_->status_kb("VmHWM");
  const Reply upload = call("POST", at(s, "/upload?name=huge.png"), forged_png(16000, 16000), "image/png");
  EXPECT_EQ(upload.status, 400) << upload.body;
  EXPECT_NE(upload.error().find("16000x16000, larger than the limit"), std::string::npos) << upload.body;
  EXPECT_LT(upload.seconds, 2.0);
  const Reply mask = call("PUT", at(s, "/mask"), forged_png(16000, 16000), "image/png");
  EXPECT_EQ(mask.status, 400) << mask.body;
  EXPECT_NE(mask.error().find("does not match"), std::string::npos) << mask.body;
  const Reply bomb = call("PUT", at(s, "/mask"), bomb_png(64, 64, 64u << 20), "image/png");
  EXPECT_EQ(bomb.status, 400) << bomb.body;
  EXPECT_NE(bomb.error().find("inflates"), std::string::npos) << bomb.body;
  const Reply bomb_upload = call("POST", at(s, "/upload"), bomb_png(1024, 1024, 64u << 20), "image/png");
  EXPECT_EQ(bomb_upload.status, 400) << bomb_upload.body;
  EXPECT_LT(server_->status_kb("VmHWM") - before_kb, 100 * 1024) << "peak memory grew by less than 100 MB";
  EXPECT_FALSE(call("GET", at(s)).json()["running"].get<bool>());
}

// --- one set of limits

TEST_F(ServeAbuse, LoadChecksWhatTheRoutesCheck) {
  const std::string s = new_session();
  const Json saved = call("GET", at(s, "/session.json")).json();
  const auto load_error = [&](const Json& doc) {
    const Reply r = call("POST", at(s, "/load"), doc);
    EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
    return r.error();
  };
  Json many = saved;
  many["points"] = Json::array();
  for (int i = 0; i < 1000; ++i) many["points"].push_back({{"handle", {1, 1}}, {"target", nullptr}});
  EXPECT_NE(load_error(many).find("at most 64 points"), std::string::npos);
  // 100 000 points are refused while parsing, long before they could cost memory.
  for (int i = 0; i < 99000; ++i) many["points"].push_back({{"handle", {1, 1}}, {"target", nullptr}});
  const Reply huge = call("POST", at(s, "/load"), many);
  EXPECT_EQ(huge.status, 400);
  EXPECT_NE(huge.error().find("more than 4096 objects or arrays"), std::string::npos) << huge.body;
  EXPECT_LT(huge.seconds, 2.0);
  for (const Json& psi : {Json(1e300), Json(-11), Json("0.7")}) {
    Json doc = saved;
    doc["psi"] = psi;
    EXPECT_NE(load_error(doc).find("psi"), std::string::npos) << psi;
  }
  Json seed = saved;
  seed["seed"] = -1;
  EXPECT_NE(load_error(seed).find("seed"), std::string::npos);
  Json params = saved;
  params["params"]["r1"] = -1;
  EXPECT_NE(load_error(params).find("r1"), std::string::npos);
  Json mask = saved;
  mask["mask"] = {{"format", "rle"}, {"width", 32}, {"height", 32}, {"counts", {1024}}};
  EXPECT_NE(load_error(mask).find("does not match"), std::string::npos);
  Json point = saved;
  point["points"] = {{{"handle", {64, 1}}}};
  EXPECT_NE(load_error(point).find("outside"), std::string::npos);
  Json extra = saved;
  extra["surprise"] = 1;
  EXPECT_NE(load_error(extra).find("unknown field"), std::string::npos);
  // Nothing of that changed the session, and it still works.
  EXPECT_EQ(call("POST", at(s, "/reset")).status, 200);
  EXPECT_EQ(call("GET", at(s)).json()["psi"], saved["psi"]);
  EXPECT_EQ(call("POST", at(s, "/load"), saved).status, 200);
}

TEST_F(ServeAbuse, JsonBombsAreRefusedWhileParsing) {
  const std::string s = new_session();
  const Reply deep = call("POST", at(s, "/points"), std::string(500000, '[') + std::string(500000, ']'));
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.error().find("nested deeper"), std::string::npos) << deep.body.substr(0, 200);
  std::string wide = "{\"handle\": [";
  for (int i = 0; i < 400000; ++i) wide += "0,";
  wide += "0]}";
  const Reply many = call("POST", at(s, "/points"), wide);
  EXPECT_EQ(many.status, 400);
  EXPECT_NE(many.error().find("more than"), std::string::npos) << many.body.substr(0, 200);
}

// --- the shipped model (one channel)

TEST(ServeShippedModel, AnimationExportsWorkForTheOneChannelModelAndLeakNoPaths) {
  ServerProcess server({}, draggan::cli_test::shipped_model());
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(120, 0);
  auto created = client.Post("/api/sessions", "{}", "application/json");
  ASSERT_TRUE(created && created->status == 201);
  const std::string id = Json::parse(created->body)["id"];
  const std::string base = "/api/sessions/" + id;
  auto gif_before = client.Get((base + "/animation.gif").c_str());
  ASSERT_TRUE(gif_before);
  EXPECT_EQ(gif_before->status, 404);
  EXPECT_EQ(gif_before->body.find("/tmp"), std::string::npos) << gif_before->body;
  ASSERT_EQ(client.Post((base + "/points").c_str(), R"({"handle": [10, 16], "target": [20, 16]})", "application/json")->status,
            201);
  ASSERT_EQ(client.Post((base + "/start").c_str(), R"({"max_steps": 4})", "application/json")->status, 202);
  for (auto deadline = Clock::now() + 60s; Clock::now() < deadline; std::this_thread::sleep_for(50ms))
    if (!Json::parse(client.Get(base.c_str())->body)["running"].get<bool>()) break;
  auto gif = client.Get((base + "/animation.gif").c_str());
  ASSERT_TRUE(gif);
  EXPECT_EQ(gif->status, 200) << gif->body;
  EXPECT_EQ(gif->body.substr(0, 6), "GIF89a");
  EXPECT_EQ(client.Get((base + "/animation.png").c_str())->status, 200);
}

}  // namespace serve_abuse_test
