// N-API entry points of aya-fw's native kernels (loaded by src/kernels/native.ts).
// matmul(a, b, out, batch, m, k, n, strideA, strideB, transA, transB): Float32Arrays, usually
// views on the wasm backend's heap, read and written in place.
// adam(param, grad, m, v, outParam, outM, outV, stepSize, beta1, beta2, epsilon, biasCorrection2,
//   weightDecay, decayFactor): one fused Adam update (see adam.h); all arrays of equal length.
// pickLogSoftmax(x, targets, out, lse, rows, v) / pickLogSoftmaxGrad(x, targets, lse, dy, dx,
//   rows, v): log-softmax picked at target ids and its gradient (see log-softmax.h).
// rmsNorm(x, w, y, rstd, rows, d, eps) / rmsNormGrad(x, w, rstd, dy, dx, dw, rows, d): RMSNorm
//   over the last axis and its gradient (see rms-norm.h).
// swiglu(gate, up, y) / swigluGrad(gate, up, dy, dgate, dup): silu(gate)·up and its gradient
//   (see swiglu.h); all arrays of one length.
// scaledBiasedSoftmax(scores, bias, y, batch, heads, rows, cols, biasBatch, scale) /
//   scaledSoftmaxGrad(y, dy, ds, rows, cols, scale): attention's softmax and its gradient (softmax.h).
// setThreads(n) / threads(): the size of the pool the products share.
// missingCpuFeature(): "" when this CPU has every instruction set the build used (it is compiled
// with -march=native), else the name of one it lacks; the loader checks it before any product.
#include <node_api.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adam.h"
#include "gemm.h"
#include "log-softmax.h"
#include "rms-norm.h"
#include "softmax.h"
#include "swiglu.h"
#include "thread-pool.h"

namespace {

// One pool per process, shared by every JavaScript thread that loads the addon; the lock keeps
// their calls (and a resize) from overlapping.
std::mutex poolMutex;
std::unique_ptr<aya::ThreadPool> pool;

template <typename F>
auto withPool(F f) {
  std::lock_guard<std::mutex> lock(poolMutex);
  if (!pool) pool = std::make_unique<aya::ThreadPool>(std::max(1u, std::thread::hardware_concurrency()));
  return f(*pool);
}

// A call's arguments by position. Each accessor checks its argument (type, range, an array's
// minimum length) and records the first failure; the binding then throws its usage line.
class Args {
 public:
  Args(napi_env env, napi_callback_info info, size_t count, const char* usage) : env_(env), usage_(usage), argv_(count) {
    size_t argc = count;
    napi_get_cb_info(env, info, &argc, argv_.data(), nullptr, nullptr);
    ok_ = argc == count;
  }

  // A non-negative integer.
  int64_t count(size_t i) {
    int64_t v = 0;
    if (ok_ && !(napi_get_value_int64(env_, argv_[i], &v) == napi_ok && v >= 0)) ok_ = false;
    return v;
  }
  double number(size_t i) {
    double v = 0;
    if (ok_ && napi_get_value_double(env_, argv_[i], &v) != napi_ok) ok_ = false;
    return v;
  }
  bool flag(size_t i) {
    bool v = false;
    if (ok_ && napi_get_value_bool(env_, argv_[i], &v) != napi_ok) ok_ = false;
    return v;
  }
  // A Float32Array (Int32Array) of at least minLength values.
  float* f32(size_t i, int64_t minLength) { return static_cast<float*>(array(i, napi_float32_array, minLength)); }
  int32_t* i32(size_t i, int64_t minLength) { return static_cast<int32_t*>(array(i, napi_int32_array, minLength)); }
  // The length of the Float32Array at i.
  int64_t length(size_t i) {
    size_t n = 0;
    info(i, napi_float32_array, &n);
    return static_cast<int64_t>(n);
  }

  bool ok() const { return ok_; }
  napi_value fail() const {
    napi_throw_error(env_, nullptr, usage_);
    return nullptr;
  }

 private:
  void* array(size_t i, napi_typedarray_type want, int64_t minLength) {
    size_t n = 0;
    void* data = info(i, want, &n);
    if (ok_ && static_cast<int64_t>(n) < minLength) ok_ = false;
    return data;
  }
  void* info(size_t i, napi_typedarray_type want, size_t* length) {
    bool is = false;
    napi_typedarray_type type;
    napi_value buffer;
    size_t offset;
    void* data = nullptr;
    if (ok_ && !(napi_is_typedarray(env_, argv_[i], &is) == napi_ok && is &&
                 napi_get_typedarray_info(env_, argv_[i], &type, length, &data, &buffer, &offset) == napi_ok && type == want))
      ok_ = false;
    return data;
  }

