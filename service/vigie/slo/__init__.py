"""The SLO engine: rollups of server spans, multiwindow multi-burn-rate evaluation, scheduling.

Pure core: :mod:`vigie.slo.windows` (alert pairs), :mod:`vigie.slo.decision` (counts → state).
I/O: :mod:`vigie.slo.counts` (a constant number of queries per cycle, SQL in
:mod:`vigie.slo.queries`), :mod:`vigie.slo.evaluator`, :mod:`vigie.slo.scheduler`,
:mod:`vigie.slo.series` (SLI time series for the API).
"""
