"""Scale out on NATS JetStream: accept and publish at the edge, store in workers.

`route.ingest_batch` is the one call for every adapter: it stores at once without a
broker, and queues on the broker when `ALPR_BROKER_URL` is set (docs/scale-out.md).
"""
