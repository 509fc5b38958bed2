"""cameras domain: the camera registry (coverage and blind-spot siting come later)."""
