// TensorFlow network pickles ((G, D, Gs) of dnnlib Networks): the pickle parse, the Network walker
// (components, variables), every variable as a numpy array or scalar, and the static kwargs -> official init
// kwargs mapping. The name/shape conversion into a StyleGAN2 generator is left out: it builds the network
// (the whole nn/ library), and it checks each tensor against that network's own shapes.
#include "FuzzInput.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/TensorflowKwargs.h"
#include "draggan/io/TensorflowPickle.h"

int draggan::fuzz::fuzz_tensorflow_snapshot(const uint8_t* data, size_t size) {
  draggan::fuzz::expect_clean([&] {
    std::unique_ptr<draggan::PickleTree> tree =
        draggan::parse_pickle(draggan::fuzz::as_string(data, size), "fuzz input");
    if (!draggan::is_tensorflow_pickle(*tree)) return;
    const draggan::TensorflowNetworks nets = draggan::read_tensorflow_networks(*tree);
    for (const draggan::TensorflowNetwork* net : {nets.G ? &*nets.G : nullptr, nets.D ? &*nets.D : nullptr, &nets.Gs}) {
      if (!net) continue;
      for (const auto& [name, value] : net->variables)
        draggan::tensorflow_variable(*tree, *value, net->role + ": variable '" + name + "'");
    }
    draggan::generator_kwargs_from_tensorflow(nets.Gs.static_kwargs);
    if (nets.D) {
      bool progressive = false;
      for (const auto& [name, value] : nets.D->variables) progressive = progressive || name.rfind("FromRGB_lod", 0) == 0;
      draggan::discriminator_kwargs_from_tensorflow(nets.D->static_kwargs, progressive);
    }
  });
  return 0;
}
