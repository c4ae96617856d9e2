// Attention's softmax(scale · scores + bias) and its gradient, one pass per row.
#pragma once
#include <cstdint>

namespace aya {

class ThreadPool;

// y[b, h, i, :] = softmax(scale · s[b, h, i, :] + bias[b or 0, i, :]) for scores [batch, heads,
// rows, cols] and an additive bias [biasBatch, rows, cols] (biasBatch 1: the same for every b).
void scaledBiasedSoftmax(int64_t batch, int64_t heads, int64_t rows, int64_t cols, const float* scores, const float* bias, int64_t biasBatch,
                         float scale, float* y, ThreadPool& pool);

// ds = scale · y · (dy − Σⱼ dy·y), row by row over `rows` rows of `cols`.
void scaledSoftmaxGrad(int64_t rows, int64_t cols, const float* y, const float* dy, float scale, float* ds, ThreadPool& pool);

}  // namespace aya
