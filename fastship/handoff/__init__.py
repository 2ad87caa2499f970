"""One hand-off from a request to Redis, for every kind of background work.

The caller only appends to a bounded in-process buffer (a full buffer drops
the item and counts it). One daemon thread per process takes batches (by size
or time, whichever first) and gives each to a sender: an RQ enqueue through a
Redis client of its own with short timeouts and no retries. After repeated
failures a circuit breaker opens for a while; batches that fail, or meet an
open breaker, go to a fallback and are counted. A fork starts afresh.

A sender may return a receipt: the batch then counts as pending until a
confirmer reports it stored. A batch whose job vanished (Redis restarted
empty) is sent again; one that failed for good, or is unconfirmed after
``confirm_seconds``, goes to the fallback. The counters always add up:
``buffered = stored + dropped + fallback_written + pending``.

Used by the request-log shipper (batches of records, stdout fallback, confirmed
stores) and by the notification hand-over (one job at a time; the fallback is a
warning, as the outbox relay sends the mail later).
"""

from fastship.handoff.buffer import BackgroundHandoff
from fastship.handoff.types import Confirmer, HandoffConfig, Record, Sender

__all__ = ["BackgroundHandoff", "Confirmer", "HandoffConfig", "Record", "Sender"]
