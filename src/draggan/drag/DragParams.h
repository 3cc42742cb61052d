// The knobs of a drag, named and defaulted as in the official DragGAN renderer (viz/renderer.py
// `_render_drag_impl` with the values the official GUI passes), plus the few options this port adds.
#pragma once
#include <string>

#include "draggan/model/GeneratorModel.h"
#include "draggan/model/NoiseMode.h"

namespace draggan {

// Which latent the optimiser moves.
//  WPlus (default, official w_plus=True): the first `optimized_layers` per-layer vectors of ws, each on its own.
//  W: one w_dim vector, used for all of the first `optimized_layers` layers (official w_plus=False).
// In both cases the remaining layers stay at the start latent w0, as the official loop feeds
// cat(w[:, :6], w0[:, 6:]) to the synthesis network.
enum class LatentSpace { W, WPlus };
LatentSpace parse_latent_space(const std::string& name);  // "w" | "w+" | "wplus" (any case), else InputError
std::string to_string(LatentSpace space);

struct DragParams {
  // Adam learning rate (torch defaults betas 0.9/0.999, eps 1e-8). Official GUI "Step Size" default 0.001.
  double lr = 0.001;
  // Which feature layer is supervised (official feature_idx: StyleGAN2's synthesis blocks b4, b8, ...;
  // StyleGAN3's layers L0, L1, ...). -1 = the generator's default (GeneratorModel::default_feature_layer):
  // official 5 where the model has it (StyleGAN2 >= 128 px); a small StyleGAN2 uses the block at half its
  // resolution, which is resized x2 to the image as block 5 is on a 256-px model.
  int feature_block = -1;
  // Radii at 512-px scale, scaled to the canvas as the official code does: round(r / 512 * h), h = the canvas
  // height (the image height; StyleGAN-Human's padded square has the same height)
  // (Python round: half to even). r1: motion-supervision disc; r2: point-tracking window half-size.
  // Official defaults 3 and 12. On small images the official scaling gives 0 px (an empty disc, NaN loss),
  // so an r1 that rounds to 0 becomes kMinR1Pixels (a 1-px r1, e.g. 128-px models at the default 3, is kept: its
  // disc on the official grid is never empty) and r2 has the floor kMinR2Pixels (see ResolvedDragParams).
  double r1 = 3.0;
  double r2 = 12.0;
  // Weight of the mask term (keeps the features of the fixed region): lambda_mask * l1(F*m, F0*m).
  double lambda_mask = 20.0;
  // Weight of the official latent regulariser l1(ws, w0) (the official GUI passes 0).
  double reg = 0.0;
  // Weight of a quadratic pull of the latent towards its start, reg_l2 * mean((ws - w0)^2) (this port's; 0 = off,
  // as officially). Unlike the L1 term, whose gradient has the same size however close ws is (so Adam jitters
  // every coordinate by about lr around w0), its pull grows with the distance: small steady moves where the
  // motion term asks for them, none where it does not.
  double reg_l2 = 0.0;
  // A step stops (no optimiser step) when every handle is within this many pixels of its target.
  // < 0 = official max(2 / 512 * h, 2).
  double stop_distance = -1.0;
  // false (default, official): the motion disc is found on torch.linspace(0, h, h), whose spacing is
  // h/(h-1) instead of 1 px, so the disc is slightly off-centre towards the origin. true: the exact pixel grid.
  bool exact_pixel_grid = false;
  // How many leading per-layer vectors are optimised (official: 6); clipped to num_ws.
  int optimized_layers = 6;
  // The first of those rows that moves (0 = official): rows first_optimized_layer..optimized_layers-1 are
  // optimised, the rows before stay at the start latent. The coarsest rows decide an object's overall shape (on
  // the shipped Fashion-MNIST model, which garment it is); leaving them fixed keeps it while the finer rows move.
  int first_optimized_layer = 0;
  NoiseMode noise = NoiseMode::Const;
  // Benchmark baseline only: run the whole synthesis every step as the official loop does (the image is thrown
  // away; the result is the same). `draggan bench` reports the speed-up of the default against it.
  bool naive_full_forward = false;
  // Without a mask, synthesise the supervised block only in windows around the handles (nn/RegionSynthesis.h):
  // the same features and gradients there, a fraction of the work. false: one pass stopped at the block.
  bool windowed_synthesis = true;

  // Throws InputError on NaN / negative / out-of-range values.
  void validate() const;
};

constexpr int kMinR1Pixels = 2;  // r1 where the official scaling rounds to 0 px (an empty disc)
constexpr int kMinR2Pixels = 3;  // a tracking window of at least 7x7 px

// DragParams turned into pixels for one generator.
struct ResolvedDragParams {
  FeatureCanvas canvas;        // the plane the drag runs on (see GeneratorModel.h)
  int feature_block = 0;       // index into the generator's feature layers
  std::string feature_layer;   // its name ("b64", "L5_52_512")
  int r1_pixels = 0;           // round(r1 / 512 * h), kMinR1Pixels where that is 0
  int r2_pixels = 0;           // max(round(r2 / 512 * h), kMinR2Pixels)
  double stop_distance = 0.0;  // pixels
  int optimized_layers = 0;    // min(params.optimized_layers, num_ws): rows before this one may move
  int first_optimized_layer = 0;  // rows before this one stay at the start latent (< optimized_layers)
};

// Validates `params` against the generator (feature block exists, ...) and scales the radii. InputError if not.
ResolvedDragParams resolve_drag_params(const DragParams& params, const GeneratorModel& generator);

// Python's round() of a double (half to even), as the official radius scaling uses it.
int python_round(double x);

}  // namespace draggan
