;; SIMD kernels of the streaming merge: bf16 <-> f32 conversion, y += a*x, and the same fused
;; with the bf16 conversions for linear combinations of bf16 tensors.
;; Compiled to kernels/merge.wasm by scripts/build-kernels.mjs at build time (wabt).
;; All pointers are byte offsets into the exported memory; n counts values.
(module
  (memory (export "memory") 1)

  ;; f32 bits -> bf16 bits, rounding to nearest even; NaN stays quiet NaN. The SIMD loops inline
  ;; the same expression on four lanes (bitselect of the NaN and the rounded forms).
  (func $round1 (param $x i32) (result i32)
    (if (result i32) (i32.gt_u (i32.and (local.get $x) (i32.const 0x7fffffff)) (i32.const 0x7f800000))
      (then (i32.or (i32.shr_u (local.get $x) (i32.const 16)) (i32.const 0x40)))
      (else (i32.shr_u
        (i32.add (i32.add (local.get $x) (i32.const 0x7fff)) (i32.and (i32.shr_u (local.get $x) (i32.const 16)) (i32.const 1)))
        (i32.const 16)))))

  ;; dst[i] = f32(src[i]) for bf16 src
  (func (export "bf16_to_f32") (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $v v128) (local $end i32) (local $d i32)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (local.get $d) (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)))
        (v128.store offset=16 align=1 (local.get $d) (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (i32.shl (i32.load16_u align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))) (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; dst[i] = bf16(src[i]) for f32 src
  (func (export "f32_to_bf16") (param $src i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $end i32) (local $s i32) (local $x0 v128) (local $x1 v128)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
          (i16x8.narrow_i32x4_u
            (block (result v128) (local.set $x0 (v128.load align=1 (local.get $s))) (v128.bitselect
            (v128.or (i32x4.shr_u (local.get $x0) (i32.const 16)) (i32x4.splat (i32.const 0x40)))
            (i32x4.shr_u
              (i32x4.add
                (i32x4.add (local.get $x0) (i32x4.splat (i32.const 0x7fff)))
                (v128.and (i32x4.shr_u (local.get $x0) (i32.const 16)) (i32x4.splat (i32.const 1))))
              (i32.const 16))
            (i32x4.gt_u (v128.and (local.get $x0) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))
            (block (result v128) (local.set $x1 (v128.load offset=16 align=1 (local.get $s))) (v128.bitselect
            (v128.or (i32x4.shr_u (local.get $x1) (i32.const 16)) (i32x4.splat (i32.const 0x40)))
            (i32x4.shr_u
              (i32x4.add
                (i32x4.add (local.get $x1) (i32x4.splat (i32.const 0x7fff)))
                (v128.and (i32x4.shr_u (local.get $x1) (i32.const 16)) (i32x4.splat (i32.const 1))))
              (i32.const 16))
            (i32x4.gt_u (v128.and (local.get $x1) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store16 align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
          (call $round1 (i32.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; y[i] = a * x[i] for f32 x, y
  (func (export "scale") (param $a f32) (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32) (local $va v128)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (v128.store align=1 (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.mul (local.get $va) (v128.load align=1 (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store align=1 (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul (local.get $a) (f32.load align=1 (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; y[i] += a * x[i] for f32 x, y
  (func (export "axpy") (param $a f32) (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32) (local $va v128) (local $px i32) (local $py i32)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $px (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $py (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (local.get $py)
          (f32x4.add (v128.load align=1 (local.get $py)) (f32x4.mul (local.get $va) (v128.load align=1 (local.get $px)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $px (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $py (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
        (f32.store align=1 (local.get $py) (f32.add (f32.load align=1 (local.get $py)) (f32.mul (local.get $a) (f32.load align=1 (local.get $px)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; (Helpers are inlined by hand in the loops below: Node's wasm compiler does not inline calls.)
  (func $bf16at (param $src i32) (param $i i32) (result f32)
    (f32.reinterpret_i32 (i32.shl (i32.load16_u align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))) (i32.const 16))))

  ;; y[i] = a * f32(src[i]) for bf16 src, f32 y
  (func (export "bf16_scale") (param $a f32) (param $src i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32) (local $va v128) (local $v v128) (local $py i32)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $py (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (local.get $py) (f32x4.mul (local.get $va) (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16))))
        (v128.store offset=16 align=1 (local.get $py) (f32x4.mul (local.get $va) (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store align=1 (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))
          (f32.mul (local.get $a) (call $bf16at (local.get $src) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; y[i] += a * f32(src[i]) for bf16 src, f32 y
  (func (export "bf16_axpy") (param $a f32) (param $src i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32) (local $va v128) (local $v v128) (local $py i32)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $py (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (local.get $py)
          (f32x4.add (v128.load align=1 (local.get $py)) (f32x4.mul (local.get $va) (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16)))))
        (v128.store offset=16 align=1 (local.get $py)
          (f32x4.add (v128.load offset=16 align=1 (local.get $py)) (f32x4.mul (local.get $va) (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $py (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
        (f32.store align=1 (local.get $py)
          (f32.add (f32.load align=1 (local.get $py)) (f32.mul (local.get $a) (call $bf16at (local.get $src) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; dst[i] = bf16(y[i] + a * f32(src[i])) for bf16 src and dst, f32 y: the last term of a sum, cast on the way out
  (func (export "bf16_axpy_out") (param $a f32) (param $src i32) (param $y i32) (param $dst i32) (param $n i32)
    (local $i i32) (local $end i32) (local $va v128) (local $v v128) (local $py i32) (local $x0 v128) (local $x1 v128)
    (local.set $va (f32x4.splat (local.get $a)))
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $v (v128.load align=1 (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $py (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
          (i16x8.narrow_i32x4_u
            (block (result v128) (local.set $x0 (f32x4.add (v128.load align=1 (local.get $py)) (f32x4.mul (local.get $va) (i32x4.shl (i32x4.extend_low_i16x8_u (local.get $v)) (i32.const 16))))) (v128.bitselect
            (v128.or (i32x4.shr_u (local.get $x0) (i32.const 16)) (i32x4.splat (i32.const 0x40)))
            (i32x4.shr_u
              (i32x4.add
                (i32x4.add (local.get $x0) (i32x4.splat (i32.const 0x7fff)))
                (v128.and (i32x4.shr_u (local.get $x0) (i32.const 16)) (i32x4.splat (i32.const 1))))
              (i32.const 16))
            (i32x4.gt_u (v128.and (local.get $x0) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))
            (block (result v128) (local.set $x1 (f32x4.add (v128.load offset=16 align=1 (local.get $py)) (f32x4.mul (local.get $va) (i32x4.shl (i32x4.extend_high_i16x8_u (local.get $v)) (i32.const 16))))) (v128.bitselect
            (v128.or (i32x4.shr_u (local.get $x1) (i32.const 16)) (i32x4.splat (i32.const 0x40)))
            (i32x4.shr_u
              (i32x4.add
                (i32x4.add (local.get $x1) (i32x4.splat (i32.const 0x7fff)))
                (v128.and (i32x4.shr_u (local.get $x1) (i32.const 16)) (i32x4.splat (i32.const 1))))
              (i32.const 16))
            (i32x4.gt_u (v128.and (local.get $x1) (i32x4.splat (i32.const 0x7fffffff))) (i32x4.splat (i32.const 0x7f800000)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $loop)))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store16 align=1 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 1)))
          (call $round1 (i32.reinterpret_f32
            (f32.add (f32.load align=1 (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2))))
              (f32.mul (local.get $a) (call $bf16at (local.get $src) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))
)
