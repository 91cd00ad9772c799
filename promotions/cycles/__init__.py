"""Cycles: their plan and states (services), the calibration board and its page, statistics
with small groups suppressed, and the API over them."""
