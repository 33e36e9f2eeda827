;; endless_loop: never returns; the epoch deadline stops it (plugin_timeout).
(module

  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (loop $l (br $l)) (i64.const 0)))
