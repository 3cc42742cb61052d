// The editor's session file, read and checked completely before a session changes. Format "draggan-session"
// version 1:
//   {format, version, model: {id, file, family, resolution (= height), height, width, num_ws, w_dim, z_dim}, seed,
//    psi, latent_space, params,
//    latent: {dtype: "float32", shape: [1, num_ws, w_dim], data: base64}, points: [{handle, target}],
//    mask: {format: "rle", ...} | null, generator: {name: tensor, ...} (only after an upload),
//    provenance: how the image was made (provenance_to_json; optional, files from before it have none)}
// Every field passes the check of the route it replays: seed/psi/latent_space/params as PATCH, points as
// POST /points (count included), mask as PUT /mask, latent as the model's shape with finite values.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "draggan/core/StateDict.h"
#include "draggan/provenance/ImageProvenance.h"
#include "draggan/model/GeneratorModel.h"
#include "server/session/EditorParams.h"
#include "server/session/EditorPoint.h"

namespace draggan::server {

struct SessionDocument {
  uint32_t seed = 0;
  double psi = 0.7;
  LatentSpace space = LatentSpace::WPlus;
  EditorParams params;
  torch::Tensor latent;             // float32 [1, num_ws, w_dim], finite
  std::vector<EditorPoint> points;  // ids not assigned
  torch::Tensor mask;               // bool [H, W], 1 = movable; undefined = none
  StateDict generator;              // tuned weights; empty = the model's own
  std::optional<ImageProvenance> provenance;  // model fields are the saving server's: the loader sets its own
};

constexpr char kSessionFormat[] = "draggan-session";
constexpr int kSessionVersion = 1;

// Checks format and version; returns the model id the file names ("" when none) and its saved identity.
std::string session_document_model(const nlohmann::json& doc, nlohmann::json& identity);

// The rest of the file, checked against `generator`, the model chosen for it (latent layout, height x width).
// Throws InputError naming the field.
SessionDocument read_session_document(const nlohmann::json& doc, const GeneratorModel& generator);

}  // namespace draggan::server
