"""Crime analysis (警情研判): the service that serves incident analysis to users.

It loads incidents in the caller's scope from the store and runs the pure kernels in
:mod:`pingan.analytics`: trends, hot spots, early warnings, the space-time scan, forecasts,
backtests and the weekly briefing. Layers: views | report → flows → service → data.
Page: ``pingan.web.crime_analysis`` (``/analysis``); CLI: ``pingan.commands.crime_analysis``
(``pingan analyze``, ``pingan report``)."""
