// The editor's session file as POST /load reads it: bounded JSON parsing, then every field checked against a
// model the way the routes check them. The model here is only its shape (a non-square 64 x 48 frame, 10 ws
// of 64, 7 feature layers): reading a session file never runs the network.
#include <nlohmann/json.hpp>

#include "FuzzInput.h"
#include "draggan/core/Error.h"
#include "server/http/JsonBody.h"
#include "server/ServerLimits.h"
#include "server/session/SessionDocument.h"

namespace {

class ShapeOnlyModel : public draggan::GeneratorModel {
 public:
  std::string family() const override { return "shape-only"; }
  std::string description() const override { return "shape-only model for fuzzing"; }
  draggan::LatentLayout latent_layout() const override { return {64, 0, 64, 10}; }
  draggan::ImageShape image_shape() const override { return {64, 48, 3}; }
  int num_feature_layers() const override { return 7; }
  int default_feature_layer() const override { return 5; }
  std::string feature_layer_name(int layer) const override { return "b" + std::to_string(4 << layer); }
  torch::Tensor map(const torch::Tensor&, const torch::Tensor&, double, int) override { return unused(); }
  torch::Tensor synthesize(const torch::Tensor&, draggan::NoiseMode) override { return unused(); }
  draggan::FeatureResult features(const torch::Tensor&, const draggan::FeatureRequest&) override {
    unused();
    return {};
  }
  torch::nn::Module& module() override { return module_; }
  std::shared_ptr<draggan::GeneratorModel> clone() override { return std::make_shared<ShapeOnlyModel>(); }
  nlohmann::json config_json() const override { return nlohmann::json::object(); }

 private:
  static torch::Tensor unused() { throw std::logic_error("the session file reader ran the network"); }
  torch::nn::Module module_;
};

}  // namespace

int draggan::fuzz::fuzz_session_json(const uint8_t* data, size_t size) {
  static ShapeOnlyModel model;
  draggan::fuzz::expect_clean([&] {
    const nlohmann::json doc = draggan::server::parse_json_object(
        draggan::fuzz::as_string(data, size), draggan::server::limits::kSessionFileJsonValues, "session file");
    nlohmann::json identity;
    draggan::server::session_document_model(doc, identity);
    draggan::server::read_session_document(doc, model);
  });
  return 0;
}
