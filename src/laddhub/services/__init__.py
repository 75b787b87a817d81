"""Use cases. Each takes a unit of work and returns domain objects; none knows about HTTP."""
