"""The Run: one option table for both command lines, resolved once (command line > environment > defaults), and
carried to xdist workers without its secrets."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.cli import parse
from conformance.errors import ConfigError
from conformance.options import OPTIONS, RUN, add_to_argparse, add_to_pytest
from conformance.run import Run

SECRETS = {
    "DIRECTUS_ADMIN_TOKEN": "admin-secret-1",
    "DIRECTUS_PERSONA_PASSWORD": "persona-secret-2",
    "DIRECTUS_SECRET": "signing-secret-3",
}


@pytest.mark.filterwarnings("ignore::pytest.PytestDeprecationWarning")  # pytest.Parser: built here as pytest would
def test_argparse_and_pytest_take_the_same_options_with_the_same_help() -> None:
    argparse_parser = argparse.ArgumentParser()
    add_to_argparse(argparse_parser, RUN)
    cli = {action.option_strings[0]: action.help for action in argparse_parser._actions if action.option_strings}
    pytest_parser = pytest.Parser()
    add_to_pytest(pytest_parser)
    plugin = {
        option.names()[0]: option.attrs()["help"] for option in pytest_parser.getgroup("directus-conformance").options
    }
    assert cli.keys() - {"-h"} == plugin.keys() == {option.flag for option in OPTIONS}
    assert all(cli[flag] == plugin[flag] for flag in plugin)


def test_a_max_wait_given_on_the_command_line_reaches_the_target() -> None:
    args = parse(["run", "--base-url", "https://cms.example.com", "--max-wait", "12", "--", "-k", "expired"])
    run = Run.resolve(vars(args), SECRETS)
    assert run.target is not None and run.target.max_wait_s == 12.0
    assert args.pytest_args == ["-k", "expired"]


def test_the_command_line_wins_over_the_environment_which_wins_over_defaults() -> None:
    env = {
        "DIRECTUS_URL": "https://env.example.com",
        "DIRECTUS_ADMIN_TOKEN": "from-env",
        "DIRECTUS_PERSONA_EMAIL": "e@x.io",
    }
    run = Run.resolve({"base_url": "https://cli.example.com", "profile": None}, env)
    assert run.target is not None and run.target.base_url == "https://cli.example.com"
    assert run.target.admin.token == "from-env"
    assert run.access == "full" and run.budget.name == "fast" and run.fail_on == "failures"
    assert run.persona is None  # an email without its password names no persona


@pytest.mark.parametrize("command", ["run", "matrix"])
def test_run_and_matrix_resolve_every_setting_the_suites_read(command: str) -> None:
    run = Run.resolve(vars(parse([command, "--generative-profile", "deep"])), {})
    assert (run.budget.name, run.access, run.persona, run.reports) == ("deep", "full", None, Path("reports"))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"run_tag": "Not A Tag"}, "run tag"),
        ({"baseline": "/nonexistent/matrix.json"}, "baseline"),
        ({"fixture_file": "/nonexistent/cast.yaml"}, "cannot read it"),
        ({"waivers": "/nonexistent/waivers.yaml"}, "waivers file"),
    ],
)
def test_a_bad_value_stops_the_run_at_resolution_in_one_line(given: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Run.resolve(given, {})


def test_a_worker_rebuilds_the_run_from_a_wire_form_that_holds_no_secret() -> None:
    given = {"base_url": "https://cms.example.com", "persona_email": "me@x.io", "max_wait": 7, "profile": "readonly"}
    run = Run.resolve(given, SECRETS)
    assert run.target is not None and run.target.signing_secret == SECRETS["DIRECTUS_SECRET"]
    wire = json.dumps(run.to_wire())
    assert not any(secret in wire for secret in SECRETS.values())
    assert Run.from_wire(json.loads(wire), {}, SECRETS) == run
    with_option = replace(run.target, admin=replace(run.target.admin, token="from-options"))
    assert Run.from_wire(json.loads(wire), {"admin_token": "from-options"}, SECRETS) == replace(run, target=with_option)


def test_checks_select_by_id_glob_or_by_the_advisory_a_check_names() -> None:
    run = Run.resolve({"checks": "UTILS-*, GHSA-g293-vf99-xv36"}, {})
    assert run.checks == ("UTILS-*", "GHSA-g293-vf99-xv36")
    assert run.selects("UTILS-HASH-NEEDS-AUTH", ())
    assert run.selects("GQL-AUTH-MUTATION-ONCE", ("api/x.ts", "GHSA-g293-vf99-xv36"))
    assert not run.selects("LOGIN-JSON", ("api/x.ts",))
    assert Run.resolve({}, {}).selects("LOGIN-JSON", ())
    assert Run.from_wire(run.to_wire(), {}, {}).checks == run.checks
