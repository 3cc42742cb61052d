// Image files through the library's readers and writers (so every image the project writes is written one way),
// the drag overlay and the GIF animation writer.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <tuple>

#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/core/Error.h"
#include "draggan/drag/DragOverlay.h"
#include "draggan/io/GifWriter.h"
#include "draggan/io/Image.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

std::string path_of(py::handle path) { return py::str(py::module_::import("os").attr("fspath")(path)); }

// uint8 [H, W, C] (C = 1..4) or [H, W]; `what` names the argument.
torch::Tensor uint8_image(py::handle image, const std::string& what) {
  torch::Tensor t = tensor_from_python(image, what);
  if (t.scalar_type() != torch::kUInt8 || (t.dim() != 2 && t.dim() != 3) || (t.dim() == 3 && (t.size(2) < 1 || t.size(2) > 4)))
    throw InputError(what + ": expected uint8 [H, W, C] (C = 1..4) or [H, W], got " +
                     std::string(c10::toString(t.scalar_type())) + " " + c10::str(t.sizes()));
  return t;
}

class GifFile {
 public:
  GifFile(py::handle path, int width, int height, int frame_ms)
      : path_(path_of(path)), writer_(std::make_unique<GifWriter>(path_, width, height, frame_ms)) {}
  void add(py::handle frame) {
    if (!writer_) throw InputError(path_ + ": the GIF is closed");
    torch::Tensor t = uint8_image(frame, "frame");
    py::gil_scoped_release unlocked;
    writer_->add_frame(t);
  }
  void close() {
    if (!writer_) return;
    writer_->close();
    frames_closed_ = writer_->frames();
    writer_.reset();
  }
  int frames() const { return writer_ ? writer_->frames() : frames_closed_; }

 private:
  std::string path_;
  std::unique_ptr<GifWriter> writer_;
  int frames_closed_ = 0;
};

}  // namespace

void bind_images(py::module_& m) {
  m.def(
      "read_image",
      [](py::handle path) {
        const std::string p = path_of(path);
        torch::Tensor image = on_file(p, [&] {
          py::gil_scoped_release unlocked;
          return read_image(p);
        });
        return numpy_from_tensor(image);
      },
      py::arg("path"),
      "Reads PNG, JPEG, BMP, GIF (first frame), TGA, PSD, PNM or HDR as uint8 [H, W, C], C = 1 (gray) or 3 (RGB; "
      "an alpha channel is dropped, as PIL's convert('RGB')), within the CLI's size limits.");
  m.def(
      "write_png",
      [](py::handle path, py::handle image) {
        const std::string p = path_of(path);
        torch::Tensor t = uint8_image(image, "image");
        py::gil_scoped_release unlocked;
        write_png(p, t);
      },
      py::arg("path"), py::arg("image"), "Writes uint8 [H, W, C] (C = 1..4) or [H, W] as PNG, as the CLI writes images.");
  m.def(
      "encode_png",
      [](py::handle image) {
        torch::Tensor t = uint8_image(image, "image");
        std::string bytes;
        {
          py::gil_scoped_release unlocked;
          bytes = encode_png(t);
        }
        return py::bytes(bytes);
      },
      py::arg("image"), "The PNG file's bytes of uint8 [H, W, C] or [H, W] (for a notebook's display).");
  m.def(
      "draw_points",
      [](py::handle image, const std::vector<std::tuple<double, double, double, double>>& pairs) {
        torch::Tensor t = uint8_image(image, "image");
        if (t.dim() != 3 || t.size(2) != 3) throw InputError("image: expected uint8 [H, W, 3]");
        std::vector<DragPair> drag_pairs;
        for (const auto& [hx, hy, tx, ty] : pairs) drag_pairs.push_back({{hx, hy}, {tx, ty}});
        torch::Tensor out;
        {
          py::gil_scoped_release unlocked;
          out = draw_drag_overlay(t, drag_pairs);
        }
        return numpy_from_tensor(out);
      },
      py::arg("image"), py::arg("pairs"), "draw_points in draggan_cpp (pairs of (handle x, y, target x, y)).");
  py::class_<GifFile>(m, "GifWriter", R"(An animated GIF written frame by frame (the CLI's --video writer), looping forever:

    with draggan_cpp.GifWriter("drag.gif", model.width, model.height, frame_ms=100) as gif:
        gif.add(frame)          # uint8 [H, W, 3] (or gray), of the size given

Each frame gets its own 256-colour palette.)")
      .def(py::init<py::handle, int, int, int>(), py::arg("path"), py::arg("width"), py::arg("height"),
           py::arg("frame_ms") = 100)
      .def("add", &GifFile::add, py::arg("frame"), "Appends one frame, uint8 [height, width, 3].")
      .def("close", &GifFile::close, "Writes the end of the file (also done on leaving a with block).")
      .def_property_readonly("frames", &GifFile::frames)
      .def("__enter__", [](GifFile& g) -> GifFile& { return g; }, py::return_value_policy::reference)
      .def("__exit__", [](GifFile& g, py::args) { g.close(); });
}

}  // namespace draggan::python
