"""The RQ worker FastShip runs: survives Redis faults and keeps periodic work alive.

RQ's own worker quits on a Redis timeout or on an error while a job runs, is
not registered again in a Redis that restarted empty, and retries its
scheduler lock only every 10 minutes. Periodic jobs that reschedule themselves
die with the first lost job. This worker instead

- checks every few seconds (``PERIODIC_TICK_SECONDS``) which periodic jobs
  are due, from a marker key per job that expires after its period
  (``SET NX EX``): a finished, failed or lost run, a worker restart and an
  empty Redis all leave the next run due, and one worker of many enqueues it;
- registers itself again when its registration is gone, and restarts its
  scheduler process when it died, at the same tick;
- is run by :func:`worker_run_forever`, which starts a new worker after one
  that quit on a Redis error, with backoff, until it is asked to stop.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string
from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker, worker_registration
from rq.exceptions import StopRequested
from rq.worker import BaseWorker

from fastship import metric_series, tracing

logger = logging.getLogger(__name__)

PERIODIC_TICK_SECONDS = 5.0
PERIODIC_KEY_PREFIX = "fastship:periodic:"


@dataclass(frozen=True)
class PeriodicJob:
    """A job run every ``every_seconds`` on ``queue``: ``func`` is a dotted path."""

    name: str
    func: str
    every_seconds: int
    queue: str = "periodic"


def periodic_jobs_from_settings() -> list[PeriodicJob]:
    """Return ``settings.FASTSHIP_PERIODIC_JOBS`` as :class:`PeriodicJob` objects."""
    from django.conf import settings

    return [
        PeriodicJob(
            name=str(entry["name"]),
            func=str(entry["func"]),
            every_seconds=int(str(entry["every_seconds"])),
            queue=str(entry.get("queue", "periodic")),
        )
        for entry in settings.FASTSHIP_PERIODIC_JOBS
    ]


def periodic_jobs_enqueue_due(
    *, connection: Redis, owner: str, jobs: list[PeriodicJob]
) -> list[str]:
    """Enqueue every job in ``jobs`` whose marker key expired; return their names.

    ``owner`` (a worker's name) is stored in the marker, for whoever looks.

    The marker is set before the enqueue: two workers never both enqueue a
    run, and a crash in between skips one period rather than doubling it.
    """
    import django_rq

    enqueued = []
    for job in jobs:
        key = f"{PERIODIC_KEY_PREFIX}{job.name}"
        if not connection.set(key, owner, nx=True, ex=job.every_seconds):
            continue
        # The marker's connection: a run is enqueued where it was decided.
        queue = django_rq.get_queue(job.queue, connection=connection)
        queue.enqueue(
            import_string(job.func),
            job_id=f"periodic-{job.name}-{int(time.time())}",
            result_ttl=0,
            failure_ttl=24 * 3600,
            job_timeout=max(60, min(job.every_seconds, 3600)),
        )
        enqueued.append(job.name)
    return enqueued


class FastShipWorker(SimpleWorker):
    """RQ's worker plus a tick: periodic jobs, re-registration, scheduler restart.

    Jobs run in the worker's own process (RQ's ``SimpleWorker``): forking a
    work horse per job capped a worker at a few jobs a second. Every job
    FastShip runs is safe in-process: it loads rows by id, keeps no state, and
    its database connection is checked around it (``RequestBoundJob``); a
    job's timeout still interrupts it (SIGALRM). A killed worker loses only
    the job in hand, which its row's lease recovers.

    The queues are taken in turns (round robin): after a job from one queue,
    the next dequeue starts at the queue after it, so a flood of webhook
    deliveries cannot starve the request-log batches or the periodic jobs.
    """

    def reorder_queues(self, reference_queue: Any) -> None:
        position = self._ordered_queues.index(reference_queue)
        self._ordered_queues = (
            self._ordered_queues[position + 1 :] + self._ordered_queues[: position + 1]
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periodic_jobs = periodic_jobs_from_settings()
        self._next_tick = 0.0

    def perform_job(self, job: Any, queue: Any) -> bool:
        """Run the job, and count it with its time by queue (metric_series)."""
        started = time.perf_counter()
        succeeded = super().perform_job(job, queue)
        metric_series.job_done(
            queue.name,
            failed=not succeeded,
            milliseconds=(time.perf_counter() - started) * 1000,
        )
        return bool(succeeded)

    @property
    def dequeue_timeout(self) -> int:
        # Short blocking pops, so the tick runs every few seconds while idle.
        return int(PERIODIC_TICK_SECONDS)

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        super().heartbeat(timeout, pipeline)
        if pipeline is None and not self.is_horse:
            self.tick()
            if self._shutdown_requested_date is not None and not self._stop_requested:
                # Idle, RQ's signal handler raised StopRequested wherever the
                # worker was, and code in between (logging's emit, a broad
                # except) may have swallowed it: raise it again here, where
                # it reaches RQ's loop. (When busy, RQ sets _stop_requested
                # and stops after the job itself.)
                raise StopRequested

    def tick(self) -> None:
        """Run the periodic checks if ``PERIODIC_TICK_SECONDS`` have passed."""
        now = time.monotonic()
        if now < self._next_tick or _shutdown_was_requested(self):
            return  # a stopping worker must not start its scheduler again
        self._next_tick = now + PERIODIC_TICK_SECONDS
        self.register_again_if_forgotten()
        self.restart_scheduler_if_dead()
        try:
            enqueued = periodic_jobs_enqueue_due(
                connection=self.connection, owner=self.name, jobs=self.periodic_jobs
            )
        except (RedisError, StopRequested):
            # RQ's loop reconnects with backoff (or worker_run_forever does);
            # a SIGTERM that arrived during the tick is RQ's StopRequested,
            # raised from its signal handler: it must reach RQ's loop.
            raise
        except Exception:
            # A broken entry in FASTSHIP_PERIODIC_JOBS must not stop the worker.
            self.log.exception("Worker %s: periodic jobs not enqueued", self.name)
            return
        for name in enqueued:
            self.log.info("Worker %s: periodic job %s enqueued", self.name, name)

    def register_again_if_forgotten(self) -> None:
        """Register this worker again when Redis lost it (a restart, an eviction)."""
        connection = self.connection
        if connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key):
            return
        self.log.warning("Worker %s: registration lost; registering again", self.name)
        # A heartbeat after the loss re-created a partial hash: start clean.
        connection.delete(self.key)
        self.register_birth()
        self.set_state(self.get_state())

    def restart_scheduler_if_dead(self) -> None:
        """Take the scheduler locks and start the scheduler when none runs here.

        RQ retries this every 10 minutes; a dead worker's lock expires after
        about a minute, so retrying at every tick gets a new worker its
        scheduler within a minute of the old one's death.
        """
        scheduler = self.scheduler
        if scheduler is None:
            return
        process = scheduler._process
        if process is not None and process.is_alive():
            return
        scheduler.acquire_locks(auto_start=True)


def _shutdown_was_requested(worker: BaseWorker) -> bool:
    """True when the loop ended on SIGTERM/SIGINT, not on a fault.

    RQ records the time of a shutdown request; ``_stop_requested`` alone is
    set only when the signal came during a job (an idle worker raises
    ``StopRequested`` without it), so a plain ``docker stop`` looked like a
    fault and the worker started again.
    """
    return bool(worker._stop_requested or worker._shutdown_requested_date)


def worker_run_forever(queue_names: list[str], *, max_backoff: float = 30.0) -> None:
    """Run :class:`FastShipWorker` on ``queue_names``; start it again after a fault.

    RQ's work loop returns after a Redis timeout or an unexpected error, and
    raises when Redis drops at start-up. A SIGTERM or SIGINT ends the loop.
    """
    stop = {"requested": False}

    def request_stop(signum: int, frame: Any) -> None:
        stop["requested"] = True

    try:
        _work_until_stopped(queue_names, stop, request_stop, max_backoff)
    finally:
        metric_series.flush()  # what this process counted since the last write
        tracing.shutdown()  # and the spans still queued


def _work_until_stopped(
    queue_names: list[str],
    stop: dict[str, bool],
    request_stop: Any,
    max_backoff: float,
) -> None:
    import django_rq

    backoff = 1.0
    while not stop["requested"]:
        started = time.monotonic()
        worker: BaseWorker | None = None
        try:
            worker = django_rq.get_worker(
                *queue_names,
                worker_class=FastShipWorker,  # type: ignore[arg-type]
            )
            worker.work(with_scheduler=True, logging_level="INFO")
        except RedisError as error:
            logger.warning("worker could not start: %s", error)
        if worker is not None and _shutdown_was_requested(worker):
            return
        # RQ's handlers still point at the worker that quit: ours end the pause.
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        if time.monotonic() - started > 60:
            backoff = 1.0
        logger.warning("worker stopped on a fault; starting again in %.0f s", backoff)
        deadline = time.monotonic() + backoff
        while not stop["requested"] and time.monotonic() < deadline:
            time.sleep(0.2)
        backoff = min(backoff * 2, max_backoff)
