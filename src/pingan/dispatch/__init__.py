"""Dispatch (派警): assignments of units to incidents, their states, and the incident notes."""
