#include "log-softmax.h"

#include <algorithm>
#include <cmath>

#include "thread-pool.h"

namespace aya {
namespace {

// Rows cut into a few contiguous ranges per thread when there is enough work.
template <typename F>
void forRows(int64_t rows, int64_t v, ThreadPool& pool, F f) {
  const int tasks = rows * v < (1 << 15) ? 1 : static_cast<int>(std::min<int64_t>(4 * pool.size(), rows));
  pool.run(tasks, [&](int task) { f(rows * task / tasks, rows * (task + 1) / tasks); });
}

// exp over a row, vectorised (fast-math lets GCC call its vector expf).
__attribute__((optimize("-ffast-math"))) float sumExp(const float* x, int64_t v, float shift) {
  float s = 0;
  for (int64_t j = 0; j < v; ++j) s += std::exp(x[j] - shift);
  return s;
}

__attribute__((optimize("-ffast-math"))) void scaledSoftmax(const float* x, int64_t v, float lse, float scale, float* dx) {
  for (int64_t j = 0; j < v; ++j) dx[j] = -scale * std::exp(x[j] - lse);
}

}  // namespace

int64_t pickLogSoftmax(int64_t rows, int64_t v, const float* x, const int32_t* targets, float* out, float* lse, ThreadPool& pool) {
  for (int64_t r = 0; r < rows; ++r)
    if (targets[r] < 0 || targets[r] >= v) return r;
  forRows(rows, v, pool, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x + r * v;
      const float max = *std::max_element(row, row + v);
      lse[r] = max + std::log(sumExp(row, v, max));
      out[r] = row[targets[r]] - lse[r];
    }
  });
  return -1;
}

void pickLogSoftmaxGrad(int64_t rows, int64_t v, const float* x, const int32_t* targets, const float* lse, const float* dy, float* dx,
                        ThreadPool& pool) {
  forRows(rows, v, pool, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      scaledSoftmax(x + r * v, v, lse[r], dy[r], dx + r * v);
      dx[r * v + targets[r]] += dy[r];
    }
  });
}

}  // namespace aya
