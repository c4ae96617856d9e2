#include "swiglu.h"

#include <cmath>

#include "fast-exp.h"

namespace aya {

void swiglu(int64_t n, const float* __restrict gate, const float* __restrict up, float* __restrict y) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    y[i] = g / (1.0f + fastExp(-g)) * up[i];
  }
}

void swigluGrad(int64_t n, const float* __restrict gate, const float* __restrict up, const float* __restrict dy,
                                                         float* __restrict dgate, float* __restrict dup) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float s = 1.0f / (1.0f + fastExp(-g));
    dgate[i] = dy[i] * up[i] * s * (1.0f + g * (1.0f - s));
    dup[i] = dy[i] * g * s;
  }
}

}  // namespace aya
