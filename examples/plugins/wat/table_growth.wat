;; table_growth: grows its table for ever; the table limit stops it (plugin_limit).
(module
  (table 1 funcref)
  (memory (export "memory") 1)
  (func (export "abi_version") (result i32) (i32.const 1))
  (func (export "alloc") (param $len i32) (result i32) (i32.const 1024))
  (func (export "run") (param i32 i32) (result i64) (loop $l (drop (table.grow (ref.null func) (i32.const 1000))) (br $l)) (i64.const 0)))
