"""Charger connectivity: the built-in charger simulator now, OCPP chargers later.

The pure parts (electrical limits, charging profiles, meter readings to charging periods, tariff choice,
reservation bookkeeping) have no I/O; `simulator` drives them from the node's database and clock.
"""
