#!/usr/bin/env bash
# Distributed training on this machine (bench/README.md, "Training across processes"):
#  1. kimg/s of 1 process x 2 threads against 2 ranks x 1 thread on the shipped model's configuration
#     (32 px, global batch 32, cbase 1024, cmax 64, z = w = 64, Fashion-MNIST), wall and CPU time, from the
#     difference of a long and a short run (start-up, data loading and the final snapshot cancel out);
#  2. the all-reduce's share of an iteration and the bytes it moves (rank 0's "all-reduce:" line);
#  3. the parameters of G and D, hence the bytes all-reduced per iteration, for the shipped configuration and
#     256/512/1024-px config-f networks (each started only until it prints its sizes);
#  4. this machine's rate of drawing normal random numbers (every rank draws the whole batch's), with
#     Debian's python3-torch (the same LibTorch) as the measuring stick.
# Usage: bash bench/distributed_training.sh [path/to/draggan]   (ROUNDS=3 SHORT=4 LONG=24 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
# Threads waiting at a barrier sleep instead of spinning: on a shared machine spinning threads bill CPU time
# for nothing, which would make the multi-threaded process look several times costlier than it is.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
BIN=${1:-build/src/tools/draggan}
DATA=${DATA:-/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz}
SHORT=${SHORT:-4}
LONG=${LONG:-24}
ROUNDS=${ROUNDS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SHIPPED="--resolution 32 --channels 1 --batch 32 --cbase 1024 --cmax 64 --z-dim 64 --w-dim 64 --mapping-layers 2"

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# run RANKS THREADS ITERATIONS -> "wall_s cpu_s" (CPU summed over the ranks); rank 0's log in $WORK/log
run() {
  local ranks=$1 threads=$2 iters=$3 out="$WORK/out$RANDOM"
  local kimg
  kimg=$(awk -v n="$iters" 'BEGIN { printf "%.3f", n * 32 / 1000 }')
  local args="train --data $DATA --out $out $SHIPPED --threads $threads --kimg $kimg --snap-kimg 1000 --seed 1"
  local start end pids=() cpu=0 p=0
  start=$(date +%s.%N)
  if [ "$ranks" = 1 ]; then
    /usr/bin/time -f "%U %S" -o "$WORK/cpu0" "$BIN" $args > "$WORK/log" 2>&1
  else
    p=$(port)
    for r in $(seq 0 $((ranks - 1))); do
      /usr/bin/time -f "%U %S" -o "$WORK/cpu$r" "$BIN" $args --world-size "$ranks" --rank "$r" \
        --master-port "$p" > "$WORK/log$r" 2>&1 &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    cp "$WORK/log0" "$WORK/log"
  fi
  end=$(date +%s.%N)
  for r in $(seq 0 $((ranks - 1))); do
    cpu=$(awk -v c="$cpu" '{ printf "%.3f", c + $1 + $2 }' "$WORK/cpu$r")
  done
  awk -v a="$start" -v b="$end" -v c="$cpu" 'BEGIN { printf "%.3f %.3f\n", b - a, c }'
}

echo "== 1. shipped configuration, batch 32: $SHORT and $LONG iterations, $ROUNDS rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
for setup in "1 2" "2 1"; do
  set -- $setup
  for round in $(seq "$ROUNDS"); do
    read -r w1 c1 < <(run "$1" "$2" "$SHORT")
    read -r w2 c2 < <(run "$1" "$2" "$LONG")
    allreduce=$(grep -o "all-reduce: .*" "$WORK/log" || true)
    awk -v r="$1" -v t="$2" -v w1="$w1" -v w2="$w2" -v c1="$c1" -v c2="$c2" -v n=$((LONG - SHORT)) -v ar="$allreduce" \
      'BEGIN { kimg = n * 32 / 1000; printf "%d process(es) x %d thread(s): %.3f kimg/s wall (%.0f ms/iteration), %.2f CPU-s/kimg  %s\n", r, t, kimg / (w2 - w1), 1000 * (w2 - w1) / n, (c2 - c1) / kimg, ar }'
    if [ "$1" = 1 ]; then  # the least disturbed round's seconds per image, for the model below
      SHIPPED_IMAGE_S=$(awk -v w1="$w1" -v w2="$w2" -v n=$((LONG - SHORT)) -v best="${SHIPPED_IMAGE_S:-1e9}" \
        'BEGIN { s = (w2 - w1) / n / 32; printf "%.5f", s < best ? s : best }')
    fi
  done
done

echo "== 2/3. parameters, bytes all-reduced per iteration, and the scaling they imply"
mkdir -p "$WORK/img"
"$BIN" generate --seed 0 --out "$WORK/img/0.png" > /dev/null 2>&1
sizes() {  # prints "G D" parameter counts of a configuration, from train's first log line
  local out="$WORK/sizes$RANDOM"
  "$BIN" train --data "$WORK/img" --out "$out" "$@" --batch 4 --kimg 1 --threads 1 > "$WORK/sizes.log" 2>&1 &
  local pid=$!
  for _ in $(seq 600); do
    grep -q "parameters" "$WORK/sizes.log" && break
    sleep 0.5
  done
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  sed -n 's/.*, G \([0-9]*\) \/ D \([0-9]*\) parameters.*/\1 \2/p' "$WORK/sizes.log"
}
# name | options | per-worker batch | seconds per image on one worker | path-length regulariser (1: on) | source
CONFIG_F="--channels 3 --cbase 32768 --cmax 512 --z-dim 512 --w-dim 512 --mapping-layers 8"
for cfg in "shipped 32|$SHIPPED|16|$SHIPPED_IMAGE_S|0|a 2-core CPU worker, section 1" \
           "config-f 256|--resolution 256 $CONFIG_F|8|0.01253|1|A100, NVIDIA stylegan3 docs/configs.md, 1 GPU" \
           "config-f 512|--resolution 512 $CONFIG_F|8|0.04106|1|A100, same table" \
           "config-f 1024|--resolution 1024 $CONFIG_F|4|0.09039|1|A100, same table"; do
  IFS='|' read -r name opts batch image_s pl source <<< "$cfg"
  read -r g d < <(sizes $(echo "$opts" | sed 's/--batch [0-9]*//'))
  wdim=$(echo "$opts" | sed -n 's/.*--w-dim \([0-9]*\).*/\1/p')
  awk -v n="$name" -v g="$g" -v d="$d" -v w="$wdim" -v b="$batch" -v c="$image_s" -v pl="$pl" -v src="$source" '
    # Ring all-reduce of s bytes over k ranks, in 25 MB buckets: 2(k-1)/k * s / bw + 2(k-1) * latency a bucket.
    function ring(s, k, bw, lat) { return k < 2 ? 0 : 2 * (k - 1) / k * s / bw + 2 * (k - 1) * lat * (int((s - 1) / 25e6) + 1) }
    # Per iteration: G phase, D phase, R1 every 16th, path length every 4th (when on), the statistics.
    function comm(k, bw, lat) {
      a = ring(4 * g, k, bw, lat) + ring(4 * d, k, bw, lat) * (1 + 1 / 16) + pl * ring(4 * g, k, bw, lat) / 4
      return a + ring(8 * (4 + w), k, bw, lat) + pl * ring(8, k, bw, lat) / 4 }
    BEGIN {
      bytes = 4 * (g + d + d / 16 + pl * g / 4) + 8 * (4 + w);
      printf "%-14s G %10d  D %10d parameters: %7.1f MB per iteration; %d images per worker, %.1f ms each (%s)\n",
             n, g, d, bytes / 1e6, b, 1000 * c, src;
      t = b * c;
      split("10GbE/Gloo 100Gb-IB/NCCL", net, " "); bw[1] = 1.25e9; lat[1] = 50e-6; bw[2] = 12.5e9; lat[2] = 10e-6;
      for (i = 1; i <= 2; ++i) {
        line = sprintf("    %-16s", net[i]);
        for (k = 2; k <= 64; k *= 2) {
          if (k != 2 && k != 8 && k != 64) continue;
          a = comm(k, bw[i], lat[i]);
          line = line sprintf("  %2d workers: %5.0f ms all-reduce, %5.1fx (%3.0f%%)", k, 1000 * a, k * t / (t + a), 100 * t / (t + a));
        }
        print line;
      }
    }'
done

echo "== 4. normal random numbers on this machine (1 thread)"
/usr/bin/python3 - << 'EOF'
import time, torch
torch.set_num_threads(1)
x = torch.empty(1 << 24)
x.normal_()
t = time.perf_counter()
for _ in range(5):
    x.normal_()
dt = (time.perf_counter() - t) / 5
print(f"{x.numel() / dt / 1e6:.0f} M normal numbers per second per thread")
EOF
