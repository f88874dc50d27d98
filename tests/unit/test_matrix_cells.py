"""The cells of a matrix of embedded deployments: their names, the refusals, the GitHub Actions job matrix."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.deployments import Deployment, github_actions_matrix, select
from conformance.errors import ConfigError


def test_versions_by_databases_are_the_cells_versions_outermost() -> None:
    cells = select("10.13.4, 11.17.4", "sqlite,postgres")
    assert cells == [
        Deployment("10.13.4", "sqlite"),
        Deployment("10.13.4", "postgres"),
        Deployment("11.17.4", "sqlite"),
        Deployment("11.17.4", "postgres"),
    ]
    assert [cell.name for cell in cells[:2]] == ["directus-10.13.4", "directus-10.13.4-postgres"]


@pytest.mark.parametrize(
    ("versions", "databases", "why"),
    [
        ("11.17.4", "oracle", "choose from sqlite, postgres, mariadb"),
        ("9.1.0", "sqlite", "from 10.0.0 on"),
        ("", "sqlite", "at least one"),
    ],
)
def test_a_cell_that_cannot_run_is_refused_before_any_runs(versions: str, databases: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        select(versions, databases)


def test_the_github_matrix_has_one_job_per_cell_named_as_locally() -> None:
    cells = select("11.17.4,12.0.2", "mariadb")
    jobs = github_actions_matrix(cells)["include"]
    assert [job["name"] for job in jobs] == [cell.name for cell in cells]
    assert jobs[1] == {"name": "directus-12.0.2-mariadb", "version": "12.0.2", "database": "mariadb"}


def test_the_command_prints_the_job_matrix_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["matrix", "--versions", "11.17.4,10.0.0", "--databases", "sqlite,mariadb", "--github-actions"])
    jobs = json.loads(capsys.readouterr().out)["include"]
    assert code == 0 and [job["name"] for job in jobs] == [
        "directus-11.17.4",
        "directus-11.17.4-mariadb",
        "directus-10.0.0",
        "directus-10.0.0-mariadb",
    ]
