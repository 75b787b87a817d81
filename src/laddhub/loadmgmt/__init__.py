"""The load allocator, pure: (site topology, sessions, signals) -> per-EVSE limits and schedules."""
