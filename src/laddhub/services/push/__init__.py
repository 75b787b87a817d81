"""Push delivery: the worker that drains the outbox written by `laddhub.services.publishing`.

`backoff` says how long to wait after a failure, `claims` leases due entries and records what became of
them, `delivery` performs one push, `worker` runs the loop, `wakeup` lets a commit that wrote to the outbox
start a delivery at once, and `status` answers `laddhub outbox ...`.
"""
