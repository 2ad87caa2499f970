"""Paged answers: keyset cursors, and the deprecated page numbers for one release.

Every list answers ``{"next", "previous", "results"}``: ``next`` and
``previous`` are links carrying an opaque ``cursor`` (signed, bound to the
list and its filters), and a ``Link`` header also names the ``first`` and the
``last`` page. Reading a page costs the same at any depth and for any number
of rows (:mod:`fastship.keyset`); nothing counts the rows.

``?page=N`` still works until :data:`SUNSET`, answered with ``count`` (exact
up to :data:`COUNT_CAP`; above, ``count`` is the cap and ``count_capped`` is
true), page links, and ``Deprecation``/``Sunset`` headers. Pages deeper than
the cap are refused: ``OFFSET`` reads every row before the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

from django.core import signing
from django.utils.http import http_date
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from fastship.api.base import SharedFieldsSerializer
from fastship.keyset import KeysetSource, Position

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
COUNT_CAP = 10_000
# ?page= was deprecated with this release and goes after the next one.
DEPRECATED_SINCE = datetime(2026, 12, 7, tzinfo=UTC)
SUNSET = datetime(2027, 3, 1, tzinfo=UTC)
CHANGELOG_URL = "/docs"  # the API description explains the change
PAGING = ("cursor", "page", "page_size")
_SALT = "fastship.cursor:"
_CURSOR_VERSION = 1


class PageParameters(SharedFieldsSerializer):
    """The query parameters of every paged list (a view's filters extend it)."""

    cursor = serializers.CharField(
        required=False,
        max_length=512,
        help_text="Where to continue: the `cursor` of a `next` or `previous` link.",
    )
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        required=False,
        help_text=f"Items per page (default {DEFAULT_PAGE_SIZE}, at most "
        f"{MAX_PAGE_SIZE}).",
    )
    page = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Deprecated until 2027-03-01: follow `next` instead. Pages "
        f"reach the first {COUNT_CAP:,} items.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "cursor" in attrs and "page" in attrs:
            raise ValidationError(
                {"page": ["Give a cursor or a page number, not both."]},
                code="invalid",
            )
        return attrs


def page_serializer(name: str, item: type[serializers.Serializer], doc: str) -> type:
    """The schema of one page of ``item`` (what :func:`paged_response` answers)."""
    fields = {
        "next": serializers.URLField(
            allow_null=True, help_text="The next page, or null at the end."
        ),
        "previous": serializers.URLField(
            allow_null=True, help_text="The page before, or null at the start."
        ),
        "results": item(many=True),
        "count": serializers.IntegerField(
            required=False,
            help_text=f"Only with the deprecated `page`: exact up to {COUNT_CAP:,}.",
        ),
        "count_capped": serializers.BooleanField(
            required=False,
            help_text="Only with the deprecated `page`: true when there are more "
            f"than {COUNT_CAP:,} (`count` is then the cap).",
        ),
        "__doc__": doc,
    }
    return type(name, (serializers.Serializer,), fields)


def paging_asked(params: Mapping[str, Any]) -> bool:
    """Whether the query names a cursor, a page or a page size."""
    return any(name in params for name in PAGING)


def whole_list_response(
    source: KeysetSource[Any], *, serialize: Callable[[list[Any]], Any]
) -> Response:
    """The bare array a list answered before it had pages: deprecated, and
    bounded (the first COUNT_CAP items). Ask for a page size to get pages."""
    rows = source.window(after=None, backwards=False, limit=COUNT_CAP)
    return deprecated(Response(serialize(rows)))


def deprecated(response: Response) -> Response:
    """Mark an answer given the old way (RFC 9745 and RFC 8594 headers)."""
    response["Deprecation"] = f"@{int(DEPRECATED_SINCE.timestamp())}"
    response["Sunset"] = http_date(SUNSET.timestamp())
    response["Link"] = f'<{CHANGELOG_URL}>; rel="deprecation"'
    return response


def list_scope(name: str, filters: Mapping[str, Any]) -> str:
    """What a cursor is bound to: the list's name and its filters' values."""
    shown = {
        key: value.isoformat() if isinstance(value, datetime) else str(value)
        for key, value in sorted(filters.items())
        if key not in PAGING
    }
    return f"{name}?{urlencode(shown)}"


