"""Every environment variable FastShip reads, declared once.

A variable is declared in a :class:`Group` (``fastship/config/runtime.py``,
``fastship/config/features.py``) with its type, its default (per environment
where they differ) and its help text. ``fastship/settings.py`` and
``docker/gunicorn.conf.py`` read values only through these declarations, and
``.env.example`` is generated from them (``python -m fastship.config``); a test
checks that the file is current.

An empty value means "unset": the default applies.
"""

from __future__ import annotations

import importlib
import ipaddress
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
ENVIRONMENTS = ("development", "production", "test")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
_UNSET: Any = object()


class Variable(Generic[T]):
    """One environment variable: how to parse it, its default and its help."""

    def __init__(
        self,
        default: T,
        help: str,
        *,
        production: T = _UNSET,
        development: T = _UNSET,
        required_in_production: bool = False,
        secret: bool = False,
        minimum: float | None = None,
        example: str = "",
    ) -> None:
        self.name = ""
        self.default = default
        self.help = help
        self.required_in_production = required_in_production
        self.secret = secret
        self.minimum = minimum
        self.example = example
        self._by_environment = {
            key: value
            for key, value in (("production", production), ("development", development))
            if value is not _UNSET
        }

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def default_in(self, environment: str) -> T:
        return self._by_environment.get(environment, self.default)

    def read(
        self,
        environ: Mapping[str, str],
        environment: str | None = None,
        *,
        default: T = _UNSET,
    ) -> T:
        """The value in ``environ``, else the default for ``environment``
        (when not given: ``environ``'s own ``DJANGO_ENV``, else development).

        ``default`` replaces the declared one where another variable decides it
        (the help text says so).
        """
        if environment is None:
            environment = environ.get("DJANGO_ENV", "").strip() or "development"
        raw = environ.get(self.name, "").strip()
        if not raw:
            if self.required_in_production and environment == "production":
                raise ImproperlyConfigured(
                    f"{self.name} is required in production (DJANGO_ENV=production)"
                    " (see .env.example)."
                )
            return self.default_in(environment) if default is _UNSET else default
        value = self.parse(raw)
        if self.minimum is not None and value < self.minimum:  # type: ignore[operator]
            raise ImproperlyConfigured(
                f"{self.name} must be at least {self.minimum}, got {value}"
            )
        return value

    def parse(self, raw: str) -> T:
        raise NotImplementedError

    def fail(self, expected: str, raw: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{self.name} must be {expected}, got {raw!r}")


class Text(Variable[str]):
    def parse(self, raw: str) -> str:
        return raw


class Choice(Variable[str]):
    def __init__(
        self, default: str, help: str, *, choices: tuple[str, ...], example: str = ""
    ) -> None:
        super().__init__(default, help, example=example)
        self.choices = choices

    def parse(self, raw: str) -> str:
        for choice in self.choices:
            if raw.lower() == choice.lower():
                return choice
        raise ImproperlyConfigured(
            f"{self.name} must be one of {', '.join(self.choices)}, got {raw!r}"
        )


class Bool(Variable[bool]):
    def parse(self, raw: str) -> bool:
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self.fail("a boolean (1/0, true/false)", raw)


class Int(Variable[int]):
    def parse(self, raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise self.fail("an integer", raw) from None


class Float(Variable[float]):
    def parse(self, raw: str) -> float:
        try:
            return float(raw)
        except ValueError:
            raise self.fail("a number", raw) from None


class List(Variable[list[str]]):
    """A comma-separated list."""

    def parse(self, raw: str) -> list[str]:
        return _split(raw)

    def default_in(self, environment: str) -> list[str]:
        return list(super().default_in(environment))


def _split(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Networks(Variable[list[Network]]):
    """A comma-separated list of networks (``10.0.0.0/16, 2001:db8::1``)."""

    def parse(self, raw: str) -> list[Network]:
        networks = []
        for item in _split(raw):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise self.fail(
                    "a list of networks such as 10.0.0.0/16", item
                ) from None
        return networks


GROUP_MODULES = ("fastship.config.runtime", "fastship.config.features")


class Group:
    """A titled group of variables; subclasses register in definition order."""

    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    registry: ClassVar[list[type[Group]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Group.registry.append(cls)

    @staticmethod
    def all() -> list[type[Group]]:
        """Every group: the runtime's first, each module's in definition order."""
        for module in GROUP_MODULES:
            importlib.import_module(module)
        return sorted(
            Group.registry,
            key=lambda group: (
                GROUP_MODULES.index(group.__module__),
                Group.registry.index(group),
            ),
        )

    @classmethod
    def variables(cls) -> list[Variable[Any]]:
        return [value for value in vars(cls).values() if isinstance(value, Variable)]


def every_variable() -> Iterator[Variable[Any]]:
    for group in Group.all():
        yield from group.variables()


def render_env_example() -> str:
    """The text of ``.env.example``: every group, every variable, its help."""
    lines = [
        "# FastShip configuration, generated from fastship/config/ by",
        "# `python -m fastship.config > .env.example` (a test checks it is current).",
        "# Copy to .env for development (read only when DJANGO_ENV=development); in",
        "# production every value comes from the environment (the ECS task",
        "# definition: secrets from Secrets Manager). Empty means unset: the default",
        "# applies.",
    ]
    for group in Group.all():
        lines += ["", f"# --- {group.title} ".ljust(84, "-")]
        lines += _comment(group.intro)
        for variable in group.variables():
            lines += _comment(f"{variable.help} {_default_text(variable)}")
            lines.append(f"{variable.name}={variable.example}")
    return "\n".join(lines) + "\n"


def _default_text(variable: Variable[Any]) -> str:
    """ "Default: 5." or "Default: on in production, off elsewhere." from the values."""

    def shown(value: Any) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, list):
            return ",".join(str(item) for item in value) or "none"
        return str(value)

    if variable.required_in_production:
        if variable.secret:
            return "Required in production; a development-only value elsewhere."
        other = shown(variable.default_in("development"))
        return f"Required in production; elsewhere {other}."
    values = {env: variable.default_in(env) for env in ENVIRONMENTS}
    if len({shown(value) for value in values.values()}) == 1:
        value = values["development"]
        if value in ("", [], None) or shown(value) == variable.example:
            return ""  # nothing, or what the line itself shows
        return f"Default: {shown(value)}."
    parts = [f"{shown(values[env])} in {env}" for env in ("production", "development")]
    if shown(values["test"]) not in (
        shown(values["production"]),
        shown(values["development"]),
    ):
        parts.append(f"{shown(values['test'])} in test")
    return "Default: " + ", ".join(parts) + "."


def _comment(text: str) -> list[str]:
    text = " ".join(text.split())
    return [f"# {line}" for line in textwrap.wrap(text, 82)] if text else []
