"""Volunteer patrol teams (群防群治): teams per community, members, shifts, check-in and out,
hours."""
