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

napi_value fail(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

template <typename T>
bool typed(napi_env env, napi_value v, napi_typedarray_type want, T** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  void* p;
  if (napi_get_typedarray_info(env, v, &type, length, &p, &buffer, &offset) != napi_ok || type != want) return false;
  *data = static_cast<T*>(p);
  return true;
}

bool floats(napi_env env, napi_value v, float** data, size_t* length) { return typed(env, v, napi_float32_array, data, length); }

// Float32Arrays at argv[0..count) into arrays/lengths; false when one is not a Float32Array.
bool floatArgs(napi_env env, napi_value* argv, int count, float** arrays, size_t* lengths) {
  for (int i = 0; i < count; ++i)
    if (!floats(env, argv[i], &arrays[i], &lengths[i])) return false;
  return true;
}

bool integer(napi_env env, napi_value v, int64_t* out) { return napi_get_value_int64(env, v, out) == napi_ok && *out >= 0; }

napi_value Matmul(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 11) return fail(env, "matmul: expected 11 arguments");
  float *a, *b, *c;
  size_t la, lb, lc;
  if (!floats(env, argv[0], &a, &la) || !floats(env, argv[1], &b, &lb) || !floats(env, argv[2], &c, &lc))
    return fail(env, "matmul: a, b and out must be Float32Arrays");
  int64_t dims[6];
  for (int i = 0; i < 6; ++i)
    if (!integer(env, argv[3 + i], &dims[i])) return fail(env, "matmul: sizes must be non-negative integers");
  bool transA, transB;
  if (napi_get_value_bool(env, argv[9], &transA) != napi_ok || napi_get_value_bool(env, argv[10], &transB) != napi_ok)
    return fail(env, "matmul: transA and transB must be booleans");
  aya::GemmProblem p{a, b, c, dims[0], dims[1], dims[2], dims[3], dims[4], dims[5], transA, transB};
  const auto last = [&](int64_t stride, int64_t size) { return p.batch == 0 ? 0 : (p.batch - 1) * stride + size; };
  if (static_cast<int64_t>(la) < last(p.strideA, p.m * p.k) || static_cast<int64_t>(lb) < last(p.strideB, p.k * p.n) ||
      static_cast<int64_t>(lc) < p.batch * p.m * p.n)
    return fail(env, "matmul: an operand is shorter than its shape");
  withPool([&](aya::ThreadPool& tp) { aya::gemm(p, tp); });
  return nullptr;
}

napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 14) return fail(env, "adam: expected 14 arguments");
  float* arrays[7];
  size_t lengths[7];
  if (!floatArgs(env, argv, 7, arrays, lengths)) return fail(env, "adam: the first seven arguments must be Float32Arrays");
  for (int i = 1; i < 7; ++i)
    if (lengths[i] != lengths[0]) return fail(env, "adam: parameter, gradient and state lengths differ");
  double h[7];
  for (int i = 0; i < 7; ++i)
    if (napi_get_value_double(env, argv[7 + i], &h[i]) != napi_ok) return fail(env, "adam: hyper-parameters must be numbers");
  const aya::AdamStep s{static_cast<float>(h[0]), static_cast<float>(h[1]), static_cast<float>(1 - h[1]), static_cast<float>(h[2]),
                        static_cast<float>(1 - h[2]), static_cast<float>(h[3]), static_cast<float>(h[4]), static_cast<float>(h[5]),
                        static_cast<float>(h[6])};
  aya::adam(static_cast<int64_t>(lengths[0]), arrays[0], arrays[1], arrays[2], arrays[3], arrays[4], arrays[5], arrays[6], s);
  return nullptr;
}

// Reads x, targets and the row/vocab sizes shared by both log-softmax entry points.
bool logSoftmaxArgs(napi_env env, napi_value* argv, int sizesAt, const float** x, const int32_t** targets, int64_t* rows, int64_t* v) {
  float* xs;
  int32_t* ts;
  size_t lx, lt;
  if (!floats(env, argv[0], &xs, &lx) || !typed(env, argv[1], napi_int32_array, &ts, &lt)) return false;
  if (!integer(env, argv[sizesAt], rows) || !integer(env, argv[sizesAt + 1], v)) return false;
  if (static_cast<int64_t>(lx) < *rows * *v || static_cast<int64_t>(lt) < *rows) return false;
  *x = xs;
  *targets = ts;
  return true;
}

napi_value PickLogSoftmax(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const float* x;
  const int32_t* targets;
  int64_t rows, v;
  float *out, *lse;
  size_t lo, ll;
  if (argc != 6 || !logSoftmaxArgs(env, argv, 4, &x, &targets, &rows, &v) || !floats(env, argv[2], &out, &lo) || !floats(env, argv[3], &lse, &ll) ||
      static_cast<int64_t>(lo) < rows || static_cast<int64_t>(ll) < rows)
    return fail(env, "pickLogSoftmax: expected (Float32Array x, Int32Array targets, Float32Array out, Float32Array lse, rows, vocab)");
  const int64_t bad = withPool([&](aya::ThreadPool& tp) { return aya::pickLogSoftmax(rows, v, x, targets, out, lse, tp); });
  if (bad >= 0) return fail(env, "target id " + std::to_string(targets[bad]) + " at row " + std::to_string(bad) + " is outside the vocabulary [0, " + std::to_string(v) + ")");
  return nullptr;
}

