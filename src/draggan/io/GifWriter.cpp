#include "draggan/io/GifWriter.h"

#include <fcntl.h>
#include <gif_lib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/io/FrameDelta.h"

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

// XMP in GIF (XMP specification part 3): the packet's bytes follow the application identifier raw, then a
// 258-byte "magic trailer" (1, 255, 254, ..., 1, 0, 0) that makes a reader walking them as sub-blocks land on
// the block terminator, whatever byte it starts from. giflib writes only sub-blocks, so the same bytes are cut
// where such a reader would cut them: each piece starts with its own length byte. The packet has no zero
// byte (UTF-8 text), so no piece ends the extension early.
void put_xmp_extension(GifFileType* gif, const std::string& xmp) {
  std::string raw = xmp;
  raw += '\x01';
  for (int v = 255; v >= 0; --v) raw += static_cast<char>(v);
  static const GifByteType kApp[] = {'X', 'M', 'P', ' ', 'D', 'a', 't', 'a', 'X', 'M', 'P'};
  EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE);
  EGifPutExtensionBlock(gif, sizeof(kApp), kApp);
  for (size_t pos = 0; pos < raw.size();) {
    const auto length = static_cast<unsigned char>(raw[pos]);
    EGifPutExtensionBlock(gif, length, reinterpret_cast<const GifByteType*>(raw.data() + pos + 1));
    pos += 1 + size_t{length};
  }
  EGifPutExtensionTrailer(gif);
}

// The record's text fields as "keyword: value" lines in a comment extension (255-byte sub-blocks).
void put_comment_extension(GifFileType* gif, const std::string& text) {
  EGifPutExtensionLeader(gif, COMMENT_EXT_FUNC_CODE);
  for (size_t pos = 0; pos < text.size(); pos += 255) {
    const std::string piece = text.substr(pos, 255);
    EGifPutExtensionBlock(gif, static_cast<int>(piece.size()), reinterpret_cast<const GifByteType*>(piece.data()));
  }
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
  // Opened here rather than by EGifOpenFileName, which creates files readable by their owner only (0600):
  // an animation is made to be shared, so it gets the mode every other file gets (0666 less the umask).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw InputError(path + ": cannot create GIF file (" + std::strerror(errno) + ")");
  int error = 0;
  gif_ = EGifOpenFileHandle(fd, &error);  // owns fd once it succeeds (EGifCloseFile closes it)
  if (!gif_) {
    ::close(fd);
    throw InputError(path + ": cannot create GIF file (" + gif_error(error) + ")");
  }
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
  // Only the rectangle that changed since the previous frame is stored (drawn over it: DISPOSE_DO_NOT); an
  // unchanged frame keeps one pixel so that its delay still counts.
  const torch::Tensor frame = rgb.slice(2, 0, 3).to(torch::kCPU).contiguous();
  FrameRegion r{0, 0, height_, width_};
  if (previous_.defined()) {
    r = changed_region(previous_, frame);
    if (r.height == 0) r = {0, 0, 1, 1};
  }
  previous_ = frame;
  const int w = static_cast<int>(r.width), h = static_cast<int>(r.height);
  // giflib's quantiser wants separate planes.
  torch::Tensor planes =
      frame.slice(0, r.top, r.top + r.height).slice(1, r.left, r.left + r.width).permute({2, 0, 1}).contiguous();
  const unsigned pixels = static_cast<unsigned>(w) * static_cast<unsigned>(h);
  std::vector<GifByteType> indices(pixels);
  std::vector<GifColorType> colours(256);
  int palette_size = 256;
  auto* data = planes.data_ptr<uint8_t>();
  if (GifQuantizeBuffer(w, h, &palette_size, data, data + pixels, data + 2 * pixels, indices.data(),
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
            EGifPutImageDesc(gif_, static_cast<int>(r.left), static_cast<int>(r.top), w, h, false, map) != GIF_ERROR;
  for (int row = 0; ok && row < h; ++row)
    ok = EGifPutLine(gif_, indices.data() + static_cast<size_t>(row) * w, w) != GIF_ERROR;
  GifFreeMapObject(map);
  if (!ok) throw InputError(path_ + ": GIF write failed (" + gif_error(gif_->Error) + ")");
  ++frames_;
}

void GifWriter::close() {
  if (!gif_) return;
  if (provenance_) {
    put_xmp_extension(gif_, xmp_packet(*provenance_));
    std::string comment;
    for (const auto& [key, value] : provenance_text_fields(*provenance_)) comment += key + ": " + value + "\n";
    put_comment_extension(gif_, comment);
  }
  int error = 0;
  const int rc = EGifCloseFile(gif_, &error);
  gif_ = nullptr;
  if (rc == GIF_ERROR) throw InputError(path_ + ": GIF close failed (" + gif_error(error) + ")");
}

}  // namespace draggan
