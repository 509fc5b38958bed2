"""Disputes (矛盾纠纷排查化解): cases, parties, mediation log, follow-ups and escalation risk."""
