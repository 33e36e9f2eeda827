;; echo: returns its input JSON unchanged, and logs one line. The smallest plugin that keeps
;; the ABI (docs/plugins.md): memory, abi_version, alloc (a bump allocator that grows memory
;; when it must) and run, returning (ptr << 32) | len.
(module
  (import "baida" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "echo: called")
  (global $heap (mut i32) (i32.const 1024))
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32)
    (local $p i32) (local $end i32)
    (local.set $p (global.get $heap))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq
              (memory.grow (i32.div_u (i32.add (i32.sub (local.get $end) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65535)) (i32.const 65536)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (call $log (i32.const 1) (i32.const 16) (i32.const 12))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len)))))
