// The SwiGLU product silu(gate) · up, forward and gradient, elementwise in one pass each.
#pragma once
#include <cstdint>

namespace aya {

// y = g·σ(g)·u
void swiglu(int64_t n, const float* gate, const float* up, float* y);

// dg = dy·u·σ(g)·(1 + g·(1 − σ(g))), du = dy·g·σ(g)
void swigluGrad(int64_t n, const float* gate, const float* up, const float* dy, float* dgate, float* dup);

}  // namespace aya
