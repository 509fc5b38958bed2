"""Duty checklists: templates, station overrides, the daily scheduler and completion."""
