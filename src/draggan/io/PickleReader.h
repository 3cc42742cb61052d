// A pickle reader that never executes anything: it builds a PickleValue tree (protocols 0-5).
//
// Hardened for untrusted files: every length is checked against the bytes left, memo keys are validated, MARK
// nesting and the node count are capped, and every failure is a CheckpointError naming the file and the byte
// offset ("tiny.pkl: offset 1234: BINUNICODE length 1099511627776 exceeds the 17 bytes left").
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "draggan/io/PickleValue.h"

namespace draggan {

struct PickleReadOptions {
  // Deepest MARK nesting accepted (real checkpoints nest a few dozen levels).
  size_t max_mark_depth = 1000;
  // Called for PERSID / BINPERSID with the persistent id; returns the value to push. When empty, a
  // Kind::Persistent node holding the id is pushed instead.
  std::function<PickleValue*(PickleTree& tree, PickleValue* pid)> persistent_load;
};

// Parses one pickle (up to and including STOP) from `data`, which must stay alive as long as `tree` (a view
// into tree.data() or into a string the tree keeps). Offsets in nodes and errors are `base_offset` + position
// in `data`. Returns the root; `*consumed` (when given) receives the bytes used.
PickleValue* read_pickle(PickleTree& tree, std::string_view data, size_t base_offset, size_t* consumed = nullptr,
                         const PickleReadOptions& options = {});

// Parses `bytes` as one pickle; `origin` names it in errors. Trailing bytes after STOP are ignored, as Python does.
std::unique_ptr<PickleTree> parse_pickle(std::string bytes, std::string origin, const PickleReadOptions& options = {});

// Reads and parses a whole file.
std::unique_ptr<PickleTree> read_pickle_file(const std::string& path, const PickleReadOptions& options = {});

}  // namespace draggan
