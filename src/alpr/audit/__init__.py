"""The tamper-evident audit log: append-only, hash-chained, verified by `alpr audit verify`."""
