#include "adam.h"

#include <cmath>

namespace aya {

void adam(int64_t n, const float* __restrict param, const float* __restrict grad, const float* __restrict m, const float* __restrict v,
          float* __restrict outParam, float* __restrict outM, float* __restrict outV, const AdamStep& s) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = s.weightDecay != 0.0f ? grad[i] + s.weightDecay * param[i] : grad[i];
    const float mi = s.beta1 * m[i] + s.oneMinusBeta1 * g;
    const float vi = s.beta2 * v[i] + s.oneMinusBeta2 * (g * g);
    outM[i] = mi;
    outV[i] = vi;
    outParam[i] = param[i] * s.decayFactor - s.stepSize * (mi / (std::sqrt(vi) / s.biasCorrection2 + s.epsilon));
  }
}

}  // namespace aya
