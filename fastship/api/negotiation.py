"""Content negotiation without parsing ``Accept`` for a view with one renderer."""

from __future__ import annotations

from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation


class SingleRendererNegotiation(DefaultContentNegotiation):
    """A view with one renderer (JSON, every API view) answers with it.

    DRF parsed the ``Accept`` header of every request to choose among one
    renderer (a fortieth of a detail request), and answered 406 to a client
    that did not list JSON; now that client gets the JSON every other does.
    Views with several renderers (the schema) negotiate as before.
    """

    def select_renderer(  # type: ignore[override]
        self, request: Any, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        if len(renderers) == 1 and not format_suffix:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
