// Blocked single-precision GEMM: operands packed into panels (transposes absorbed by the
// packing), a register-tiled micro-kernel written with GCC vector extensions (AVX-512, AVX or
// SSE, whatever -march=native offers), and the work split over the thread pool.
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "thread-pool.h"

namespace aya {
namespace {

#if defined(__AVX512F__)
constexpr int VW = 16;
constexpr int MR = 12;
#elif defined(__AVX__)
constexpr int VW = 8;
constexpr int MR = 6;
#else
constexpr int VW = 4;
constexpr int MR = 4;
#endif
constexpr int NR = 2 * VW;  // columns of a micro-tile
constexpr int64_t KC = 256;  // depth of a packed block
constexpr int64_t NC = 512;  // columns of a packed block (a multiple of NR)
constexpr double kParallelFlops = 4e6;  // below this (≈20 µs on one core) a product runs on the calling thread
constexpr int kTasksPerThread = 4;
constexpr double kTaskFlops = 1e7;

typedef float vf __attribute__((vector_size(VW * sizeof(float))));

inline vf loadu(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void storeu(float* p, vf v) { std::memcpy(p, &v, sizeof v); }

// c[MR, NR] (row stride ldc) = ap · bp, or += when accumulating. ap is [kc][MR], bp [kc][NR].
inline void microKernel(int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c, int64_t ldc, bool accumulate) {
  vf c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) c0[i] = c1[i] = vf{};
  for (int64_t p = 0; p < kc; ++p) {
    const vf b0 = *reinterpret_cast<const vf*>(bp + p * NR);
    const vf b1 = *reinterpret_cast<const vf*>(bp + p * NR + VW);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const float x = ap[p * MR + i];
      c0[i] += x * b0;
      c1[i] += x * b1;
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    if (accumulate) {
      c0[i] += loadu(row);
      c1[i] += loadu(row + VW);
    }
    storeu(row, c0[i]);
    storeu(row + VW, c1[i]);
  }
}

// Packing buffers, one set per thread.
struct Buffers {
  std::vector<vf> a, b;
  float* reserveA(size_t floats) { return reserve(a, floats); }
  float* reserveB(size_t floats) { return reserve(b, floats); }

 private:
  static float* reserve(std::vector<vf>& v, size_t floats) {
    const size_t n = (floats + VW - 1) / VW;
    if (v.size() < n) v.resize(n);
    return reinterpret_cast<float*>(v.data());
  }
};
thread_local Buffers buffers;

// op(b)[pc : pc+kc, jc : jc+nc] into panels of NR columns, zero-padded: dst[panel][p][NR].
void packB(const GemmProblem& pr, const float* b, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int64_t nr = std::min<int64_t>(NR, nc - j0);
    float* panel = dst + j0 * kc;
    if (!pr.transB) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (pc + p) * pr.n + jc + j0;
        float* out = panel + p * NR;
        std::memcpy(out, src, nr * sizeof(float));
        if (nr < NR) std::memset(out + nr, 0, (NR - nr) * sizeof(float));
      }
    } else {
      if (nr < NR) std::memset(panel, 0, kc * NR * sizeof(float));
      for (int64_t j = 0; j < nr; ++j) {
        const float* src = b + (jc + j0 + j) * pr.k + pc;
        for (int64_t p = 0; p < kc; ++p) panel[p * NR + j] = src[p];
      }
    }
  }
}

// op(a)[i0 : i0+mr, pc : pc+kc] as dst[p][MR], zero-padded.
void packA(const GemmProblem& pr, const float* a, int64_t i0, int64_t mr, int64_t pc, int64_t kc, float* dst) {
  if (mr < MR) std::memset(dst, 0, kc * MR * sizeof(float));
  if (!pr.transA) {
    for (int64_t i = 0; i < mr; ++i) {
      const float* src = a + (i0 + i) * pr.k + pc;
      for (int64_t p = 0; p < kc; ++p) dst[p * MR + i] = src[p];
    }
  } else {
    for (int64_t p = 0; p < kc; ++p) std::memcpy(dst + p * MR, a + (pc + p) * pr.m + i0, mr * sizeof(float));
  }
}

