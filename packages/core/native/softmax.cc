#include "softmax.h"

#include <algorithm>
#include <cmath>

#include "fast-exp.h"
#include "thread-pool.h"

namespace aya {

void scaledBiasedSoftmax(int64_t batch, int64_t heads, int64_t rows, int64_t cols, const float* scores, const float* bias, int64_t biasBatch,
                         float scale, float* y, ThreadPool& pool) {
  parallelRows(pool, batch * heads * rows, cols, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / (heads * rows);
      const int64_t i = r % rows;
      const float* s = scores + r * cols;
      const float* m = bias + ((biasBatch == 1 ? 0 : b) * rows + i) * cols;
      float* out = y + r * cols;
      float max = -INFINITY;
      for (int64_t j = 0; j < cols; ++j) {
        out[j] = s[j] * scale + m[j];
        max = std::max(max, out[j]);
      }
      const float inv = 1.0f / expShiftedSum(out, cols, max, out);
      for (int64_t j = 0; j < cols; ++j) out[j] *= inv;
    }
  });
}

void scaledSoftmaxGrad(int64_t rows, int64_t cols, const float* y, const float* dy, float scale, float* ds, ThreadPool& pool) {
  parallelRows(pool, rows, cols, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* yr = y + r * cols;
      const float* g = dy + r * cols;
      float dot = 0;
      for (int64_t j = 0; j < cols; ++j) dot += g[j] * yr[j];
      float* out = ds + r * cols;
      for (int64_t j = 0; j < cols; ++j) out[j] = scale * yr[j] * (g[j] - dot);
    }
  });
}

}  // namespace aya
