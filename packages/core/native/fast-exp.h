// exp(x) for float, written so that GCC vectorises loops that call it (glibc's expf is scalar
// unless the whole build uses -ffast-math). Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2,
// a degree-6 polynomial for e^r, and 2^n placed in the exponent bits; within 2 ulp of expf
// over the float range; 0 below −87.3, +inf above 88.7.
#pragma once
#include <cstdint>

namespace aya {

inline float fastExp(float x) {
  constexpr float lo = -87.33654f, hi = 88.72283f;
  const float c = x < lo ? lo : (x > hi ? hi : x);
  // n = round(c / ln 2) by the 1.5·2²³ trick (floorf would keep GCC from vectorising).
  const float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = c - n * 0.693359375f;
  r -= n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n in the exponent bits; n + 127 stays within [1, 255] for the clamped range.
  const float out = p * __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);
  return x > hi ? __builtin_inff() : (x < lo ? 0.0f : out);
}

// out[j] = exp(z[j] − shift) for j < n, and their sum (kept in 16 lanes, so that both loops
// vectorise without reassociating a single running sum).
inline float expShiftedSum(const float* z, int64_t n, float shift, float* out) {
  for (int64_t j = 0; j < n; ++j) out[j] = fastExp(z[j] - shift);
  float lanes[16] = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int l = 0; l < 16; ++l) lanes[l] += out[j + l];
  float sum = 0;
  for (; j < n; ++j) sum += out[j];
  for (int l = 0; l < 16; ++l) sum += lanes[l];
  return sum;
}

}  // namespace aya
