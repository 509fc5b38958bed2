"""pingan.province: a province of cities on Parquet, analysed city by city or on Dask (issue 25).

``layout`` reads and writes the partitioned Parquet layout (``incidents/city=C/month=YYYY-MM``)
and the province manifest; ``analysis`` holds the per-partition maps, their reductions and the
per-city kernels (pure numpy on top of :mod:`pingan.analytics`); ``engine`` runs an analysis with
``local`` (a loop over cities in this process) or ``dask`` (a ``distributed`` cluster);
``results`` stores the answers that the ``/province`` page reads. No database, web or CLI
module is imported here.
"""
