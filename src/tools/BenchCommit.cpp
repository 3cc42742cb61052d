#include "BenchCommit.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "draggan/core/Error.h"
#include "server/session/DragCheckpoint.h"
#include "server/store/RedisSessionStore.h"

namespace draggan::tools {
namespace {

double commit_now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double commit_median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

nlohmann::json bench_commit(const GeneratorPtr& generator, const torch::Tensor& ws0, const DragParams& params,
                            const std::vector<DragPair>& pairs, int warmup, int steps, const std::string& store_url) {
  server::RedisStoreOptions options;
  options.endpoint = server::parse_redis_url(store_url);
  options.replica = "bench";
  options.lease_ttl = std::chrono::minutes(10);  // one process: a slow first step must not lose the lease
  server::RedisSessionStore store(options);
  const std::string id = "bench-" + std::to_string(std::random_device()());
  const server::StoreLease lease = store.create(id, "{}", {});

  DragSession session(generator, ws0, params);
  session.set_pairs(pairs);
  std::vector<double> step_ms, encode_ms, commit_ms, bytes;
  for (int k = 0; k < warmup + steps; ++k) {
    const double t0 = commit_now_ms();
    session.step();
    const double t1 = commit_now_ms();
    const std::string checkpoint = server::encode_drag_checkpoint({1, k + 1, session.state()});
    const double t2 = commit_now_ms();
    server::StoreCommit commit;
    commit.drag = &checkpoint;
    if (store.commit(id, lease, commit) != server::Fence::Held) throw Error("bench: the store refused the commit");
    const double t3 = commit_now_ms();
    if (k < warmup) continue;
    step_ms.push_back(t1 - t0);
    encode_ms.push_back(t2 - t1);
    commit_ms.push_back(t3 - t2);
    bytes.push_back(static_cast<double>(checkpoint.size()));
  }
  store.remove(id, lease);
  const double step = commit_median(step_ms), encode = commit_median(encode_ms), write = commit_median(commit_ms);
  return {{"store", store.describe()},
          {"step_ms", step},
          {"encode_ms", encode},
          {"commit_ms", write},
          {"checkpoint_bytes", commit_median(bytes)},
          {"commit_share_of_step", step > 0 ? (encode + write) / step : 0.0}};
}

}  // namespace draggan::tools
