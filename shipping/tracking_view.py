"""What the public tracking page shows: the journey as milestones, places named.

The page is rendered on the server (no script is needed to read it); a small
static script only turns the times into the viewer's own time zone and makes
the copy button work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shipping.models import Shipment
from shipping.selectors.shipments import TrackingRow

Status = Shipment.Status
JOURNEY = (Status.PLACED, Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY, Status.DELIVERED)

# Places we can name by their zip code (the rest are shown by the code alone).
PLACES = {
    "01067": "Dresden",
    "04109": "Leipzig",
    "10115": "Berlin",
    "20095": "Hamburg",
    "28195": "Bremen",
    "30159": "Hannover",
    "40213": "Düsseldorf",
    "50667": "Köln",
    "60311": "Frankfurt am Main",
    "70173": "Stuttgart",
    "80331": "München",
    "90402": "Nürnberg",
}

# What the banner says under the status, by status.
SUMMARY = {
    Status.PLACED: "The shop has handed the order to us; a courier picks it up next.",
    Status.IN_TRANSIT: "Your parcel is on its way.",
    Status.OUT_FOR_DELIVERY: (
        "Your parcel arrives today. The courier asks for the code from your mail."
    ),
    Status.DELIVERED: "Your parcel has been delivered.",
    Status.CANCELLED: "This shipment was cancelled and will not be delivered.",
}


def place(zip_code: str) -> str:
    """A place as people name it: "Hamburg (20095)", or the zip code alone."""
    city = PLACES.get(zip_code)
    return f"{city} ({zip_code})" if city else zip_code


@dataclass
class Milestone:
    label: str
    state: str  # "done", "current", "todo" or "skipped" (after a cancellation)
    at: datetime | None


def milestones(shipment: TrackingRow) -> list[Milestone]:
    """The four steps of a journey, each done, current or still to come; after
    a cancellation, done or skipped."""
    reached = {event.status: event.created_at for event in shipment.events}
    status = Status(shipment.status)

    def state(index: int, step: Status) -> str:
        if status == Status.CANCELLED:
            return "done" if step in reached else "skipped"
        current = JOURNEY.index(status)
        if index < current or step == status == Status.DELIVERED:
            return "done"
        return "current" if index == current else "todo"

    return [
        Milestone(str(step.label), state(index, step), reached.get(step))
        for index, step in enumerate(JOURNEY)
    ]


def tracking_context(shipment: TrackingRow) -> dict[str, object]:
    status = Status(shipment.status)
    return {
        "shipment": shipment,
        "milestones": milestones(shipment),
        "summary": SUMMARY[status],
        "finished": status in (Status.DELIVERED, Status.CANCELLED),
        "events": [
            {"event": event, "place": place(event.location_zip_code)}
            for event in reversed(shipment.events)
        ],
    }