def paged_response(
    request: Request,
    source: KeysetSource[Any],
    *,
    params: Mapping[str, Any],
    scope: str,
    serialize: Callable[[list[Any]], Any],
) -> Response:
    """One page of ``source`` as the query ``params`` ask (cursor or page number)."""
    size = int(params.get("page_size") or DEFAULT_PAGE_SIZE)
    if "page" in params:
        return _numbered_page(request, source, int(params["page"]), size, serialize)
    after, backwards = None, False
    if "cursor" in params:
        after, backwards = cursor_decode(str(params["cursor"]), scope=scope)
    fetched = source.window(after=after, backwards=backwards, limit=size + 1)
    rows, more = fetched[:size], len(fetched) > size
    if backwards:
        rows.reverse()

    base = _url(request, cursor=None)
    joiner = "&" if "?" in base else "?"

    def link(position: Position | None, towards_start: bool) -> str:
        if position is None:  # the last page's cursor: the same for the scope
            cursor = _last_page_cursor(scope)
        else:
            cursor = cursor_encode(position, towards_start, scope=scope)
        return f"{base}{joiner}cursor={quote(cursor, safe=':')}"

    next_url = previous_url = None
    if rows:
        first, last = source.position(rows[0]), source.position(rows[-1])
        if more if not backwards else after is not None:
            next_url = link(last, False)
        if more if backwards else after is not None:
            previous_url = link(first, True)
    elif after is not None:  # beyond either end: the way back
        if backwards:
            next_url = link(after, False)
        else:
            previous_url = link(after, True)
    response = Response(
        {"next": next_url, "previous": previous_url, "results": serialize(rows)}
    )
    links = [(next_url, "next"), (previous_url, "prev")]
    links += [(base, "first"), (link(None, True), "last")]
    response["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links if url)
    return response


def cursor_encode(position: Position | None, backwards: bool, *, scope: str) -> str:
    """An opaque cursor: a signed (version, timestamp, key, direction)."""
    payload = [
        _CURSOR_VERSION,
        position.at.isoformat() if position else None,
        str(position.key) if position else None,
        int(backwards),
    ]
    return signing.dumps(payload, salt=_SALT + scope, compress=False)


@lru_cache(maxsize=4096)
def _last_page_cursor(scope: str) -> str:
    return cursor_encode(None, True, scope=scope)


def cursor_decode(text: str, *, scope: str) -> tuple[Position | None, bool]:
    """The position and direction of a cursor made for this list and filters.

    A forged, damaged or foreign cursor (another list, other filters, an old
    format, a rotated secret) is a 400 on ``cursor``, never a 500.
    """
    try:
        payload = signing.loads(text, salt=_SALT + scope)
        version, at, key, backwards = payload
        if version != _CURSOR_VERSION or backwards not in (0, 1):
            raise ValueError("unknown cursor version")
        position = None
        if at is not None or key is not None:
            moment = datetime.fromisoformat(at)
            if moment.tzinfo is None or not isinstance(key, str):
                raise ValueError("a cursor's time has a zone and its key is text")
            position = Position(moment, key)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise ValidationError(
            {
                "cursor": [
                    "This cursor is not valid for this list and these filters; "
                    "start again from the first page."
                ]
            },
            code="invalid_cursor",
        ) from error
    return position, bool(backwards)


def _url(request: Request, **replace: Any) -> str:
    url = remove_query_param(request.build_absolute_uri(), "page")
    for key, value in replace.items():
        url = (
            remove_query_param(url, key)
            if value is None
            else replace_query_param(url, key, value)
        )
    return url


def _numbered_page(
    request: Request,
    source: KeysetSource[Any],
    number: int,
    size: int,
    serialize: Callable[[list[Any]], Any],
) -> Response:
    """The deprecated ``?page=N``: within the first COUNT_CAP items only."""
    offset = (number - 1) * size
    if offset + size > COUNT_CAP:
        raise ValidationError(
            {
                "page": [
                    f"Page numbers reach the first {COUNT_CAP:,} items; follow the "
                    "`next` links (cursors) to go further."
                ]
            },
            code="page_too_deep",
        )
    total = source.count(limit=COUNT_CAP + 1)
    if offset and offset >= total:
        raise NotFound("Invalid page.")
    rows = source.offset_page(offset=offset, limit=size)
    url = request.build_absolute_uri()
    more = offset + size < min(total, COUNT_CAP)
    next_url = replace_query_param(url, "page", number + 1) if more else None
    previous_url = None
    if number == 2:
        previous_url = remove_query_param(url, "page")
    elif number > 2:
        previous_url = replace_query_param(url, "page", number - 1)
    return deprecated(
        Response(
            {
                "count": min(total, COUNT_CAP),
                "count_capped": total > COUNT_CAP,
                "next": next_url,
                "previous": previous_url,
                "results": serialize(rows),
            }
        )
    )
