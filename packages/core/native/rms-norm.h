// RMSNorm over the last axis, forward and gradient, in one pass each (aya-fw's fused kernel).
#pragma once
#include <cstdint>

namespace aya {

// y[r] = x[r] · rstd[r] · w with rstd[r] = 1 / √(mean(x[r]²) + ε), for x [rows, d].
void rmsNorm(int64_t rows, int64_t d, const float* x, const float* w, float eps, float* y, float* rstd);

// With n = x·rstd and g = dy·w: dx = rstd · (g − n · mean(g·n)) and dw = Σ_rows dy·n.
void rmsNormGrad(int64_t rows, int64_t d, const float* x, const float* w, const float* rstd, const float* dy, float* dx, float* dw);

}  // namespace aya
