// One StyleGAN2 training run (stylegan2-ada recipe): per iteration a generator step (non-saturating loss with
// style mixing), a discriminator step (logistic loss) and, every r1_interval iterations, a lazy R1 step; then
// ADA's p and G_ema are updated. Every random draw of iteration i comes from a generator seeded with
// (seed, i), and the data order from (seed, epoch), so a run resumed from a checkpoint repeats exactly what
// the uninterrupted run would have done. With `pl_weight` > 0, G is also path-length regularised every
// `pl_interval` iterations (StyleGAN2's lazy regulariser, on half a batch).
//
// Split across the ranks of a group (dist/Communicator.h; docs/distributed.md), each rank computes its share
// of every batch and the run equals the one-process run with the same (global) batch, up to float rounding:
// every random draw is made for the whole batch and cut to the rank's rows (core/BatchRows.h), the rows are
// whole minibatch-stddev groups, gradients are averaged per phase, and the statistics that mix the batch
// (ADA's sign sum, W's running average, the mean path length) are summed over the ranks.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "draggan/core/BatchRows.h"
#include "draggan/nn/Discriminator.h"
#include "draggan/nn/stylegan2/Generator.h"
#include "draggan/train/AdamOptimizer.h"
#include "draggan/train/Augment.h"
#include "draggan/train/ImageDataset.h"
#include "draggan/train/TrainConfig.h"
#include "draggan/train/TrainingCheckpoint.h"

namespace draggan {

namespace dist {
class Communicator;
}

struct TrainStepStats {
  double g_loss = 0;
  double d_loss = 0;
  double r1_penalty = -1;  // < 0 when this iteration had no R1 step
  double real_sign = 0;    // mean sign(D(real)) of this batch
  double path_length = -1;  // the running mean path length after this iteration's regulariser step; < 0: none
};

// StyleGAN2's path-length regulariser: half a batch per step, running mean moving 1% a step.
inline constexpr int kPathLengthBatchShrink = 2;
inline constexpr double kPathLengthDecay = 0.01;

class Trainer {
 public:
  // Fresh networks initialised from config.seed. The dataset must have config's resolution and channels.
  // `group`: this process is one rank of it and computes its share of each batch (null: the whole batch).
  Trainer(TrainConfig config, ImageDataset data, torch::Device device, dist::Communicator* group = nullptr);

  TrainStepStats step();

  // Everything needed to continue: networks, optimiser moments, iteration, ADA state.
  void save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra_metadata = {}) const;
  // Restores a checkpoint of the same configuration (see read_training_checkpoint).
  void restore(const TrainingCheckpoint& checkpoint);
  // Fine-tuning a model file instead: G and G_ema both start from its generator's tensors, D from its
  // discriminator's; the optimisers, the iteration count and ADA start fresh. `origin` names it in errors.
  void start_from(const StateDict& generator, const StateDict& discriminator, const std::string& origin);
  // In a group, after restore / start_from on every rank: rank 0's networks and optimiser moments everywhere,
  // and InputError if a rank's options or training state differ from rank 0's. Nothing without a group.
  void synchronise();

  // G_ema on seeds 0..rows*cols-1 (z as the official seed -> z mapping), constant noise: uint8 [H, W, C].
  torch::Tensor sample_grid(int rows, int cols);

  int64_t iteration() const { return iteration_; }
  int64_t images_seen() const { return iteration_ * config_.batch; }
  double kimg() const { return static_cast<double>(images_seen()) / 1000.0; }
  double augment_p() const { return ada_.p(); }
  const TrainConfig& config() const { return config_; }

  Generator G{nullptr}, G_ema{nullptr};
  Discriminator D{nullptr};

 private:
  // Where training stands (iteration, optimiser steps, ADA, path-length mean, dataset size): what a checkpoint
  // records and what every rank must agree on.
  nlohmann::json counters_json() const;
  bool split() const { return group_ != nullptr; }
  int64_t local_batch() const { return split() ? rows_.local() : config_.batch; }
  torch::Tensor real_batch();
  // Split: the gradients of `module` averaged over the ranks (contiguous buckets, wait, then divide).
  void average_gradients(torch::nn::Module& module);
  // Split: the whole batch's losses and sign statistics (into stats and ADA) and W's running average.
  void share_batch_statistics(TrainStepStats& stats, const torch::Tensor& real_logits);
  torch::Tensor augment(const torch::Tensor& images) const;
  // One lazy path-length step of G; returns the running mean path length.
  double regularise_path_lengths(const torch::TensorOptions& z_options);
  double regularise_split_path_lengths(const torch::Tensor& lengths, const torch::TensorOptions& options);
  const std::vector<int64_t>& epoch_order(int64_t epoch);

  TrainConfig config_;
  ImageDataset data_;
  torch::Device device_;
  AdamOptimizer opt_g_, opt_d_;
  AdaptiveAugment ada_;
  int64_t iteration_ = 0;
  std::optional<double> pl_mean_;  // running mean path length; unset until the first regulariser step
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> order_;
  dist::Communicator* group_ = nullptr;
  BatchRows rows_;     // this rank's rows of each batch (whole without a group)
  BatchRows pl_rows_;  // and of the path-length regulariser's half batch
};

}  // namespace draggan
