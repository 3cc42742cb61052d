// Animated GIF files (giflib): the `draggan drag --video` animation of a drag, one frame per step.
#pragma once
#include <torch/torch.h>

#include <string>

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

  // uint8 [H, W, 3] (or gray [H, W] / [H, W, 1]; RGBA drops alpha) of the size given at construction;
  // quantised to its own 256-colour palette.
  void add_frame(const torch::Tensor& hwc_uint8);
  // Writes the trailer; called by the destructor if not before (which then cannot report errors).
  void close();
  int frames() const { return frames_; }

 private:
  void start();  // screen descriptor and loop extension

  std::string path_;  // the file, or "GIF" in memory
  int width_, height_, delay_cs_;
  int frames_ = 0;
  GifFileType* gif_ = nullptr;
};

}  // namespace draggan
