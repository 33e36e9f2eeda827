;; stack_overflow: recurses without end; the wasm stack limit stops it (plugin_trap).
(module
  (func $down (param i32) (result i32) (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (i64.extend_i32_u (call $down (i32.const 0)))))
