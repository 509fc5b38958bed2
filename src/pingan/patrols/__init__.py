"""Patrol plans (点线面): points, lines and areas per station and time block, generated
routes, planned against actual."""
