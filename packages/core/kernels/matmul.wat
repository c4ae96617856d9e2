;; Batched f32 matrix products for the wasm backend's BatchMatMul (attention's QKᵀ and AV, and
;; their gradients), which the stock kernel runs in a naive loop when there is more than one
;; matrix. Compiled to kernels/matmul.wasm by scripts/build-kernels.mjs (wabt).
;; Pointers are byte offsets into the exported memory; sizes count values.
(module
  (memory (export "memory") 1)

  ;; c[t] = a[t·sa] · b[t·sb] for t < batch, row-major a [m, k], b [k, n], c [m, n] (sa, sb: values
  ;; between consecutive matrices, 0 to broadcast one). Four accumulators of 4 lanes cover 16
  ;; columns per pass over k; then 4 columns; then single columns.
  (func (export "bmm") (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $k i32) (param $n i32) (param $sa i32) (param $sb i32)
    (local $t i32) (local $i i32) (local $j i32) (local $p i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $rowA i32) (local $rowC i32) (local $col i32) (local $nb i32)
    (local $av v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $s f32)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (block $tdone (loop $tloop
      (br_if $tdone (i32.ge_u (local.get $t) (local.get $batch)))
      (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $t) (local.get $sa)) (i32.const 2))))
      (local.set $pb (i32.add (local.get $b) (i32.shl (i32.mul (local.get $t) (local.get $sb)) (i32.const 2))))
      (local.set $pc (i32.add (local.get $c) (i32.shl (i32.mul (local.get $t) (i32.mul (local.get $m) (local.get $n))) (i32.const 2))))
      (local.set $i (i32.const 0))
      (block $idone (loop $iloop
        (br_if $idone (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $rowA (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
        (local.set $rowC (i32.add (local.get $pc) (i32.mul (local.get $i) (local.get $nb))))
        (local.set $j (i32.const 0))
        ;; 16 columns at a time
        (block $j16done (loop $j16
          (br_if $j16done (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $n)))
          (local.set $c0 (v128.const i32x4 0 0 0 0)) (local.set $c1 (v128.const i32x4 0 0 0 0))
          (local.set $c2 (v128.const i32x4 0 0 0 0)) (local.set $c3 (v128.const i32x4 0 0 0 0))
          (local.set $col (i32.add (local.get $pb) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $pdone (loop $ploop
            (br_if $pdone (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $av (f32x4.splat (f32.load (i32.add (local.get $rowA) (i32.shl (local.get $p) (i32.const 2))))))
            (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $av) (v128.load align=4 (local.get $col)))))
            (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $av) (v128.load offset=16 align=4 (local.get $col)))))
            (local.set $c2 (f32x4.add (local.get $c2) (f32x4.mul (local.get $av) (v128.load offset=32 align=4 (local.get $col)))))
            (local.set $c3 (f32x4.add (local.get $c3) (f32x4.mul (local.get $av) (v128.load offset=48 align=4 (local.get $col)))))
            (local.set $col (i32.add (local.get $col) (local.get $nb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $ploop)))
          (local.set $col (i32.add (local.get $rowC) (i32.shl (local.get $j) (i32.const 2))))
          (v128.store align=4 (local.get $col) (local.get $c0))
          (v128.store offset=16 align=4 (local.get $col) (local.get $c1))
          (v128.store offset=32 align=4 (local.get $col) (local.get $c2))
          (v128.store offset=48 align=4 (local.get $col) (local.get $c3))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $j16)))
        ;; 4 columns at a time
        (block $j4done (loop $j4
          (br_if $j4done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
          (local.set $c0 (v128.const i32x4 0 0 0 0))
          (local.set $col (i32.add (local.get $pb) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $pdone4 (loop $ploop4
            (br_if $pdone4 (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $c0 (f32x4.add (local.get $c0)
              (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $rowA) (i32.shl (local.get $p) (i32.const 2))))) (v128.load align=4 (local.get $col)))))
            (local.set $col (i32.add (local.get $col) (local.get $nb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $ploop4)))
          (v128.store align=4 (i32.add (local.get $rowC) (i32.shl (local.get $j) (i32.const 2))) (local.get $c0))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $j4)))
        ;; remaining columns
        (block $j1done (loop $j1
          (br_if $j1done (i32.ge_u (local.get $j) (local.get $n)))
          (local.set $s (f32.const 0))
          (local.set $col (i32.add (local.get $pb) (i32.shl (local.get $j) (i32.const 2))))
          (local.set $p (i32.const 0))
          (block $pdone1 (loop $ploop1
            (br_if $pdone1 (i32.ge_u (local.get $p) (local.get $k)))
            (local.set $s (f32.add (local.get $s)
              (f32.mul (f32.load (i32.add (local.get $rowA) (i32.shl (local.get $p) (i32.const 2)))) (f32.load (local.get $col)))))
            (local.set $col (i32.add (local.get $col) (local.get $nb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $ploop1)))
          (f32.store (i32.add (local.get $rowC) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $j1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $iloop)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $tloop)))
  )
)
