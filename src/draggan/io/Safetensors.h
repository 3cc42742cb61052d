// safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian tensor bytes. The format of our model and training checkpoints.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include "draggan/core/StateDict.h"

namespace draggan {

struct SafetensorsFile {
  StateDict tensors;
  std::map<std::string, std::string> metadata;
};

// Memory-maps `path` (copy-on-write, so writing into a returned tensor never touches the file) and returns
// tensors that view the mapping; the mapping lives as long as any of them. Supports F64, F32, F16, BF16, I64,
// I32, I16, I8, U8 and BOOL. Anything malformed throws CheckpointError("<path>: ...") naming the tensor/field.
SafetensorsFile read_safetensors(const std::string& path);

// Same checks on an in-memory file (e.g. an upload); the tensors are copies. `origin` names it in errors.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& origin);

// Writes tensors (any device; made contiguous on the CPU one at a time) in name order, header padded with
// spaces to a multiple of 8 bytes as the reference writer does. Written to "<path>.tmp" and renamed, so an
// interrupted save never leaves a truncated checkpoint under the real name.
void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The same file as bytes in memory (parse_safetensors reads it back); `origin` names it in errors.
std::string safetensors_bytes(const StateDict& tensors, const std::map<std::string, std::string>& metadata,
                              const std::string& origin);

// "F32", "BF16", ... for a supported torch dtype; throws CheckpointError otherwise.
std::string safetensors_dtype_name(torch::ScalarType type);

}  // namespace draggan
