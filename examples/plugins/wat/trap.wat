;; trap: executes unreachable (plugin_trap).
(module

  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (unreachable)))