// c[rows, cols] of matrix t, on the calling thread.
void gemmBlock(const GemmProblem& pr, int64_t t, int64_t row0, int64_t row1, int64_t col0, int64_t col1) {
  const float* a = pr.a + t * pr.strideA;
  const float* b = pr.b + t * pr.strideB;
  float* c = pr.c + t * pr.m * pr.n;
  if (pr.k == 0) {
    for (int64_t i = row0; i < row1; ++i) std::memset(c + i * pr.n + col0, 0, (col1 - col0) * sizeof(float));
    return;
  }
  alignas(64) float edge[MR * NR];
  for (int64_t jc = col0; jc < col1; jc += NC) {
    const int64_t nc = std::min(NC, col1 - jc);
    for (int64_t pc = 0; pc < pr.k; pc += KC) {
      const int64_t kc = std::min(KC, pr.k - pc);
      float* bp = buffers.reserveB(((nc + NR - 1) / NR) * NR * kc);
      packB(pr, b, pc, kc, jc, nc, bp);
      float* ap = buffers.reserveA(MR * kc);
      for (int64_t i0 = row0; i0 < row1; i0 += MR) {
        const int64_t mr = std::min<int64_t>(MR, row1 - i0);
        packA(pr, a, i0, mr, pc, kc, ap);
        for (int64_t j0 = 0; j0 < nc; j0 += NR) {
          const int64_t nr = std::min<int64_t>(NR, nc - j0);
          float* tile = c + i0 * pr.n + jc + j0;
          if (mr == MR && nr == NR) {
            microKernel(kc, ap, bp + j0 * kc, tile, pr.n, pc > 0);
            continue;
          }
          microKernel(kc, ap, bp + j0 * kc, edge, NR, false);
          for (int64_t i = 0; i < mr; ++i)
            for (int64_t j = 0; j < nr; ++j) tile[i * pr.n + j] = (pc > 0 ? tile[i * pr.n + j] : 0.0f) + edge[i * NR + j];
        }
      }
    }
  }
}

}  // namespace

void gemm(const GemmProblem& pr, ThreadPool& pool) {
  if (pr.batch == 0 || pr.m == 0 || pr.n == 0) return;
  const double flops = 2.0 * pr.batch * pr.m * pr.n * pr.k;
  if (flops < kParallelFlops || pool.size() == 1) {
    for (int64_t t = 0; t < pr.batch; ++t) gemmBlock(pr, t, 0, pr.m, 0, pr.n);
    return;
  }
  // Up to a few tasks per thread, so that a thread that starts late still finds work to share,
  // but each worth at least kTaskFlops (every task packs its own operand panels).
  const int maxTasks = static_cast<int>(std::clamp<double>(flops / kTaskFlops, pool.size(), kTasksPerThread * pool.size()));
  if (pr.batch >= pool.size()) {
    const int tasks = static_cast<int>(std::min<int64_t>(pr.batch, maxTasks));
    pool.run(tasks, [&](int task) {
      int64_t t0, t1;
      share(pr.batch, 1, tasks, task, t0, t1);
      for (int64_t t = t0; t < t1; ++t) gemmBlock(pr, t, 0, pr.m, 0, pr.n);
    });
    return;
  }
  // Few matrices: split each along its longer side, rows by MR or columns by NR.
  const bool byRows = pr.m >= pr.n;
  const int64_t extent = byRows ? pr.m : pr.n;
  const int64_t grain = byRows ? MR : NR;
  const int tasks = static_cast<int>(std::min<int64_t>((extent + grain - 1) / grain, maxTasks));
  for (int64_t t = 0; t < pr.batch; ++t) {
    pool.run(tasks, [&](int task) {
      int64_t begin, end;
      share(extent, grain, tasks, task, begin, end);
      if (begin >= end) return;
      if (byRows)
        gemmBlock(pr, t, begin, end, 0, pr.n);
      else
        gemmBlock(pr, t, 0, pr.m, begin, end);
    });
  }
}

}  // namespace aya
