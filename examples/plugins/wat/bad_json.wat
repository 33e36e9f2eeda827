;; bad_json: returns bytes that are not UTF-8 (plugin_bad_output).
(module
  (data (i32.const 16) "\ff\fe{")
  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 3))))
