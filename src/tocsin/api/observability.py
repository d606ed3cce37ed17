"""Prometheus metrics for the API, in a registry per app.

Each app gets its own `CollectorRegistry` (tests build many apps; the global one would
refuse the second). Incident counts are read from the database when Prometheus scrapes,
with one GROUP BY, so they are never stale and cost nothing between scrapes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tocsin.app.errors import StorageError
from tocsin.bootstrap import Tocsin, incident_counts
from tocsin.core.lifecycle import Status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    requests: Histogram


def new_metrics(tocsin: Tocsin) -> Metrics:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    registry.register(IncidentCollector(tocsin))
    registry.register(JobCollector(tocsin))
    requests = Histogram(
        "tocsin_http_request_duration_seconds",
        "HTTP requests by method, route template and status.",
        ["method", "route", "status"],
        registry=registry,
    )
    return Metrics(registry, requests)


class IncidentCollector(Collector):
    """`tocsin_incidents{status, severity}`, zero for every pair the config knows, and
    `tocsin_database_up`, 0 when the database did not answer the scrape."""

    def __init__(self, tocsin: Tocsin) -> None:
        self._tocsin = tocsin

    def describe(self) -> Iterator[Metric]:
        yield from _families()

    def collect(self) -> Iterator[Metric]:
        incidents, up = _families()
        try:
            found = incident_counts(self._tocsin)
        except StorageError:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        severities = [s.key for s in self._tocsin.incidents.severities.severities]
        counts = {(s.value, sev): 0 for s in Status for sev in severities} | found
        for (status, severity), n in sorted(counts.items()):
            incidents.add_metric([status, severity], n)
        up.add_metric([], 1)
        yield from (incidents, up)


def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
    incidents = GaugeMetricFamily(
        "tocsin_incidents", "Incidents by status and severity.", labels=["status", "severity"]
    )
    up = GaugeMetricFamily("tocsin_database_up", "1 if the last scrape could read the database.")
    return incidents, up


class JobCollector(Collector):
    """`tocsin_jobs{status}`: queued, running, done and dead jobs, read at scrape time (one
    GROUP BY). A dead job stays until retried: alert on `tocsin_jobs{status="dead"} > 0`."""

    def __init__(self, tocsin: Tocsin) -> None:
        self._tocsin = tocsin

    def describe(self) -> Iterator[Metric]:
        yield _jobs_family()

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self._tocsin.jobs.counts()
        except StorageError:
            log.warning("metrics: the jobs table did not answer", exc_info=True)
            return
        family = _jobs_family()
        for status, n in counts.items():
            family.add_metric([status.value], n)
        yield family


def _jobs_family() -> GaugeMetricFamily:
    return GaugeMetricFamily("tocsin_jobs", "Jobs by status.", labels=["status"])
