"""The tariff engine, pure: (tariff, charging timeline, time zone) -> priced periods and totals."""
