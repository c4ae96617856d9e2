// Log-softmax picked at target ids, forward and gradient, without the [rows, vocab] log-prob
// tensor in between (aya-fw's fused kernel for language-model log-likelihoods).
#pragma once
#include <cstdint>

namespace aya {

class ThreadPool;

// out[r] = x[r, t_r] − lse[r] with lse[r] = log Σⱼ exp(x[r, j]), for x [rows, v]. Returns the
// first row whose target is outside [0, v), or −1 when all are valid (nothing written then).
int64_t pickLogSoftmax(int64_t rows, int64_t v, const float* x, const int32_t* targets, float* out, float* lse, ThreadPool& pool);

// dx[r, j] = dy[r] · ([j = t_r] − exp(x[r, j] − lse[r])).
void pickLogSoftmaxGrad(int64_t rows, int64_t v, const float* x, const int32_t* targets, const float* lse, const float* dy, float* dx,
                        ThreadPool& pool);

}  // namespace aya
