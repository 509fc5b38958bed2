"""Stored early warnings (风险预警): what raised them, their numbers, and their handling."""