  napi_env env_;
  const char* usage_;
  std::vector<napi_value> argv_;
  bool ok_;
};

napi_value Matmul(napi_env env, napi_callback_info info) {
  Args a(env, info, 11, "matmul: expected (Float32Array a, b, out, batch, m, k, n, strideA, strideB, transA, transB), arrays as long as their shapes");
  const int64_t batch = a.count(3), m = a.count(4), k = a.count(5), n = a.count(6), strideA = a.count(7), strideB = a.count(8);
  const auto span = [&](int64_t stride, int64_t size) { return batch == 0 ? 0 : (batch - 1) * stride + size; };
  const aya::GemmProblem p{a.f32(0, span(strideA, m * k)), a.f32(1, span(strideB, k * n)), a.f32(2, batch * m * n), batch, m, k, n, strideA, strideB,
                           a.flag(9), a.flag(10)};
  if (!a.ok()) return a.fail();
  withPool([&](aya::ThreadPool& tp) { aya::gemm(p, tp); });
  return nullptr;
}

napi_value Adam(napi_env env, napi_callback_info info) {
  Args a(env, info, 14, "adam: expected (Float32Array param, grad, m, v, outParam, outM, outV of one length, stepSize, beta1, beta2, epsilon, biasCorrection2, weightDecay, decayFactor)");
  const int64_t n = a.length(0);
  float* x[7];
  for (int i = 0; i < 7; ++i) x[i] = a.f32(i, n);
  double h[7];
  for (int i = 0; i < 7; ++i) h[i] = a.number(7 + i);
  if (!a.ok()) return a.fail();
  const auto f = [](double v) { return static_cast<float>(v); };
  const aya::AdamStep s{f(h[0]), f(h[1]), f(1 - h[1]), f(h[2]), f(1 - h[2]), f(h[3]), f(h[4]), f(h[5]), f(h[6])};
  aya::adam(n, x[0], x[1], x[2], x[3], x[4], x[5], x[6], s);
  return nullptr;
}

napi_value PickLogSoftmax(napi_env env, napi_callback_info info) {
  Args a(env, info, 6, "pickLogSoftmax: expected (Float32Array x, Int32Array targets, Float32Array out, lse, rows, vocab)");
  const int64_t rows = a.count(4), v = a.count(5);
  const float* x = a.f32(0, rows * v);
  const int32_t* targets = a.i32(1, rows);
  float *out = a.f32(2, rows), *lse = a.f32(3, rows);
  if (!a.ok()) return a.fail();
  const int64_t bad = withPool([&](aya::ThreadPool& tp) { return aya::pickLogSoftmax(rows, v, x, targets, out, lse, tp); });
  if (bad < 0) return nullptr;
  const std::string message = "target id " + std::to_string(targets[bad]) + " at row " + std::to_string(bad) + " is outside the vocabulary [0, " + std::to_string(v) + ")";
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

napi_value PickLogSoftmaxGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 7, "pickLogSoftmaxGrad: expected (Float32Array x, Int32Array targets, Float32Array lse, dy, dx, rows, vocab)");
  const int64_t rows = a.count(5), v = a.count(6);
  const float* x = a.f32(0, rows * v);
  const int32_t* targets = a.i32(1, rows);
  const float *lse = a.f32(2, rows), *dy = a.f32(3, rows);
  float* dx = a.f32(4, rows * v);
  if (!a.ok()) return a.fail();
  withPool([&](aya::ThreadPool& tp) { aya::pickLogSoftmaxGrad(rows, v, x, targets, lse, dy, dx, tp); });
  return nullptr;
}

napi_value RmsNorm(napi_env env, napi_callback_info info) {
  Args a(env, info, 7, "rmsNorm: expected (Float32Array x, w, y, rstd, rows, d, eps)");
  const int64_t rows = a.count(4), d = a.count(5);
  const float eps = static_cast<float>(a.number(6));
  const float *x = a.f32(0, rows * d), *w = a.f32(1, d);
  float *y = a.f32(2, rows * d), *rstd = a.f32(3, rows);
  if (!a.ok()) return a.fail();
  aya::rmsNorm(rows, d, x, w, eps, y, rstd);
  return nullptr;
}

napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 8, "rmsNormGrad: expected (Float32Array x, w, rstd, dy, dx, dw, rows, d)");
  const int64_t rows = a.count(6), d = a.count(7);
  const float *x = a.f32(0, rows * d), *w = a.f32(1, d), *rstd = a.f32(2, rows), *dy = a.f32(3, rows * d);
  float *dx = a.f32(4, rows * d), *dw = a.f32(5, d);
  if (!a.ok()) return a.fail();
  aya::rmsNormGrad(rows, d, x, w, rstd, dy, dx, dw);
  return nullptr;
}

