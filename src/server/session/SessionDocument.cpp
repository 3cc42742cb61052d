#include "server/session/SessionDocument.h"

#include <cmath>

#include "draggan/core/Error.h"
#include "server/codec/MaskCodec.h"
#include "server/session/SessionInput.h"
#include "server/codec/TensorCodec.h"

namespace draggan::server {

std::string session_document_model(const nlohmann::json& doc, nlohmann::json& identity) {
  if (!doc.is_object()) throw InputError("session file: expected a JSON object");
  check_fields(doc, {"format", "version", "model", "seed", "psi", "latent_space", "params", "latent", "points",
                     "mask", "generator", "provenance"},
               "session file");
  if (!doc.contains("format") || doc["format"] != kSessionFormat)
    throw InputError(std::string("session file: \"format\" must be \"") + kSessionFormat + "\" (a file saved by the editor)");
  if (!doc.contains("version") || doc["version"] != kSessionVersion)
    throw InputError("session file: unsupported version " + doc.value("version", nlohmann::json(nullptr)).dump().substr(0, 40));
  identity = doc.value("model", nlohmann::json::object());
  if (!identity.is_object()) throw InputError("session file: \"model\" must be an object");
  if (identity.contains("id") && !identity["id"].is_string()) throw InputError("session file: model.id must be a string");
  return identity.value("id", std::string());
}

SessionDocument read_session_document(const nlohmann::json& doc, const GeneratorModel& generator) {
  const LatentLayout layout = generator.latent_layout();
  const ImageShape shape = generator.image_shape();
  SessionDocument out;
  if (doc.contains("seed")) out.seed = parse_seed(doc["seed"], "session file: seed");
  if (doc.contains("psi")) out.psi = parse_psi(doc["psi"], "session file: psi");
  if (doc.contains("provenance") && !doc["provenance"].is_null())
    out.provenance = provenance_from_json(doc["provenance"], "session file: provenance");
  if (doc.contains("latent_space")) out.space = parse_space(doc["latent_space"], "session file: latent_space");
  if (doc.contains("params")) apply_params_json(doc["params"], generator, out.params);

  if (!doc.contains("latent")) throw InputError("session file: \"latent\" is missing");
  out.latent = decode_float_tensor(doc["latent"], "session file: latent");  // finite values only
  const torch::Tensor& ws = out.latent;
  if (ws.dim() != 3 || ws.size(0) != 1 || ws.size(1) != layout.num_ws || ws.size(2) != layout.w_dim)
    throw InputError("session file: latent has shape " + c10::str(ws.sizes()) + ", this model needs [1, " +
                     std::to_string(layout.num_ws) + ", " + std::to_string(layout.w_dim) + "]");

  const int64_t height = shape.height, width = shape.width;
  const nlohmann::json points = doc.value("points", nlohmann::json::array());
  if (!points.is_array()) throw InputError("session file: \"points\" must be an array");
  check_point_count(points.size(), "session file: points");
  for (const auto& p : points) {
    check_fields(p, {"handle", "target"}, "session file: point");
    if (!p.contains("handle")) throw InputError("session file: each point needs a \"handle\"");
    EditorPoint point;
    point.handle = parse_point(p["handle"], "session file: handle", height, width);
    point.handle = {std::round(point.handle.x), std::round(point.handle.y)};  // as POST /points stores it
    if (p.contains("target") && !p["target"].is_null())
      point.target = parse_point(p["target"], "session file: target", height, width);
    out.points.push_back(point);
  }

  if (doc.contains("mask") && !doc["mask"].is_null()) out.mask = decode_mask(doc["mask"], height, width);

  if (doc.contains("generator") && !doc["generator"].is_null()) {
    if (!doc["generator"].is_object()) throw InputError("session file: \"generator\" must be an object of tensors");
    for (const auto& [name, value] : doc["generator"].items())
      out.generator[name] = decode_float_tensor(value, "session file: generator." + name.substr(0, 100));
  }
  return out;
}

}  // namespace draggan::server
