#include "draggan/io/GifWriter.h"

#include <gif_lib.h>

#include <algorithm>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

std::string gif_error(int code) {
  const char* s = GifErrorString(code);
  return s ? s : ("giflib error " + std::to_string(code));
}

// NETSCAPE2.0 application extension: loop the animation forever.
void put_loop_extension(GifFileType* gif) {
  static const GifByteType kApp[] = {'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0'};
  static const GifByteType kLoopForever[] = {1, 0, 0};
  EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE);
  EGifPutExtensionBlock(gif, sizeof(kApp), kApp);
  EGifPutExtensionBlock(gif, sizeof(kLoopForever), kLoopForever);
  EGifPutExtensionTrailer(gif);
}

int append_to_string(GifFileType* gif, const GifByteType* data, int length) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(data), static_cast<size_t>(length));
  return length;
}

void check_frame_size(const std::string& origin, int width, int height) {
  if (width <= 0 || height <= 0 || width > 65535 || height > 65535)
    throw InputError(origin + ": GIF frames must be 1..65535 px on a side");
}

}  // namespace

GifWriter::GifWriter(const std::string& path, int width, int height, int frame_ms)
    : path_(path), width_(width), height_(height), delay_cs_(std::max(frame_ms / 10, 1)) {
  check_frame_size(path_, width, height);
  int error = 0;
  gif_ = EGifOpenFileName(path.c_str(), false, &error);
  if (!gif_) throw InputError(path + ": cannot create GIF file (" + gif_error(error) + ")");
  start();
}

GifWriter::GifWriter(std::string* out, int width, int height, int frame_ms)
    : path_("GIF"), width_(width), height_(height), delay_cs_(std::max(frame_ms / 10, 1)) {
  check_frame_size(path_, width, height);
  int error = 0;
  gif_ = EGifOpen(out, append_to_string, &error);
  if (!gif_) throw InputError("GIF: cannot start the encoder (" + gif_error(error) + ")");
  start();
}

void GifWriter::start() {
  EGifSetGifVersion(gif_, true);  // GIF89a: needed for delays and looping
  if (EGifPutScreenDesc(gif_, width_, height_, 8, 0, nullptr) == GIF_ERROR) {
    const int error = gif_->Error;
    EGifCloseFile(gif_, nullptr);
    gif_ = nullptr;
    throw InputError(path_ + ": cannot write GIF header (" + gif_error(error) + ")");
  }
  put_loop_extension(gif_);
}

GifWriter::~GifWriter() {
  try {
    close();
  } catch (...) {  // a destructor must not throw; close() explicitly to see write errors
  }
}

void GifWriter::add_frame(const torch::Tensor& image) {
  if (!gif_) throw InputError(path_ + ": GIF already closed");
  torch::Tensor rgb = image.dim() == 2 ? image.unsqueeze(2) : image;
  if (rgb.dim() == 3 && rgb.size(2) == 1) rgb = rgb.expand({-1, -1, 3});  // gray: the same value in R, G and B
  if (rgb.scalar_type() != torch::kUInt8 || rgb.dim() != 3 || rgb.size(0) != height_ || rgb.size(1) != width_ ||
      (rgb.size(2) != 3 && rgb.size(2) != 4))
    throw InputError(path_ + ": GIF frame must be uint8 [" + std::to_string(height_) + ", " +
                     std::to_string(width_) + ", 1, 3 or 4], got " + c10::str(image.sizes()));
  // giflib's quantiser wants separate planes.
  torch::Tensor planes = rgb.slice(2, 0, 3).permute({2, 0, 1}).to(torch::kCPU).contiguous();
  const unsigned pixels = static_cast<unsigned>(width_) * static_cast<unsigned>(height_);
  std::vector<GifByteType> indices(pixels);
  std::vector<GifColorType> colours(256);
  int palette_size = 256;
  auto* data = planes.data_ptr<uint8_t>();
  if (GifQuantizeBuffer(width_, height_, &palette_size, data, data + pixels, data + 2 * pixels, indices.data(),
                        colours.data()) == GIF_ERROR)
    throw InputError(path_ + ": GIF colour quantisation failed");
  ColorMapObject* map = GifMakeMapObject(256, colours.data());
  if (!map) throw std::bad_alloc();

  GraphicsControlBlock gcb{};
  gcb.DisposalMode = DISPOSE_DO_NOT;
  gcb.DelayTime = delay_cs_;
  gcb.TransparentColor = NO_TRANSPARENT_COLOR;
  GifByteType ext[4];
  const size_t ext_len = EGifGCBToExtension(&gcb, ext);
  bool ok = EGifPutExtension(gif_, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(ext_len), ext) != GIF_ERROR &&
            EGifPutImageDesc(gif_, 0, 0, width_, height_, false, map) != GIF_ERROR;
  for (int row = 0; ok && row < height_; ++row)
    ok = EGifPutLine(gif_, indices.data() + static_cast<size_t>(row) * width_, width_) != GIF_ERROR;
  GifFreeMapObject(map);
  if (!ok) throw InputError(path_ + ": GIF write failed (" + gif_error(gif_->Error) + ")");
  ++frames_;
}

void GifWriter::close() {
  if (!gif_) return;
  int error = 0;
  const int rc = EGifCloseFile(gif_, &error);
  gif_ = nullptr;
  if (rc == GIF_ERROR) throw InputError(path_ + ": GIF close failed (" + gif_error(error) + ")");
}

}  // namespace draggan
