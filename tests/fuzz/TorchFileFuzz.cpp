// torch.save files: the zip container (ZipArchive), data.pkl and its storages (TorchPickle), or the legacy
// stream format; then the state dict walk over whatever came out.
#include "FuzzInput.h"
#include "draggan/io/TorchFile.h"

int draggan::fuzz::fuzz_torch_file(const uint8_t* data, size_t size) {
  draggan::fuzz::InputFile file(data, size);
  draggan::fuzz::expect_clean([&] {
    draggan::TorchFile torch_file = draggan::read_torch_file(file.path());
    if (torch_file.root) draggan::tensor_dict(*torch_file.tensors, *torch_file.root);
  });
  return 0;
}
