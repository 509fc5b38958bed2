"""The built-in scheduler: recurring work (escalation, the day's checklist tasks, warnings, the
weekly briefing, the audit anchor) runs inside ``pingan serve``, so nothing needs cron.

One leader across every worker process and machine holds a lease row in the database
(:mod:`pingan.scheduler.service`); every run is a row of ``scheduled_runs`` with its slot, so a
slot runs at most once even when two processes believe they lead. Administrators see the jobs and
their runs on ``/jobs`` and can run any of them now.
"""
