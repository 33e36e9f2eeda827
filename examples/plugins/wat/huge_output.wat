;; huge_output: claims 12 MiB of output; the output limit refuses it (plugin_output_too_large).
(module

  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (drop (memory.grow (i32.const 200))) (i64.const 12582912)))
