// Animated GIF files (giflib): the `draggan drag --video` animation of a drag, one frame per step. With a
// provenance record, the file carries its XMP packet (an "XMP DataXMP" application extension, as Adobe's XMP
// specification part 3 lays it out) and the record's text fields in a comment extension, after the last frame
// (a drag's record is complete only then; GIF readers take extensions anywhere before the trailer).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

#include "draggan/provenance/ImageProvenance.h"

struct GifFileType;

namespace draggan {

class GifWriter {
 public:
  // Creates `path` for frames of width x height, each shown for `frame_ms` milliseconds, looping forever.
  // Throws InputError naming the file when it cannot be created.
  GifWriter(const std::string& path, int width, int height, int frame_ms = 100);
  // The same into `*out` (appended as frames are added; complete after close()). Errors name "GIF".
  GifWriter(std::string* out, int width, int height, int frame_ms = 100);
  ~GifWriter();
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  // uint8 [H, W, 3] (or gray [H, W] / [H, W, 1]; RGBA drops alpha) of the size given at construction. Only the
  // rectangle that changed since the previous frame is stored, quantised to its own 256-colour palette.
  void add_frame(const torch::Tensor& hwc_uint8);
  // The record close() writes into the file.
  void set_provenance(const ImageProvenance& provenance) { provenance_ = provenance; }
  // Writes the provenance record (when set) and the trailer; called by the destructor if not before (which
  // then cannot report errors).
  void close();
  int frames() const { return frames_; }

 private:
  void start();  // screen descriptor and loop extension

  std::string path_;  // the file, or "GIF" in memory
  int width_, height_, delay_cs_;
  int frames_ = 0;
  GifFileType* gif_ = nullptr;
  torch::Tensor previous_;  // the last frame added (RGB): the next one stores only what changed
  std::optional<ImageProvenance> provenance_;
};

}  // namespace draggan
