"""Purpose-bound search of stored reads; every access audited in its own transaction."""
