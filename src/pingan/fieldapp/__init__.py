"""The officer's phone (issue 24): the field app's server side — the unit an officer reports
positions for and his on-duty switch, and the generic ``Idempotency-Key`` replay store that
makes the app's offline queue safe to resend."""
