// PNG and animated PNG (APNG) files written with libpng, each carrying the image's provenance record
// (provenance/ImageProvenance.h) in text chunks and XMP when one is given.
//
// APNG: Debian's libpng has no APNG support (Debian dropped the APNG patch: it broke chromium's APNG
// decoding, #1005850). Every frame is compressed by libpng as an ordinary PNG; the animation chunks (acTL,
// fcTL, fdAT: the APNG specification's, ancillary, so a plain PNG reader shows the first frame) are written
// through png_write_chunk, libpng's interface for chunks it does not know, which writes their length and CRC.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "draggan/provenance/ImageProvenance.h"

namespace draggan {

// uint8 [H, W, C] (C = 1..4) or [H, W] (gray), any device/stride. Throws InputError on a bad tensor or an
// unwritable path. With `provenance`, the file carries its text chunks and XMP. (io/Image.h declares the
// forms without a record; they are written here too.)
std::string encode_png(const torch::Tensor& hwc_uint8, const ImageProvenance* provenance);
void write_png(const std::string& path, const torch::Tensor& hwc_uint8, const ImageProvenance* provenance);

// An animated PNG built frame by frame (a drag's animation as it runs): each frame after the first is kept
// compressed, and only the rectangle that changed since the previous frame (io/FrameDelta.h); a frame equal to
// the previous one lengthens its display time instead. Loops forever. The first frame is also the still image
// plain PNG readers show.
class AnimatedPngWriter {
 public:
  // uint8 [H, W, C], all the same size and channel count as the first; shown for `delay_ms`.
  void add_frame(const torch::Tensor& hwc_uint8, int delay_ms);
  void set_provenance(const ImageProvenance& provenance) { provenance_ = provenance; }
  int frames() const { return frame_count_; }
  // The file's bytes (InputError without frames).
  std::string finish() const;

 private:
  struct Frame {
    int64_t top, left, height, width;
    int delay_ms;
    std::string data;  // compressed rows of the rectangle
  };
  torch::Tensor first_, previous_;
  int first_delay_ms_ = 0;
  std::vector<Frame> frames_;  // after the first
  int frame_count_ = 0;
  std::optional<ImageProvenance> provenance_;
};

// frames: uint8 [H, W, C], all the same size and channel count. Each is shown for `frame_ms`, the last one for
// `last_frame_ms`.
std::string encode_animated_png(const std::vector<torch::Tensor>& frames, int frame_ms, int last_frame_ms,
                                const ImageProvenance* provenance = nullptr);

// Writes `bytes` to `path` whole (InputError naming the file on failure).
void write_file(const std::string& path, const std::string& bytes);

}  // namespace draggan
