"""Rapid response (快反): the service that serves the 1-3-5 minute circles to users.

It loads units, key areas, premises and the road network from the store and calls the pure
kernels in :mod:`pingan.coverage` and :mod:`pingan.roads`: unit recommendations, 1-3-5 minute
coverage reports, the OGC coverage collections, siting runs and the map's road layer.
Layers: views → flows → service → data | schemas. Page: ``pingan.web.rapid_response``
(``/coverage``); CLI: ``pingan.commands.rapid_response`` (``pingan coverage``)."""
