// A pickled value as JSON, for init kwargs and other configuration stored in checkpoints: dicts (and dict
// subclasses such as EasyDict) become objects, tuples/lists/sets arrays, numpy scalars numbers, globals their
// "module.name"; anything else becomes {"__object__": "module.name"}.
#pragma once
#include <nlohmann/json.hpp>

#include "draggan/io/PickleValue.h"

namespace draggan {

// Throws CheckpointError when nesting exceeds a sane depth (cycles made through the memo included).
nlohmann::json pickle_to_json(const PickleTree& tree, const PickleValue& value);

}  // namespace draggan
