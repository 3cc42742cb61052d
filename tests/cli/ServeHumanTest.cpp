// `draggan serve` on a StyleGAN-Human model (the 64x32 fixture, tests/data/formats/stylegan_human): the API speaks
// pixels of the 2:1 image (x 0..31, y 0..63), masks and exports have its size, sessions save and load, and the
// model list of a folder of models shows it beside a StyleGAN2 model with its family and shape.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "ServerProcess.h"
#include "draggan/io/Image.h"

namespace serve_human_test {

using Json = nlohmann::json;
using draggan::cli_test::ServerProcess;
using namespace std::chrono_literals;

const std::string kHuman = std::string(DRAGGAN_TEST_DATA) + "/formats/stylegan_human/stylegan_human_tiny_64x32.pkl";

struct Reply {
  int status = 0;
  std::string body;
  Json json() const { return Json::parse(body); }
};

Reply call(ServerProcess& server, const std::string& method, const std::string& path, const Json& body = nullptr) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(120, 0);
  const std::string text = body.is_null() ? "" : body.dump();
  httplib::Result r = method == "GET"    ? client.Get(path.c_str())
                      : method == "POST" ? client.Post(path.c_str(), text, "application/json")
                      : method == "PUT"  ? client.Put(path.c_str(), text, "application/json")
                                         : client.Delete(path.c_str());
  if (!r) return {-1, "no answer: " + httplib::to_string(r.error())};
  return {r->status, r->body};
}

Json wait_idle(ServerProcess& server, const std::string& session) {
  for (auto deadline = std::chrono::steady_clock::now() + 300s; std::chrono::steady_clock::now() < deadline;) {
    const Json state = call(server, "GET", "/api/sessions/" + session).json();
    if (!state.at("running").get<bool>()) return state;
    std::this_thread::sleep_for(100ms);
  }
  ADD_FAILURE() << "drag did not finish in time";
  return {};
}

// Width and height of a GIF (logical screen, little-endian at bytes 6..9).
std::pair<int, int> gif_size(const std::string& gif) {
  auto u16 = [&](size_t at) { return static_cast<unsigned char>(gif[at]) | static_cast<unsigned char>(gif[at + 1]) << 8; };
  return {u16(6), u16(8)};
}

TEST(ServeHuman, ApiSpeaksPixelsOfTheTwoToOneImage) {
  ServerProcess server({"--no-ai-mark"}, kHuman);  // the true 32x64 image (the mark would enlarge it)
  const Reply created = call(server, "POST", "/api/sessions", Json{{"seed", 0}, {"params", {{"lr", 0.01}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const Json state = created.json();
  EXPECT_EQ(state["family"], "stylegan-human");
  EXPECT_EQ(state["width"], 32);
  EXPECT_EQ(state["height"], 64);
  const std::string s = "/api/sessions/" + state["id"].get<std::string>();

  const torch::Tensor image = draggan::decode_image(call(server, "GET", s + "/image.png").body, "image.png");
  EXPECT_EQ(image.sizes(), (std::vector<int64_t>{64, 32, 3}));

  // The last column and row are in; one past them is out, with the image size in the message.
  const Reply out = call(server, "POST", s + "/points", Json{{"handle", {32, 10}}});
  EXPECT_EQ(out.status, 400);
  EXPECT_NE(out.body.find("outside the 32x64 image"), std::string::npos) << out.body;
  const Reply corner = call(server, "POST", s + "/points", Json{{"handle", {31, 63}}});
  ASSERT_EQ(corner.status, 201) << corner.body;
  const int corner_id = corner.json()["points"][0]["id"].get<int>();
  EXPECT_EQ(call(server, "DELETE", s + "/points/" + std::to_string(corner_id)).status, 200);
  // A square (or transposed) mask does not fit; one of the image size does (all 1s: free to move).
  const Reply square_mask =
      call(server, "PUT", s + "/mask", Json{{"format", "rle"}, {"width", 64}, {"height", 64}, {"counts", {0, 4096}}});
  EXPECT_EQ(square_mask.status, 400);
  EXPECT_NE(square_mask.body.find("does not match"), std::string::npos) << square_mask.body;
  EXPECT_EQ(call(server, "PUT", s + "/mask", Json{{"format", "rle"}, {"width", 32}, {"height", 64}, {"counts", {0, 2048}}})
                .status,
            200);

  ASSERT_EQ(call(server, "POST", s + "/points", Json{{"handle", {6, 20}}, {"target", {14, 26}}}).status, 201);
  ASSERT_EQ(call(server, "POST", s + "/start", Json{{"max_steps", 4}}).status, 202);
  const Json done = wait_idle(server, state["id"]);
  EXPECT_EQ(done["last_drag"]["step"], 4) << done.dump();
  EXPECT_FALSE(done["last_drag"].contains("error")) << done.dump();
  const std::string dragged = call(server, "GET", s + "/image.png").body;
  EXPECT_EQ(draggan::decode_image(dragged, "dragged").sizes(), (std::vector<int64_t>{64, 32, 3}));

  const Reply gif = call(server, "GET", s + "/animation.gif");
  ASSERT_EQ(gif.status, 200);
  EXPECT_EQ(gif_size(gif.body), (std::pair<int, int>{32, 64}));
  EXPECT_EQ(call(server, "GET", s + "/animation.png").status, 200);

  // Save and load into a fresh session: the same image, points and mask.
  const Json saved = call(server, "GET", s + "/session.json").json();
  EXPECT_EQ(saved["model"]["width"], 32);
  EXPECT_EQ(saved["model"]["height"], 64);
  const std::string other = "/api/sessions/" + call(server, "POST", "/api/sessions", Json{{"seed", 5}}).json()["id"].get<std::string>();
  const Reply loaded = call(server, "POST", other + "/load", saved);
  ASSERT_EQ(loaded.status, 200) << loaded.body;
  EXPECT_EQ(call(server, "GET", other + "/image.png").body, dragged);
  EXPECT_EQ(loaded.json()["mask"], done["mask"]);
  EXPECT_TRUE(server.alive()) << server.output();
}

TEST(ServeHuman, ModelFolderListsEveryFamilyWithItsShape) {
  const auto dir = std::filesystem::temp_directory_path() / ("draggan_models_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kHuman, dir / "human.pkl", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl", dir / "square.pkl",
                             std::filesystem::copy_options::overwrite_existing);
  {
    // A folder given as the model serves every model in it (the same registry as --models DIR).
    ServerProcess server({}, dir.string());
    // Open a session on each so both are loaded and described.
    for (const char* id : {"human", "square"})
      ASSERT_EQ(call(server, "POST", "/api/sessions", Json{{"model", id}}).status, 201) << id;
    const Json models = call(server, "GET", "/api/models").json();
    std::map<std::string, Json> by_id;
    for (const Json& m : models["models"]) by_id[m["id"].get<std::string>()] = m;
    ASSERT_TRUE(by_id.count("human") && by_id.count("square")) << models.dump();
    EXPECT_EQ(by_id["human"]["family"], "stylegan-human");
    EXPECT_EQ(by_id["human"]["width"], 32);
    EXPECT_EQ(by_id["human"]["height"], 64);
    EXPECT_EQ(by_id["square"]["family"], "stylegan2");
    EXPECT_EQ(by_id["square"]["width"], 64);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace serve_human_test
