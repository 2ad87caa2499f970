"""Variables are declared once (fastship/config/) and read only through that."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from fastship.config import (
    Bool,
    Int,
    List,
    Networks,
    Text,
    every_variable,
    render_env_example,
)
from tests.servers import PROJECT_DIR


class Sample:
    X = Bool(False, "a flag")
    N = Int(1, "a count", minimum=1)
    L = List(["x"], "a list")
    NETS = Networks([], "networks")
    KEY = Text("dev", "a secret", required_in_production=True, secret=True)
    HSTS = Int(0, "per environment", production=31_536_000)


class TestTypedValues:
    def test_bool(self):
        """Booleans accept the usual words and refuse anything else."""
        assert Sample.X.read({"X": "yes"}) is True
        assert Bool(True, "").read({}) is True
        assert Sample.X.read({"X": "0"}) is False
        with pytest.raises(ImproperlyConfigured, match="X must be a boolean"):
            Sample.X.read({"X": "maybe"})

    def test_int_with_minimum(self):
        """Integers are parsed and bounded, naming the variable on error."""
        assert Sample.N.read({"N": "5"}) == 5
        with pytest.raises(ImproperlyConfigured, match="N must be at least 1"):
            Sample.N.read({"N": "0"})
        with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
            Sample.N.read({"N": "five"})

    def test_list(self):
        """Comma lists drop blanks and spaces; the default is a fresh copy."""
        assert Sample.L.read({"L": " a.com, ,b.com "}) == ["a.com", "b.com"]
        first = Sample.L.read({})
        first.append("changed")
        assert Sample.L.read({}) == ["x"]

    def test_networks(self):
        assert [
            str(n) for n in Sample.NETS.read({"NETS": "10.0.0.0/16, 2001:db8::1"})
        ] == [
            "10.0.0.0/16",
            "2001:db8::1/128",
        ]
        with pytest.raises(
            ImproperlyConfigured, match="NETS must be a list of networks"
        ):
            Sample.NETS.read({"NETS": "10.0.0.0/33"})

    def test_empty_means_unset(self):
        """An empty value (a line copied from .env.example) takes the default."""
        assert Sample.N.read({"N": "  "}) == 1
        assert Sample.L.read({"L": ""}) == ["x"]

    def test_defaults_per_environment_and_required_in_production(self):
        assert Sample.HSTS.read({}, "production") == 31_536_000
        assert Sample.HSTS.read({}, "development") == 0
        assert Sample.KEY.read({}, "development") == "dev"
        with pytest.raises(ImproperlyConfigured, match="KEY is required in production"):
            Sample.KEY.read({}, "production")

    def test_the_environment_defaults_to_the_environs_own(self):
        """A reader that names no environment gets DJANGO_ENV's defaults."""
        assert Sample.HSTS.read({"DJANGO_ENV": "production"}) == 31_536_000
        assert Sample.HSTS.read({"DJANGO_ENV": "test"}) == 0
        assert Sample.HSTS.read({}) == 0
        with pytest.raises(ImproperlyConfigured, match="KEY is required"):
            Sample.KEY.read({"DJANGO_ENV": "production"})


def test_env_example_is_generated_from_the_declarations():
    """`python -m fastship.config > .env.example` was run after the last change."""
    assert (PROJECT_DIR / ".env.example").read_text() == render_env_example()


def test_every_variable_has_help_and_a_unique_name():
    names = [variable.name for variable in every_variable()]
    assert len(names) == len(set(names)) > 50
    assert all(variable.help.strip() for variable in every_variable())


# Reading the environment by hand (os.environ.get, env.get, environ[...]).
HAND_READ = re.compile(r"""\b(?:os\.environ|env|environ)(?:\.get\(|\[)\s*["'][A-Z]""")


@pytest.mark.parametrize(
    "module", ["fastship/settings.py", "fastship/env.py", "docker/gunicorn.conf.py"]
)
def test_configuration_reads_variables_only_through_declarations(module):
    source = (PROJECT_DIR / module).read_text()
    assert HAND_READ.findall(source) == []
    # ...and every variable a module names is declared.
    declared = {variable.name for variable in every_variable()}
    named = set(re.findall(r"\.([A-Z][A-Z0-9_]{2,})\.read\(", source))
    assert named <= declared


def test_mailed_links_default_to_where_the_local_commands_serve():
    """One PUBLIC_BASE_URL default: the origin make run, make dev and make up print."""
    import yaml

    from fastship.config.runtime import Environment

    default = Environment.PUBLIC_BASE_URL.read({}, environment="development")
    makefile = (PROJECT_DIR / "Makefile").read_text()
    port = re.search(r"^PORT \?= (\d+)$", makefile, re.M)
    assert port is not None
    served = {
        f"http://{host}:{port[1]}"
        for host in re.findall(r"runserver (\S+):\$\(PORT\)", makefile)
    }
    assert served == {default}
    assert "PUBLIC_BASE_URL=http://127.0.0.1:$(PORT)" in makefile
    compose = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text())
    assert compose["x-app"]["environment"]["PUBLIC_BASE_URL"] == default
    published = compose["services"]["api"]["ports"]
    assert published == [f"{port[1]}:8000"]
