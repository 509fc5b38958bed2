"""Incident aggregates: counts of the incidents that analyses count, per finest jurisdiction
(the grid cell), subtype and local day (with the 24 local hours), and on a 25 m metric grid,
kept up to date as incidents are written; and a cache of the answers pages ask for."""
