"""pingan.analytics: incident-analysis and early-warning kernels (pure numpy/scipy, numba).

Trends (:mod:`.trends`), hot spots and kernel density (:mod:`.hotspots`), early warning
(:mod:`.warning`), the SaTScan-compatible space-time permutation scan (:mod:`.satscan`; its file
reader and command line, :mod:`.satscan_files`) and hot-spot forecasts with their backtest
(:mod:`.forecast`). Names are loaded lazily on first use
so that ``import pingan.analytics`` (and the scan command) stays fast: numba is imported only
by the scan when it runs, scipy submodules only by the kernels that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pingan.analytics.forecast import (
        BacktestResult,
        Forecaster,
        Grid,
        KDEForecaster,
        NaiveForecaster,
        SEPPForecaster,
        backtest,
        hit_rate_pai_pei,
    )
    from pingan.analytics.hotspots import (
        KnoxResult,
        RepeatSummary,
        fdr_bh,
        getis_ord_gi_star,
        gi_star_irregular,
        gi_star_pvalues,
        kde_exact,
        kde_grid,
        knox_test,
        near_repeat_table,
        repeat_addresses,
        spatial_weights,
    )
    from pingan.analytics.satscan import (
        SATSCAN_EARTH_RADIUS_KM,
        SatscanError,
        SpaceTimeData,
        space_time_permutation_scan,
    )
    from pingan.analytics.satscan_files import (
        SatscanParams,
        main,
        read_cas,
        read_geo,
        read_prm,
        run_satscan_prm,
    )
    from pingan.analytics.trends import (
        PERIODS,
        ChangeTest,
        CompStatRow,
        compstat_table,
        hour_dow_matrix,
        period_counts,
        period_start,
        poisson_change_test,
    )
    from pingan.analytics.warning import (
        AlarmResult,
        SeasonalBaseline,
        calibrate_threshold,
        detect,
        poisson_cusum,
        poisson_ewma,
    )

_WHERE: dict[str, str] = {
    "AlarmResult": "warning",
    "BacktestResult": "forecast",
    "ChangeTest": "trends",
    "CompStatRow": "trends",
    "Forecaster": "forecast",
    "Grid": "forecast",
    "KDEForecaster": "forecast",
    "KnoxResult": "hotspots",
    "NaiveForecaster": "forecast",
    "PERIODS": "trends",
    "RepeatSummary": "hotspots",
    "SATSCAN_EARTH_RADIUS_KM": "satscan",
    "SEPPForecaster": "forecast",
    "SatscanError": "satscan",
    "SatscanParams": "satscan_files",
    "SeasonalBaseline": "warning",
    "SpaceTimeData": "satscan",
    "backtest": "forecast",
    "calibrate_threshold": "warning",
    "compstat_table": "trends",
    "detect": "warning",
    "fdr_bh": "hotspots",
    "getis_ord_gi_star": "hotspots",
    "gi_star_irregular": "hotspots",
    "gi_star_pvalues": "hotspots",
    "hit_rate_pai_pei": "forecast",
    "hour_dow_matrix": "trends",
    "kde_exact": "hotspots",
    "kde_grid": "hotspots",
    "knox_test": "hotspots",
    "main": "satscan_files",
    "near_repeat_table": "hotspots",
    "period_counts": "trends",
    "period_start": "trends",
    "poisson_change_test": "trends",
    "poisson_cusum": "warning",
    "poisson_ewma": "warning",
    "read_cas": "satscan_files",
    "read_geo": "satscan_files",
    "read_prm": "satscan_files",
    "repeat_addresses": "hotspots",
    "run_satscan_prm": "satscan_files",
    "space_time_permutation_scan": "satscan",
    "spatial_weights": "hotspots",
}

__all__ = [
    "PERIODS",
    "SATSCAN_EARTH_RADIUS_KM",
    "AlarmResult",
    "BacktestResult",
    "ChangeTest",
    "CompStatRow",
    "Forecaster",
    "Grid",
    "KDEForecaster",
    "KnoxResult",
    "NaiveForecaster",
    "RepeatSummary",
    "SEPPForecaster",
    "SatscanError",
    "SatscanParams",
    "SeasonalBaseline",
    "SpaceTimeData",
    "backtest",
    "calibrate_threshold",
    "compstat_table",
    "detect",
    "fdr_bh",
    "getis_ord_gi_star",
    "gi_star_irregular",
    "gi_star_pvalues",
    "hit_rate_pai_pei",
    "hour_dow_matrix",
    "kde_exact",
    "kde_grid",
    "knox_test",
    "main",
    "near_repeat_table",
    "period_counts",
    "period_start",
    "poisson_change_test",
    "poisson_cusum",
    "poisson_ewma",
    "read_cas",
    "read_geo",
    "read_prm",
    "repeat_addresses",
    "run_satscan_prm",
    "space_time_permutation_scan",
    "spatial_weights",
]


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'pingan.analytics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"pingan.analytics.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
