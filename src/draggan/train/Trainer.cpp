#include "draggan/train/Trainer.h"

#include <cmath>
#include <random>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/dist/Communicator.h"
#include "draggan/io/Safetensors.h"
#include "draggan/train/Ema.h"
#include "draggan/train/Losses.h"
#include "draggan/train/StyleMixing.h"

namespace draggan {
namespace {

// splitmix64: decorrelates the per-iteration seeds of neighbouring iterations.
uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void set_requires_grad(torch::nn::Module& m, bool on) {
  for (auto& p : m.parameters()) p.set_requires_grad(on);
}

// Lazy regularisation runs the penalty every `interval` steps; Adam's lr and betas are scaled by
// interval / (interval + 1) so the combined optimisation matches the non-lazy one (Karras et al. 2020).
AdamSettings lazy_settings(double lr, int interval) {
  const double ratio = static_cast<double>(interval) / (interval + 1);
  AdamSettings s;
  s.lr = lr * ratio;
  s.beta1 = std::pow(0.0, ratio);
  s.beta2 = std::pow(0.99, ratio);
  return s;
}

AdamSettings plain_settings(double lr) {
  AdamSettings s;
  s.lr = lr;
  return s;
}

// G is lazily regularised only when path-length regularisation is on; without it G's Adam is the plain one,
// as in the runs made before the option existed.
AdamSettings generator_settings(const TrainConfig& config) {
  return config.pl_weight > 0 ? lazy_settings(config.g_lr, config.pl_interval) : plain_settings(config.g_lr);
}

Generator build_generator(const TrainConfig& config) { return Generator(config.generator_config()); }

TrainConfig seeded(const TrainConfig& config) {
  config.validate();
  // Network initialisation draws from the global generator: seed it before anything is built.
  torch::manual_seed(mix_seed(static_cast<uint64_t>(config.seed), ~0ULL));
  return config;
}

}  // namespace

Trainer::Trainer(TrainConfig config, ImageDataset data, torch::Device device, dist::Communicator* group)
    : G(build_generator(seeded(config))),
      G_ema(build_generator(config)),
      D(Discriminator(config.discriminator_config())),
      config_(std::move(config)),
      data_(std::move(data)),
      device_(device),
      opt_g_(*G, generator_settings(config_)),
      opt_d_(*D, lazy_settings(config_.d_lr, config_.r1_interval)),
      ada_(AdaptiveAugmentOptions{config_.ada_target, 4, config_.ada_kimg}) {
  if (data_.resolution() != config_.resolution || data_.channels() != config_.channels)
    throw InputError("dataset is " + std::to_string(data_.resolution()) + "x" + std::to_string(data_.resolution()) +
                     " with " + std::to_string(data_.channels()) + " channel(s), the run expects " +
                     std::to_string(config_.resolution) + "x" + std::to_string(config_.resolution) + " with " +
                     std::to_string(config_.channels));
  if (data_.size() == 0) throw InputError("the dataset is empty");
  if (group && group->world_size() > 1) {
    group_ = group;
    rows_ = minibatch_rows(config_.batch, config_.mbstd_group, group->rank(), group->world_size());
    pl_rows_ = contiguous_rows(std::max<int64_t>(1, config_.batch / kPathLengthBatchShrink), group->rank(),
                               group->world_size());
  }
  load_state_dict(*G_ema, state_dict_of(*G), "G -> G_ema");
  set_requires_grad(*G_ema, false);
  G_ema->eval();
  G->to(device_);
  G_ema->to(device_);
  D->to(device_);
  // The optimisers hold references to the parameters, which `to` may have replaced: rebuild them.
  opt_g_ = AdamOptimizer(*G, generator_settings(config_));
  opt_d_ = AdamOptimizer(*D, lazy_settings(config_.d_lr, config_.r1_interval));
}

const std::vector<int64_t>& Trainer::epoch_order(int64_t epoch) {
  if (epoch != cached_epoch_) {
    order_.resize(static_cast<size_t>(data_.size()));
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int64_t>(i);
    // mt19937_64's output is fixed by the standard; the shuffle is our own, so the order is portable.
    std::mt19937_64 rng(mix_seed(static_cast<uint64_t>(config_.seed), 0x5EED0000ULL + static_cast<uint64_t>(epoch)));
    for (size_t i = order_.size() - 1; i > 0; --i) std::swap(order_[i], order_[rng() % (i + 1)]);
    cached_epoch_ = epoch;
  }
  return order_;
}

torch::Tensor Trainer::real_batch() {
  std::vector<int64_t> idx;
  idx.reserve(static_cast<size_t>(local_batch()));
  for (int64_t k = 0; k < local_batch(); ++k) {
    // Sample numbers run on over the epochs: each rank reads its own rows of the batch, so the ranks share
    // out every epoch's order without overlap.
    const int64_t sample = iteration_ * config_.batch + (split() ? rows_.rows()[static_cast<size_t>(k)] : k);
    idx.push_back(epoch_order(sample / data_.size())[static_cast<size_t>(sample % data_.size())]);
  }
  torch::Tensor images = data_.images.index_select(0, torch::tensor(idx, torch::kLong));
  torch::Tensor x = images.to(device_).to(torch::kFloat32) / 127.5 - 1.0;
  if (config_.xflip) x = random_xflip(x, 0.5, rows_);
  // Black comes in from outside.
  return random_warp(random_shift(x, config_.real_shift, -1.0, rows_), config_.real_warp, -1.0, rows_);
}

torch::Tensor Trainer::augment(const torch::Tensor& images) const {
  return config_.augment == "ada" ? ada_.apply(images, rows_) : images;
}

void Trainer::average_gradients(torch::nn::Module& module) {
  if (!split()) return;
  // Every rank runs the same graph, so the same parameters have gradients, in the same order.
  std::vector<torch::Tensor> grads;
  for (const auto& p : module.parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  group_->all_reduce(grads, /*average=*/true);
}

void Trainer::share_batch_statistics(TrainStepStats& stats, const torch::Tensor& real_logits) {
  // One small all-reduce per iteration, in doubles: both losses (for the log), the signs of D(real) (ADA's
  // statistic is the whole batch's) and W's running average. Each rank moved w_avg towards its own samples'
  // mean; the move is linear in that mean, so the mean of the ranks' results is the whole batch's move.
  const torch::Tensor w_avg = G->mapping->w_avg;
  torch::Tensor shared =
      torch::cat({torch::tensor({stats.g_loss, stats.d_loss, real_logits.detach().sign().sum().item<double>(),
                                 static_cast<double>(real_logits.numel())},
                                torch::kFloat64),
                  w_avg.detach().to(torch::kCPU, torch::kFloat64)});
  group_->all_reduce({shared}, /*average=*/false);
  const double ranks = group_->world_size();
  stats.g_loss = shared[0].item<double>() / ranks;
  stats.d_loss = shared[1].item<double>() / ranks;
  const double sign_sum = shared[2].item<double>();
  const auto sign_count = static_cast<int64_t>(shared[3].item<double>());
  stats.real_sign = sign_sum / static_cast<double>(sign_count);
  if (config_.augment == "ada") ada_.observe_signs(sign_sum, sign_count, iteration_, config_.batch);
  torch::NoGradGuard no_grad;
  w_avg.copy_((shared.slice(0, 4) / ranks).to(w_avg.options()));
}

TrainStepStats Trainer::step() {
  torch::manual_seed(mix_seed(static_cast<uint64_t>(config_.seed), static_cast<uint64_t>(iteration_)));
  G->train();
  D->train();
  TrainStepStats stats;
  const torch::Tensor real = real_batch();
  const auto z_options = torch::TensorOptions().device(device_);
  SynthesisRequest random_noise;
  random_noise.noise = NoiseMode::Random;
  if (split()) random_noise.random_rows = &rows_;
  const auto draw_z = [&] {
    return rows_.draw(local_batch(), [&](int64_t n) { return torch::randn({n, config_.z_dim}, z_options); });
  };

  // Generator: make D call its samples real.
  set_requires_grad(*D, false);
  {
    torch::Tensor z = draw_z();
    torch::Tensor ws = map_with_style_mixing(G, z, config_.style_mixing, false, rows_);
    torch::Tensor fake = G->synthesize(ws, random_noise).image;
    torch::Tensor loss = generator_loss(D->forward(augment(fake)));
    opt_g_.zero_grad();
    loss.backward();
    average_gradients(*G);
    opt_g_.step();
    stats.g_loss = loss.item<double>();
  }
  if (config_.pl_weight > 0 && iteration_ % config_.pl_interval == 0)
    stats.path_length = regularise_path_lengths(z_options);
  set_requires_grad(*D, true);

  // Discriminator: tell real from generated. This pass also updates W's running average (w_avg).
  {
    torch::Tensor fake;
    {
      torch::NoGradGuard no_grad;
      torch::Tensor z = draw_z();
      fake = G->synthesize(map_with_style_mixing(G, z, config_.style_mixing, /*update_w_avg=*/true, rows_),
                           random_noise)
                 .image;
    }
    torch::Tensor real_logits = D->forward(augment(real));
    torch::Tensor loss = discriminator_loss(real_logits, D->forward(augment(fake)));
    opt_d_.zero_grad();
    loss.backward();
    average_gradients(*D);
    opt_d_.step();
    stats.d_loss = loss.item<double>();
    if (split()) {
      // Before R1: its augmentation uses the p this iteration's statistic may have moved.
      share_batch_statistics(stats, real_logits);
    } else {
      stats.real_sign = real_logits.detach().sign().mean().item<double>();
      if (config_.augment == "ada") ada_.observe(real_logits, iteration_, config_.batch);
    }
  }

  // Lazy R1 on real images.
  const double gamma = config_.effective_r1_gamma();
  if (gamma > 0 && iteration_ % config_.r1_interval == 0) {
    torch::Tensor x = real.detach().requires_grad_(true);
    torch::Tensor penalty = r1_penalty(D->forward(augment(x)), x);
    torch::Tensor loss = lazy_r1_loss(penalty, gamma, config_.r1_interval);
    opt_d_.zero_grad();
    loss.backward();
    average_gradients(*D);
    opt_d_.step();
    stats.r1_penalty = penalty.mean().item<double>();
  }

  update_ema(*G_ema, *G,
             ema_beta(config_.batch, config_.effective_ema_kimg(), config_.ema_rampup, images_seen()));
  ++iteration_;
  return stats;
}

double Trainer::regularise_path_lengths(const torch::TensorOptions& z_options) {
  SynthesisRequest random_noise;
  random_noise.noise = NoiseMode::Random;
  if (split()) random_noise.random_rows = &pl_rows_;
  const int64_t n = split() ? pl_rows_.local() : std::max<int64_t>(1, config_.batch / kPathLengthBatchShrink);
  torch::Tensor z = pl_rows_.draw(n, [&](int64_t k) { return torch::randn({k, config_.z_dim}, z_options); });
  torch::Tensor ws = map_with_style_mixing(G, z, config_.style_mixing, false, pl_rows_);
  torch::Tensor lengths = path_lengths(G->synthesize(ws, random_noise).image, ws, pl_rows_);
  if (split()) return regularise_split_path_lengths(lengths, z_options);
  // A run that starts from a trained model (or from an older checkpoint) has no running mean yet. Starting it
  // at 0, as a fresh run does, would first pull every path length towards 0 for about 1 / kPathLengthDecay
  // steps; the first batch's mean is the better start there.
  if (!pl_mean_) pl_mean_ = lengths.mean().item<double>();
  // The running mean takes a small step towards this batch's mean, and the loss sees that step.
  torch::Tensor mean =
      torch::tensor(*pl_mean_, z_options.dtype(torch::kFloat32)).lerp(lengths.mean(), kPathLengthDecay);
  torch::Tensor loss = lazy_path_length_loss(lengths, mean, config_.pl_weight, config_.pl_interval);
  opt_g_.zero_grad();
  loss.backward();
  opt_g_.step();
  pl_mean_ = mean.item<double>();
  return *pl_mean_;
}

double Trainer::regularise_split_path_lengths(const torch::Tensor& lengths,
                                              const torch::TensorOptions& options) {
  // The whole half batch's mean length, which the running mean steps towards.
  torch::Tensor sum = lengths.detach().sum().to(torch::kCPU, torch::kFloat64).reshape({1});
  group_->all_reduce({sum}, /*average=*/false);
  const double total = static_cast<double>(pl_rows_.total());
  const double batch_mean = sum.item<double>() / total;
  if (!pl_mean_) pl_mean_ = batch_mean;
  // The float arithmetic of the one-process step.
  const torch::Tensor mean =
      torch::tensor(*pl_mean_, options.dtype(torch::kFloat32))
          .lerp(torch::tensor(batch_mean, options.dtype(torch::kFloat32)), kPathLengthDecay);
  // One process back-propagates mean((l - m)^2) through m too (m = lerp(pl_mean, mean(l), decay)). That part
  // needs the whole batch: d/dm = -2 (batch_mean - m) and dm/dl_i = decay / total; the averaging over the
  // ranks divides by their number, which the factor below undoes.
  const double ranks = group_->world_size();
  const double through_mean = ranks * -2.0 * (batch_mean - mean.item<double>()) * kPathLengthDecay / total;
  torch::Tensor loss = lazy_path_length_loss(lengths, mean, config_.pl_weight, config_.pl_interval) +
                       lengths.sum() * (through_mean * config_.pl_weight * config_.pl_interval);
  opt_g_.zero_grad();
  loss.backward();
  average_gradients(*G);
  opt_g_.step();
  pl_mean_ = mean.item<double>();
  return *pl_mean_;
}

nlohmann::json Trainer::counters_json() const {
  return {{"iteration", iteration_},
          {"opt_G_step", opt_g_.step_count()},
          {"opt_D_step", opt_d_.step_count()},
          {"ada_p", ada_.p()},
          {"ada_sign_sum", ada_.sign_sum},
          {"ada_sign_count", ada_.sign_count},
          {"pl_mean", pl_mean_ ? nlohmann::json(*pl_mean_) : nlohmann::json(nullptr)},
          {"dataset_size", data_.size()}};
}

void Trainer::synchronise() {
  if (!split()) return;
  std::vector<torch::Tensor> tensors;
  for (torch::nn::Module* m :
       {static_cast<torch::nn::Module*>(G.get()), static_cast<torch::nn::Module*>(G_ema.get()),
        static_cast<torch::nn::Module*>(D.get())}) {
    for (const auto& t : m->parameters()) tensors.push_back(t);
    for (const auto& t : m->buffers()) tensors.push_back(t);
  }
  for (const auto& t : opt_g_.moments()) tensors.push_back(t);
  for (const auto& t : opt_d_.moments()) tensors.push_back(t);
  group_->broadcast(tensors);
  // Whatever is not a tensor must already agree: the same options, checkpoint and dataset on every rank.
  nlohmann::json mine = counters_json();
  mine["options"] = config_.to_json();
  const nlohmann::json root = nlohmann::json::parse(group_->share_text("trainer", mine.dump()));
  for (const auto& [key, value] : root.items()) {
    if (mine.contains(key) && mine.at(key) == value) continue;
    throw InputError("rank " + std::to_string(group_->rank()) + "'s " + key + " (" +
                     (mine.contains(key) ? mine.at(key).dump() : "none") + ") differs from rank 0's (" +
                     value.dump() + "): every rank needs the same options, --resume / --init file and data");
  }
}

void Trainer::save_checkpoint(const std::string& path, const std::map<std::string, std::string>& extra) const {
  StateDict tensors;
  for (const auto& [n, t] : state_dict_of(*G)) tensors["G." + n] = t.detach();
  for (const auto& [n, t] : state_dict_of(*G_ema)) tensors["G_ema." + n] = t.detach();
  for (const auto& [n, t] : state_dict_of(*D)) tensors["D." + n] = t.detach();
  for (const auto& [n, t] : opt_g_.state()) tensors["opt_G." + n] = t;
  for (const auto& [n, t] : opt_d_.state()) tensors["opt_D." + n] = t;
  nlohmann::json state = counters_json();
  state["images_seen"] = images_seen();
  state["kimg"] = kimg();
  state["data"] = data_.sources;
  std::map<std::string, std::string> meta = extra;
  meta["format"] = "draggan";
  meta["generator_config"] = G->config().to_json().dump();
  meta["discriminator_config"] = D->config().to_json().dump();
  meta["train_config"] = config_.to_json().dump();
  meta["training_state"] = state.dump();
  write_safetensors(path, tensors, meta);
}

void Trainer::restore(const TrainingCheckpoint& ckpt) {
  // The networks and optimiser must match; the run options (TrainConfig::with_run_options_of) are free to
  // change.
  if (ckpt.config.with_run_options_of(config_).to_json() != config_.to_json())
    throw InputError(ckpt.path + ": the checkpoint's training configuration differs from this run's");
  load_state_dict(*G, tensors_with_prefix(ckpt.tensors, "G."), ckpt.path + ": G");
  load_state_dict(*G_ema, tensors_with_prefix(ckpt.tensors, "G_ema."), ckpt.path + ": G_ema");
  load_state_dict(*D, tensors_with_prefix(ckpt.tensors, "D."), ckpt.path + ": D");
  const auto& s = ckpt.state;
  opt_g_.load_state(tensors_with_prefix(ckpt.tensors, "opt_G."), s.at("opt_G_step").get<int64_t>(), ckpt.path);
  opt_d_.load_state(tensors_with_prefix(ckpt.tensors, "opt_D."), s.at("opt_D_step").get<int64_t>(), ckpt.path);
  iteration_ = s.at("iteration").get<int64_t>();
  ada_.set_p(s.at("ada_p").get<double>());
  ada_.sign_sum = s.at("ada_sign_sum").get<double>();
  ada_.sign_count = s.at("ada_sign_count").get<int64_t>();
  pl_mean_.reset();  // absent or null before any path-length step
  if (s.contains("pl_mean") && s.at("pl_mean").is_number()) pl_mean_ = s.at("pl_mean").get<double>();
}

void Trainer::start_from(const StateDict& generator, const StateDict& discriminator,
                         const std::string& origin) {
  load_state_dict(*G, generator, origin + ": G_ema");
  load_state_dict(*G_ema, generator, origin + ": G_ema");
  load_state_dict(*D, discriminator, origin + ": D");
}

torch::Tensor Trainer::sample_grid(int rows, int cols) {
  torch::NoGradGuard no_grad;
  const GeneratorConfig& gc = G_ema->config();
  std::vector<torch::Tensor> zs;
  for (int i = 0; i < rows * cols; ++i) zs.push_back(z_from_seed(static_cast<uint32_t>(i), gc.z_dim));
  torch::Tensor z = torch::cat(zs, 0).to(torch::kFloat32).to(device_);
  torch::Tensor img = G_ema->synthesize(G_ema->map(z)).image.cpu();
  // The renderer's display conversion, then tiles [rows, cols] -> one image.
  torch::Tensor u8 = (img * 127.5 + 128).clamp(0, 255).to(torch::kUInt8);
  const int64_t c = u8.size(1), r = u8.size(2);
  return u8.view({rows, cols, c, r, r}).permute({0, 3, 1, 4, 2}).reshape({rows * r, cols * r, c}).contiguous();
}

}  // namespace draggan