napi_value PickLogSoftmaxGrad(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const float* x;
  const int32_t* targets;
  int64_t rows, v;
  float *lse, *dy, *dx;
  size_t ll, ly, lx;
  if (argc != 7 || !logSoftmaxArgs(env, argv, 5, &x, &targets, &rows, &v) || !floats(env, argv[2], &lse, &ll) || !floats(env, argv[3], &dy, &ly) ||
      !floats(env, argv[4], &dx, &lx) || static_cast<int64_t>(ll) < rows || static_cast<int64_t>(ly) < rows || static_cast<int64_t>(lx) < rows * v)
    return fail(env, "pickLogSoftmaxGrad: expected (Float32Array x, Int32Array targets, Float32Array lse, Float32Array dy, Float32Array dx, rows, vocab)");
  withPool([&](aya::ThreadPool& tp) { aya::pickLogSoftmaxGrad(rows, v, x, targets, lse, dy, dx, tp); });
  return nullptr;
}

napi_value RmsNorm(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* a[4];
  size_t l[4];
  int64_t rows, d;
  double eps;
  if (argc != 7 || !floatArgs(env, argv, 4, a, l) || !integer(env, argv[4], &rows) || !integer(env, argv[5], &d) ||
      napi_get_value_double(env, argv[6], &eps) != napi_ok || static_cast<int64_t>(l[0]) < rows * d || static_cast<int64_t>(l[1]) < d ||
      static_cast<int64_t>(l[2]) < rows * d || static_cast<int64_t>(l[3]) < rows)
    return fail(env, "rmsNorm: expected (Float32Array x, w, y, rstd, rows, d, eps) with x and y of rows·d values");
  aya::rmsNorm(rows, d, a[0], a[1], static_cast<float>(eps), a[2], a[3]);
  return nullptr;
}

napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* a[6];
  size_t l[6];
  int64_t rows, d;
  if (argc != 8 || !floatArgs(env, argv, 6, a, l) || !integer(env, argv[6], &rows) || !integer(env, argv[7], &d) ||
      static_cast<int64_t>(l[0]) < rows * d || static_cast<int64_t>(l[1]) < d || static_cast<int64_t>(l[2]) < rows ||
      static_cast<int64_t>(l[3]) < rows * d || static_cast<int64_t>(l[4]) < rows * d || static_cast<int64_t>(l[5]) < d)
    return fail(env, "rmsNormGrad: expected (Float32Array x, w, rstd, dy, dx, dw, rows, d)");
  aya::rmsNormGrad(rows, d, a[0], a[1], a[2], a[3], a[4], a[5]);
  return nullptr;
}

// Float32Arrays of one length at argv[0..count); false otherwise.
bool sameLengthFloats(napi_env env, napi_value* argv, size_t argc, int count, float** arrays, size_t* n) {
  size_t lengths[8];
  if (argc != static_cast<size_t>(count) || !floatArgs(env, argv, count, arrays, lengths)) return false;
  for (int i = 1; i < count; ++i)
    if (lengths[i] != lengths[0]) return false;
  *n = lengths[0];
  return true;
}

napi_value Swiglu(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* a[3];
  size_t n;
  if (!sameLengthFloats(env, argv, argc, 3, a, &n)) return fail(env, "swiglu: expected three Float32Arrays of one length (gate, up, y)");
  aya::swiglu(static_cast<int64_t>(n), a[0], a[1], a[2]);
  return nullptr;
}

napi_value SwigluGrad(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* a[5];
  size_t n;
  if (!sameLengthFloats(env, argv, argc, 5, a, &n)) return fail(env, "swigluGrad: expected five Float32Arrays of one length (gate, up, dy, dgate, dup)");
  aya::swigluGrad(static_cast<int64_t>(n), a[0], a[1], a[2], a[3], a[4]);
  return nullptr;
}

napi_value ScaledBiasedSoftmax(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* a[3];
  size_t l[3];
  int64_t dims[5];
  double scale;
  bool ok = argc == 9 && floatArgs(env, argv, 3, a, l) && napi_get_value_double(env, argv[8], &scale) == napi_ok;
  for (int i = 0; ok && i < 5; ++i) ok = integer(env, argv[3 + i], &dims[i]);
  if (ok) {
    const int64_t n = dims[0] * dims[1] * dims[2] * dims[3];
    ok = (dims[4] == 1 || dims[4] == dims[0]) && static_cast<int64_t>(l[0]) >= n && static_cast<int64_t>(l[2]) >= n &&
         static_cast<int64_t>(l[1]) >= dims[4] * dims[2] * dims[3];
  }
  if (!ok) return fail(env, "scaledBiasedSoftmax: expected (Float32Array scores, bias, y, batch, heads, rows, cols, biasBatch of 1 or batch, scale)");
  withPool([&](aya::ThreadPool& tp) { aya::scaledBiasedSoftmax(dims[0], dims[1], dims[2], dims[3], a[0], a[1], dims[4], static_cast<float>(scale), a[2], tp); });
  return nullptr;
}

napi_value ScaledSoftmaxGrad(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* a[3];
  size_t l[3];
  int64_t rows, cols;
  double scale;
  if (argc != 6 || !floatArgs(env, argv, 3, a, l) || !integer(env, argv[3], &rows) || !integer(env, argv[4], &cols) ||
      napi_get_value_double(env, argv[5], &scale) != napi_ok || static_cast<int64_t>(std::min({l[0], l[1], l[2]})) < rows * cols)
    return fail(env, "scaledSoftmaxGrad: expected (Float32Array y, dy, ds, rows, cols, scale)");
  withPool([&](aya::ThreadPool& tp) { aya::scaledSoftmaxGrad(rows, cols, a[0], a[1], static_cast<float>(scale), a[2], tp); });
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t n;
  if (argc != 1 || !integer(env, argv[0], &n) || n < 1 || n > 256) return fail(env, "setThreads: expected a thread count from 1 to 256");
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
