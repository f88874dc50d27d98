"""The cells of a matrix of embedded deployments: Directus versions by databases, each named the same wherever it
runs — in one `matrix` on one machine, or one CI job per cell whose matrix.json files `merge` joins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.embedded.lockfiles import refuse_unless_installable
from conformance.embedded.settings import DATABASES
from conformance.errors import ConfigError

__all__ = ["Deployment", "github_actions_matrix", "select"]


@dataclass(frozen=True)
class Deployment:
    version: str
    database: str = "sqlite"

    @property
    def key(self) -> str:
        """Its reports directory: `11.17.4`, or `11.17.4-postgres` on a database other than the default."""
        return self.version if self.database == "sqlite" else f"{self.version}-{self.database}"

    @property
    def name(self) -> str:
        """Its target name in matrix.json."""
        return f"directus-{self.key}"


def select(versions: str, databases: str) -> list[Deployment]:
    """`--versions 10.13.4,11.17.4 --databases sqlite,postgres` → the four cells, versions outermost; each version
    and database checked before anything is installed."""
    chosen_versions, chosen_databases = _split(versions), _split(databases)
    if not chosen_versions or not chosen_databases:
        raise ConfigError("give at least one version (--versions) and one database (--databases)")
    for version in chosen_versions:
        refuse_unless_installable(version)
    unknown = [database for database in chosen_databases if database not in DATABASES]
    if unknown:
        raise ConfigError(f"--databases {', '.join(unknown)}: choose from {', '.join(DATABASES)}")
    return [Deployment(version, database) for version in chosen_versions for database in chosen_databases]


def github_actions_matrix(deployments: list[Deployment]) -> dict[str, Any]:
    """The `strategy.matrix` of a GitHub Actions job running one cell each (`fromJSON` of this)."""
    return {
        "include": [{"name": cell.name, "version": cell.version, "database": cell.database} for cell in deployments]
    }


def _split(values: str) -> list[str]:
    return list(dict.fromkeys(value.strip() for value in values.split(",") if value.strip()))
