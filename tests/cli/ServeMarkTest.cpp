// The editor's images through the API, on the shipped 32-px model: marked "AI Generated" by default (exactly
// mark_as_generated of what a --no-ai-mark server shows: enlarged to 256 px and stamped), the model's own pixels
// with --no-ai-mark, and every file it serves (the image, both animations, the reconstruction of an uploaded photo)
// carries its provenance record, read back by exiftool; a saved session carries it to another session.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ExifTool.h"
#include "ServerProcess.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/provenance/GeneratedMark.h"

namespace serve_mark_test {

using Json = nlohmann::json;
using draggan::cli_test::exiftool;
using draggan::cli_test::kEditedPhotoSource;
using draggan::cli_test::kGeneratedSource;
using draggan::cli_test::ServerProcess;
using draggan::cli_test::shipped_model;
using draggan::cli_test::tag;
using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::string body;
  Json json() const { return Json::parse(body); }
};

Reply call(ServerProcess& server, const std::string& method, const std::string& path, const std::string& body = "",
           const std::string& type = "application/json") {
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(120, 0);
  httplib::Result r = method == "GET" ? client.Get(path.c_str()) : client.Post(path.c_str(), body, type);
  if (!r) return {-1, "no answer: " + httplib::to_string(r.error())};
  return {r->status, r->body};
}

std::string new_session(ServerProcess& server, int seed) {
  const Reply r = call(server, "POST", "/api/sessions", Json{{"seed", seed}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return "/api/sessions/" + r.json()["id"].get<std::string>();
}

Json wait_idle(ServerProcess& server, const std::string& session) {
  for (auto deadline = std::chrono::steady_clock::now() + 120s; std::chrono::steady_clock::now() < deadline;) {
    const Json state = call(server, "GET", session).json();
    if (!state.at("running").get<bool>()) return state;
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "the session did not finish in time";
  return {};
}

// Writes what the server answered to a file, as a browser's download would, for exiftool.
std::string saved(const std::string& bytes, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("draggan_servemark_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  draggan::write_file(path, bytes);
  return path;
}

std::string sha256sum(const std::string& path) {
  FILE* pipe = popen(("sha256sum '" + path + "'").c_str(), "r");
  std::array<char, 65> digest{};
  const size_t n = pipe ? fread(digest.data(), 1, 64, pipe) : 0;
  if (pipe) pclose(pipe);
  return std::string(digest.data(), n);
}

TEST(ServeMark, ImagesAreMarkedByDefaultAndPlainWithTheOption) {
  ServerProcess marked({}, shipped_model()), plain({"--no-ai-mark"}, shipped_model());
  const std::string a = new_session(marked, 0), b = new_session(plain, 0);
  EXPECT_EQ(call(marked, "GET", a).json()["width"], 32) << "points stay the model's pixels";
  const std::string marked_png = call(marked, "GET", a + "/image.png").body;
  const std::string plain_png = call(plain, "GET", b + "/image.png").body;
  const torch::Tensor shown = draggan::decode_image(marked_png, "marked");
  const torch::Tensor model_image = draggan::decode_image(plain_png, "plain");
  ASSERT_EQ(model_image.sizes(), (std::vector<int64_t>{32, 32, 1}));
  ASSERT_EQ(shown.sizes(), (std::vector<int64_t>{256, 256, 1}));
  EXPECT_TRUE(torch::equal(shown, draggan::mark_as_generated(model_image)));

  for (const auto& [png, name] : {std::make_pair(marked_png, "marked.png"), std::make_pair(plain_png, "plain.png")}) {
    const Json tags = exiftool(saved(png, name));
    EXPECT_EQ(tag(tags, "DigitalSourceType"), kGeneratedSource) << name << " still says it is generated";
    EXPECT_EQ(tag(tags, "DragganModel"), "default.safetensors");
    EXPECT_EQ(tag(tags, "DragganModelSha256"), sha256sum(shipped_model()));
    EXPECT_EQ(tag(tags, "DragganSeed"), "0");
    EXPECT_EQ(tag(tags, "DragganPsi"), "0.7");
  }
}

TEST(ServeMark, DragsAnimationsUploadsAndSessionFilesCarryTheRecord) {
  ServerProcess server({}, shipped_model());
  const std::string s = new_session(server, 0);
  const std::string original = call(server, "GET", s + "/image.png").body;
  ASSERT_EQ(call(server, "POST", s + "/points", Json{{"handle", {16, 12}}, {"target", {16, 9}}}.dump()).status, 201);
  ASSERT_EQ(call(server, "POST", s + "/start", Json{{"max_steps", 4}}.dump()).status, 202);
  const int steps = wait_idle(server, s)["last_drag"]["step"].get<int>();
  const std::string dragged = call(server, "GET", s + "/image.png").body;
  const Json image = exiftool(saved(dragged, "dragged.png"));
  EXPECT_EQ(tag(image, "DigitalSourceType"), kGeneratedSource);
  const Json drags = Json::parse(tag(image, "DragganDrags"));
  ASSERT_EQ(drags.size(), 1u);
  EXPECT_EQ(drags[0]["points"], Json::parse("[[16, 12, 16, 9]]"));
  EXPECT_EQ(drags[0]["steps"], steps);

  const Json gif = exiftool(saved(call(server, "GET", s + "/animation.gif").body, "drag.gif"));
  EXPECT_EQ(tag(gif, "DigitalSourceType"), kGeneratedSource);
  EXPECT_NE(tag(gif, "Comment").find("draggan drags: " + drags.dump()), std::string::npos) << gif;
  EXPECT_EQ(tag(gif, "ImageWidth"), "256") << "the animation's frames are marked too";
  const Json apng = exiftool(saved(call(server, "GET", s + "/animation.png").body, "drag_animation.png"));
  EXPECT_EQ(tag(apng, "DigitalSourceType"), kGeneratedSource);
  EXPECT_EQ(tag(apng, "DragganDrags"), drags.dump());

  // Undo brings back the image and its record; a saved session brings the dragged image's record along.
  ASSERT_EQ(call(server, "POST", s + "/undo").status, 200);
  EXPECT_EQ(call(server, "GET", s + "/image.png").body, original);
  ASSERT_EQ(call(server, "POST", s + "/redo").status, 200);
  const Reply file = call(server, "GET", s + "/session.json");
  EXPECT_EQ(file.json()["provenance"]["drags"], drags);
  const std::string other = new_session(server, 4);
  ASSERT_EQ(call(server, "POST", other + "/load", file.body).status, 200);
  EXPECT_EQ(call(server, "GET", other + "/image.png").body, dragged) << "same pixels, same record";

  // An uploaded photo: its reconstruction is an edited photo, named by the uploaded file's hash.
  const std::string photo = saved(call(server, "GET", new_session(server, 3) + "/image.png").body, "photo.png");
  std::ifstream in(photo, std::ios::binary);
  const std::string photo_bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(call(server, "POST", s + "/upload?steps=4&pti_steps=2&name=photo.png", photo_bytes, "image/png").status, 202);
  EXPECT_EQ(wait_idle(server, s)["upload"]["reason"], "done");
  const Json reconstruction = exiftool(saved(call(server, "GET", s + "/image.png").body, "reconstruction.png"));
  EXPECT_EQ(tag(reconstruction, "DigitalSourceType"), kEditedPhotoSource);
  EXPECT_EQ(tag(reconstruction, "DragganPhotoSha256"), sha256sum(photo));
  EXPECT_EQ(tag(reconstruction, "DragganSeed"), "");
}

}  // namespace serve_mark_test
