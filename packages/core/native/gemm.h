// Single-precision matrix products for aya-fw's native kernels.
#pragma once
#include <cstdint>

namespace aya {

class ThreadPool;

// One product, or `batch` of them: c[t] = op(a[t]) · op(b[t]) where op transposes when asked.
// op(a) is [m, k], op(b) is [k, n], c is [m, n], all row-major. strideA / strideB are the
// distances between consecutive matrices (0 broadcasts a single matrix).
struct GemmProblem {
  const float* a;
  const float* b;
  float* c;
  int64_t batch, m, k, n;
  int64_t strideA, strideB;
  bool transA, transB;
};

void gemm(const GemmProblem& p, ThreadPool& pool);

}  // namespace aya
