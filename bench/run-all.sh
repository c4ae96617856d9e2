#!/usr/bin/env bash
# Every aya-fw benchmark on this machine, one after the other (see docs/performance.md).
# The PyTorch yardstick for the same train step: ../shared/bench/torch_reference.py (its README).
set -euo pipefail
cd "$(dirname "$0")/.."
npx aya-fw bench matmul
npx aya-fw bench train --model bench/bench-a --batch 8 --seq 64 --steps 10
npx aya-fw bench train --model bench/bench-b --batch 8 --seq 128 --steps 5
npx aya-fw bench generate --model bench/bench-a
npx aya-fw bench merge --size-gb 0.5
node bench/load-rss.mjs
