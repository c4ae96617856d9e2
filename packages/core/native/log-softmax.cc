#include "log-softmax.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "fast-exp.h"
#include "thread-pool.h"

namespace aya {
namespace {

void scaledSoftmax(const float* x, int64_t v, float lse, float scale, float* dx) {
  for (int64_t j = 0; j < v; ++j) dx[j] = -scale * fastExp(x[j] - lse);
}

}  // namespace

int64_t pickLogSoftmax(int64_t rows, int64_t v, const float* x, const int32_t* targets, float* out, float* lse, ThreadPool& pool) {
  for (int64_t r = 0; r < rows; ++r)
    if (targets[r] < 0 || targets[r] >= v) return r;
  parallelRows(pool, rows, v, [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> scratch;
    scratch.resize(v);
    for (int64_t r = r0; r < r1; ++r) {
      const float* row = x + r * v;
      const float max = *std::max_element(row, row + v);
      lse[r] = max + std::log(expShiftedSum(row, v, max, scratch.data()));
      out[r] = row[targets[r]] - lse[r];
    }
  });
  return -1;
}

void pickLogSoftmaxGrad(int64_t rows, int64_t v, const float* x, const int32_t* targets, const float* lse, const float* dy, float* dx,
                        ThreadPool& pool) {
  parallelRows(pool, rows, v, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      scaledSoftmax(x + r * v, v, lse[r], dy[r], dx + r * v);
      dx[r * v + targets[r]] += dy[r];
    }
  });
}

}  // namespace aya
