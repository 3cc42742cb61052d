// The editor's session file as POST /load reads it: bounded JSON parsing, then every field checked against a
// model (here the fixture's shape: 64 px, 10 ws of 64) the way the routes check them.
#include <nlohmann/json.hpp>

#include "FuzzInput.h"
#include "server/JsonBody.h"
#include "server/ServerLimits.h"
#include "server/SessionDocument.h"

namespace {

draggan::GeneratorConfig fixture_config() {
  draggan::GeneratorConfig c;
  c.z_dim = 64;
  c.w_dim = 64;
  c.img_resolution = 64;
  c.mapping_layers = 4;
  c.channel_base = 1024;
  c.channel_max = 64;
  return c;
}

}  // namespace

int draggan::fuzz::fuzz_session_json(const uint8_t* data, size_t size) {
  static const draggan::GeneratorConfig config = fixture_config();
  draggan::fuzz::expect_clean([&] {
    const nlohmann::json doc = draggan::server::parse_json_object(
        draggan::fuzz::as_string(data, size), draggan::server::limits::kSessionFileJsonValues, "session file");
    nlohmann::json identity;
    draggan::server::session_document_model(doc, identity);
    draggan::server::read_session_document(doc, config);
  });
  return 0;
}
