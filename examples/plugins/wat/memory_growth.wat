;; memory_growth: grows its memory a page at a time for ever; the memory limit stops it (plugin_limit).
(module

  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (loop $l (drop (memory.grow (i32.const 16))) (br $l)) (i64.const 0)))
