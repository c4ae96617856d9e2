// Adam's update of one parameter tensor in a single pass (aya-fw's fused optimizer kernel).
#pragma once
#include <cstdint>

namespace aya {

struct AdamStep {
  float stepSize;     // lr / (1 − β₁ᵗ)
  float beta1, oneMinusBeta1, beta2, oneMinusBeta2;
  float epsilon;
  float biasCorrection2;  // sqrt(1 − β₂ᵗ)
  float weightDecay;      // λ, added to the gradient (Adam) or
  float decayFactor;      // 1 − lr·λ, applied to θ first (AdamW); 1 for none
};

// m' = β₁m + (1−β₁)g, v' = β₂v + (1−β₂)g², θ' = θ·decay − stepSize · m' / (√v' / c₂ + ε),
// with g = gradient + λθ when weightDecay is non-zero (Adam's L2 form). Outputs may not alias inputs.
void adam(int64_t n, const float* param, const float* grad, const float* m, const float* v, float* outParam, float* outM, float* outV,
          const AdamStep& s);

}  // namespace aya
