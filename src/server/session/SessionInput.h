// The checks every route and the session file share, so `load` refuses exactly what POST /points, PATCH and
// PUT /mask refuse, in the same words. Each throws InputError naming `what`.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/drag/DragParams.h"
#include "draggan/drag/DragSession.h"

namespace draggan::server {

uint32_t parse_seed(const nlohmann::json& value, const std::string& what = "seed");
// Finite, |psi| <= limits::kMaxAbsPsi.
double parse_psi(const nlohmann::json& value, const std::string& what = "psi");
LatentSpace parse_space(const nlohmann::json& value, const std::string& what = "latent_space");
// [x, y] inside a height x width image (x = column, y = row).
DragPoint parse_point(const nlohmann::json& value, const std::string& what, int64_t height, int64_t width);
// At most limits::kMaxPoints points.
void check_point_count(size_t count, const std::string& what);
// Every key of `object` is one of `known`.
void check_fields(const nlohmann::json& object, std::initializer_list<const char*> known, const std::string& what);

}  // namespace draggan::server