napi_value Swiglu(napi_env env, napi_callback_info info) {
  Args a(env, info, 3, "swiglu: expected (Float32Array gate, up, y) of one length");
  const int64_t n = a.length(0);
  const float *gate = a.f32(0, n), *up = a.f32(1, n);
  float* y = a.f32(2, n);
  if (!a.ok()) return a.fail();
  aya::swiglu(n, gate, up, y);
  return nullptr;
}

napi_value SwigluGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 5, "swigluGrad: expected (Float32Array gate, up, dy, dgate, dup) of one length");
  const int64_t n = a.length(0);
  const float *gate = a.f32(0, n), *up = a.f32(1, n), *dy = a.f32(2, n);
  float *dgate = a.f32(3, n), *dup = a.f32(4, n);
  if (!a.ok()) return a.fail();
  aya::swigluGrad(n, gate, up, dy, dgate, dup);
  return nullptr;
}

napi_value ScaledBiasedSoftmax(napi_env env, napi_callback_info info) {
  Args a(env, info, 9, "scaledBiasedSoftmax: expected (Float32Array scores, bias, y, batch, heads, rows, cols, biasBatch of 1 or batch, scale)");
  const int64_t batch = a.count(3), heads = a.count(4), rows = a.count(5), cols = a.count(6), biasBatch = a.count(7);
  const float scale = static_cast<float>(a.number(8));
  const int64_t n = batch * heads * rows * cols;
  const float *scores = a.f32(0, n), *bias = a.f32(1, biasBatch * rows * cols);
  float* y = a.f32(2, n);
  if (!a.ok() || !(biasBatch == 1 || biasBatch == batch)) return a.fail();
  withPool([&](aya::ThreadPool& tp) { aya::scaledBiasedSoftmax(batch, heads, rows, cols, scores, bias, biasBatch, scale, y, tp); });
  return nullptr;
}

napi_value ScaledSoftmaxGrad(napi_env env, napi_callback_info info) {
  Args a(env, info, 6, "scaledSoftmaxGrad: expected (Float32Array y, dy, ds, rows, cols, scale)");
  const int64_t rows = a.count(3), cols = a.count(4);
  const float scale = static_cast<float>(a.number(5));
  const float *y = a.f32(0, rows * cols), *dy = a.f32(1, rows * cols);
  float* ds = a.f32(2, rows * cols);
  if (!a.ok()) return a.fail();
  withPool([&](aya::ThreadPool& tp) { aya::scaledSoftmaxGrad(rows, cols, y, dy, scale, ds, tp); });
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info, 1, "setThreads: expected a thread count from 1 to 256");
  const int64_t n = a.count(0);
  if (!a.ok() || n < 1 || n > 256) return a.fail();
  std::lock_guard<std::mutex> lock(poolMutex);
  if (!pool || pool->size() != n) pool = std::make_unique<aya::ThreadPool>(static_cast<int>(n));
  return nullptr;
}

napi_value Threads(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_int32(env, withPool([](aya::ThreadPool& tp) { return tp.size(); }), &out);
  return out;
}

napi_value MissingCpuFeature(napi_env env, napi_callback_info) {
  const char* missing = "";
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
#define AYA_REQUIRE(name) \
  if (!*missing && !__builtin_cpu_supports(name)) missing = name;
#ifdef __SSE4_2__
  AYA_REQUIRE("sse4.2")
#endif
#ifdef __AVX__
  AYA_REQUIRE("avx")
#endif
#ifdef __AVX2__
  AYA_REQUIRE("avx2")
#endif
#ifdef __FMA__
  AYA_REQUIRE("fma")
#endif
#ifdef __AVX512F__
  AYA_REQUIRE("avx512f")
#endif
#ifdef __AVX512VL__
  AYA_REQUIRE("avx512vl")
#endif
#ifdef __AVX512BW__
  AYA_REQUIRE("avx512bw")
#endif
#ifdef __AVX512DQ__
  AYA_REQUIRE("avx512dq")
#endif
#undef AYA_REQUIRE
#endif
  napi_value out;
  napi_create_string_utf8(env, missing, NAPI_AUTO_LENGTH, &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pickLogSoftmax", nullptr, PickLogSoftmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pickLogSoftmaxGrad", nullptr, PickLogSoftmaxGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNorm", nullptr, RmsNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNormGrad", nullptr, RmsNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"swiglu", nullptr, Swiglu, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"swigluGrad", nullptr, SwigluGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scaledBiasedSoftmax", nullptr, ScaledBiasedSoftmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scaledSoftmaxGrad", nullptr, ScaledSoftmaxGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, Threads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"missingCpuFeature", nullptr, MissingCpuFeature, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
