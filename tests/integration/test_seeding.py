"""The cast on the real embedded Directus: who sees what, and nothing left behind after clean."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from conformance.admin import Admin
from conformance.cast import Cast
from conformance.client import DirectusClient, bearer
from conformance.embedded import EmbeddedDirectus
from conformance.seeding import Loader, load_fixture, run_label
from tests.target_state import snapshot


def visible_posts(client: DirectusClient, cast: Cast, key: str) -> tuple[int, list[int]]:
    persona = cast.personas[key]
    token = client.login(persona.email, persona.password).access_token
    assert token is not None
    response = client.request("GET", f"/items/{cast.collection}", headers=bearer(token))
    return response.status_code, sorted(p["id"] for p in response.json().get("data", []))


def test_seed_gives_each_persona_their_view_and_clean_restores_everything(client: DirectusClient, admin: Admin) -> None:
    before = snapshot(admin)
    loader = Loader(admin, load_fixture(), "seedview1")
    cast = loader.seed()
    assert {k: len(v) for k, v in cast.posts.items()} == {"kevin": 2, "beth": 1, "carmen": 1, "mike": 0}
    assert visible_posts(client, cast, "beth") == (200, cast.posts["beth"])
    assert visible_posts(client, cast, "carmen") == (200, cast.posts["carmen"])
    assert visible_posts(client, cast, "mike") == (200, [])
    assert visible_posts(client, cast, "kevin") == (200, cast.all_posts)
    assert client.request("GET", f"/items/{cast.collection}").status_code == 403
    assert all(p.email.endswith("+seedview1@example.com") for p in cast.personas.values())
    loader.clean()
    assert snapshot(admin) == before


def test_seeding_twice_converges(admin: Admin) -> None:
    before = snapshot(admin)
    loader = Loader(admin, load_fixture(), "converge1")
    first = loader.seed()
    after_first = snapshot(admin)
    second = loader.seed()
    assert snapshot(admin) == after_first
    assert second.posts == first.posts and {p.id for p in second.personas.values()} == {
        p.id for p in first.personas.values()
    }
    loader.clean()
    assert snapshot(admin) == before


def test_a_seed_killed_half_way_is_cleaned_completely(embedded: EmbeddedDirectus, admin: Admin) -> None:
    before = snapshot(admin)
    base_url, token = embedded.settings.base_url, embedded.settings.admin_token
    seed = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "seed", "--base-url", base_url, "--run-tag", "killed1"],
        env={"DIRECTUS_ADMIN_TOKEN": token, "PATH": "/usr/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not admin.get("/policies", **{"filter[name][_contains]": "killed1"}):
        time.sleep(0.05)
    seed.send_signal(signal.SIGKILL)
    seed.wait()
    assert snapshot(admin) != before, "the seed was killed before it wrote anything"
    Loader(admin, load_fixture(), "killed1").clean()
    assert snapshot(admin) == before


def test_two_concurrent_seeds_do_not_collide(client: DirectusClient, admin: Admin) -> None:
    before = snapshot(admin)
    loaders = [Loader(admin, load_fixture(), tag) for tag in ("paraa1", "parab1")]
    with ThreadPoolExecutor(2) as pool:
        casts = list(pool.map(lambda loader: loader.seed(), loaders))
    first, second = casts
    assert visible_posts(client, first, "beth") == (200, first.posts["beth"])
    assert visible_posts(client, second, "beth") == (200, second.posts["beth"])
    beth = first.personas["beth"]
    token = client.login(beth.email, beth.password).access_token
    assert token is not None
    assert client.request("GET", f"/items/{second.collection}", headers=bearer(token)).status_code == 403
    for loader in loaders:
        loader.clean()
    assert snapshot(admin) == before


def test_what_a_killed_check_leaves_is_cleaned_too(admin: Admin) -> None:
    """A run killed in the middle of a check leaves what the check made: a throwaway user holding a grant with a name
    of the check's own (an address-limited one), a flow with an operation, an uploaded file. Clean removes them."""
    before = snapshot(admin)
    loader = Loader(admin, load_fixture(), "leftover1")
    cast = loader.seed()
    grant = loader.access.address_limited_grant("ip-leftover1-0a1b2c", cast.collection, ["203.0.113.7"])
    loader.give_grant(loader.create_throwaway(None).id, grant)
    label = run_label(cast.run_tag)  # as the flow and file checks name what they make
    operation = {"key": "log", "name": "log", "type": "log", "position_x": 19, "position_y": 1, "options": {}}
    admin.call(
        "POST", "/flows", action="create a flow", json={"name": label, "trigger": "manual", "operations": [operation]}
    )
    admin.call("POST", "/files", action="upload a file", data={"title": label}, files={"file": ("x.txt", b"left")})
    loader.clean()
    assert snapshot(admin) == before
