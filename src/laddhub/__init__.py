"""Laddhub: an OCPI 2.2.1 node for CPOs and eMSPs."""

__version__ = "0.1.0"
