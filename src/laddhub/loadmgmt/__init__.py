"""The load allocator, pure: (site topology, sessions, signals) -> per-EVSE limits and schedules.

Typical use by the CPO node: load the site once (`site_from_yaml`), build a `LoadAllocator`, and on every
event or control step call `allocate` with the sessions, the grid signal, the latest meter readings and a
`DepartureModel` of the site's completed stays; send each EVSE's schedule with `schedule_to_profile` when
`needs_resend` says so, and check anything you like with the independent `audit`. Nothing here reads a
clock, a file or a socket.
"""

from laddhub.loadmgmt.allocator import (
    Allocation,
    AllocationRequest,
    AllocatorSettings,
    LimitReason,
    LoadAllocator,
    ScheduleSlot,
)
from laddhub.loadmgmt.audit import Violation, audit
from laddhub.loadmgmt.departures import CompletedStay, DepartureModel, DepartureOutlook
from laddhub.loadmgmt.profiles import ResendPolicy, needs_resend, schedule_to_profile
from laddhub.loadmgmt.sessions import ChargingPreferences, PriorityClass, PriorityPolicy, ProfileType, Session
from laddhub.loadmgmt.signals import (
    CapacityBlock,
    CapacityForecast,
    CapacityLimit,
    CapacitySignal,
    CapacitySource,
    MeterReading,
    PowerSample,
    PricePoint,
    PriceSeries,
    UsageBlock,
    build_usage_report,
)
from laddhub.loadmgmt.topology import ConstraintNode, CurrentType, Evse, PhaseLimits, Site, Wiring
from laddhub.loadmgmt.topology_loading import TopologyError, site_from_json, site_from_mapping, site_from_yaml

__all__ = [
    "Allocation",
    "AllocationRequest",
    "AllocatorSettings",
    "CapacityBlock",
    "CapacityForecast",
    "CapacityLimit",
    "CapacitySignal",
    "CapacitySource",
    "ChargingPreferences",
    "CompletedStay",
    "ConstraintNode",
    "CurrentType",
    "DepartureModel",
    "DepartureOutlook",
    "Evse",
    "LimitReason",
    "LoadAllocator",
    "MeterReading",
    "PhaseLimits",
    "PowerSample",
    "PricePoint",
    "PriceSeries",
    "PriorityClass",
    "PriorityPolicy",
    "ProfileType",
    "ResendPolicy",
    "ScheduleSlot",
    "Session",
    "Site",
    "TopologyError",
    "UsageBlock",
    "Violation",
    "Wiring",
    "audit",
    "build_usage_report",
    "needs_resend",
    "schedule_to_profile",
    "site_from_json",
    "site_from_mapping",
    "site_from_yaml",
]
