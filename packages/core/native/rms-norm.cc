#include "rms-norm.h"

#include <cmath>
#include <cstring>

namespace aya {

void rmsNorm(int64_t rows, int64_t d, const float* __restrict x, const float* __restrict w, float eps, float* __restrict y, float* __restrict rstd) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float squares = 0;
    for (int64_t j = 0; j < d; ++j) squares += xr[j] * xr[j];
    const float s = 1.0f / std::sqrt(squares / static_cast<float>(d) + eps);
    rstd[r] = s;
    float* yr = y + r * d;
    for (int64_t j = 0; j < d; ++j) yr[j] = xr[j] * s * w[j];
  }
}

void rmsNormGrad(int64_t rows, int64_t d, const float* __restrict x, const float* __restrict w, const float* __restrict rstd, const float* __restrict dy,
                 float* __restrict dx, float* __restrict dw) {
  std::memset(dw, 0, d * sizeof(float));
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    const float* gr = dy + r * d;
    const float s = rstd[r];
    float dot = 0;  // Σ g·n
    for (int64_t j = 0; j < d; ++j) dot += gr[j] * w[j] * xr[j] * s;
    const float meanDot = dot / static_cast<float>(d);
    float* dxr = dx + r * d;
    for (int64_t j = 0; j < d; ++j) {
      const float n = xr[j] * s;
      dxr[j] = s * (gr[j] * w[j] - n * meanDot);
      dw[j] += gr[j] * n;
    }
  }
}

}  // namespace aya
