"""The seeded-fixture loader: puts the cast of the videos on a target through the REST API, and takes it away.

Everything it creates carries the run tag (collection, role and policy names, user emails), so it never touches
pre-existing data, two runs against one server do not collide, and `clean` finds exactly what a seed created, even a
seed that stopped half-way. Seeding converges: run it twice with one tag and the second run only fills the gaps.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from conformance.access import AccessModel, Names, access_model, find, member_rules, writes_held_to_the_caller
from conformance.admin import Admin
from conformance.cast import ROLES, Cast, Persona
from conformance.errors import ConfigError
from conformance.redaction import register_secret

TAG_PATTERN = re.compile(r"^[a-z0-9]{4,16}$")
DEFAULT_FIXTURE = "cast.yaml"


def new_run_tag() -> str:
    return "dc" + secrets.token_hex(3)


def check_run_tag(tag: str) -> str:
    if not TAG_PATTERN.match(tag):
        raise ConfigError(f"run tag {tag!r} must be 4 to 16 lower-case letters or digits")
    return tag


def load_fixture(path: Path | None = None) -> dict[str, Any]:
    """The cast, from the packaged `fixtures/cast.yaml` or a user's file in the same format (a ConfigError, in one
    line, when that file cannot be read as a cast)."""
    if path is None:
        return dict(yaml.safe_load((files("conformance") / "fixtures" / DEFAULT_FIXTURE).read_text()))
    try:
        cast = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ConfigError(f"--fixture-file {path}: cannot read it ({error.strerror or error})") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"--fixture-file {path}: not YAML ({' '.join(str(error).split())})") from error
    if not isinstance(cast, dict) or not isinstance(cast.get("users"), list) or not isinstance(cast.get("posts"), list):
        raise ConfigError(f"--fixture-file {path}: not a cast (users and posts, in the format of fixtures/cast.yaml)")
    members = {user.get("key") for user in cast["users"] if isinstance(user, dict) and user.get("role") == "member"}
    roles = cast["roles"] if isinstance(cast.get("roles"), dict) else {}
    miscast = [role for role in ROLES if roles.get(role) not in members]
    if miscast:
        raise ConfigError(
            f"--fixture-file {path}: roles: must name a member (a user with role: member) for each of "
            f"{', '.join(miscast)}, as fixtures/cast.yaml does"
        )
    return cast


def run_label(tag: str) -> str:
    """The name (a flow's, a share's) or title (a file's) of what a check makes beyond the seed: what `clean` finds
    it by."""
    return f"conformance {tag}"


def tagged_email(email: str, tag: str) -> str:
    local, domain = email.split("@", 1)
    return f"{local}+{tag}@{domain}"


class Loader:
    """Applies and removes a fixture on one target with an admin credential."""

    def __init__(self, admin: Admin, fixture: dict[str, Any], run_tag: str) -> None:
        self.admin = admin
        self.fixture = fixture
        self.tag = check_run_tag(run_tag)
        self.collection = f"{fixture['collection']}_{run_tag}"
        self.names = Names(
            tag=run_tag,
            collection=self.collection,
            member_role=f"{fixture['member_role']} {run_tag}",
            member_policy=f"{fixture['member_policy']} {run_tag}",
            admin_role=f"{fixture['admin_role']} {run_tag}",
            admin_policy=f"{fixture['admin_policy']} {run_tag}",
            tfa=f"TFA self-service {run_tag}",
            share_reader=f"Share reader {run_tag}",
        )
        self._access: AccessModel | None = None

    @property
    def access(self) -> AccessModel:
        """The target's access model, chosen from its version before anything is written."""
        if self._access is None:
            self._access = access_model(self.admin, self.names, self.admin.facts())
        return self._access

    # --- seed ------------------------------------------------------------------------------------------------------

    def seed(self) -> Cast:
        self.admin.verify()
        facts = self.admin.facts()
        self._access = access_model(self.admin, self.names, facts)
        self._ensure_collection()
        member_role_id, skip_reason = self.access.member_role(
            member_rules(self.names, self.fixture["member_permissions"]), facts
        )
        admin_role_id = self.access.admin_role()
        personas = {
            user["key"]: self._ensure_user(user, admin_role_id if user["role"] == "admin" else member_role_id)
            for user in self.fixture["users"]
        }
        posts, titles, canaries = self._ensure_posts(personas)
        tfa_grant = None if skip_reason else self.access.tfa_grant()
        share_reader_role = self.access.share_reader_role(self.collection)
        member_policy = self.names.member_policy if facts.has_policies else None
        return Cast(
            run_tag=self.tag,
            collection=self.collection,
            member_role=self.names.member_role,
            member_role_id=member_role_id,
            member_policy=member_policy,
            personas=personas,
            posts=posts,
            facts=facts,
            roles=dict(self.fixture["roles"]),
            custom_rules_unavailable=skip_reason,
            titles=titles,
            tfa_grant=tfa_grant,
            share_reader_role=share_reader_role,
            hidden_field=self.fixture.get("hidden_field"),
            canaries=canaries,
            own_writes=writes_held_to_the_caller(self.fixture["member_permissions"]),
        )

    def _ensure_collection(self) -> None:
        existing = self.admin.call("GET", "/collections", action="list collections") or []
        if any(c["collection"] == self.collection for c in existing):
            return
        self.admin.call(
            "POST",
            "/collections",
            action=f"create collection {self.collection}",
            json={
                "collection": self.collection,
                "schema": {},
                "meta": {"note": f"directus-conformance run {self.tag}"},
                "fields": [
                    {
                        "field": "id",
                        "type": "integer",
                        "meta": {"hidden": True},
                        "schema": {"is_primary_key": True, "has_auto_increment": True},
                    },
                    *({"field": name, "type": "string", "meta": {}, "schema": {}} for name in self._text_fields()),
                ],
            },
        )
        self.admin.call(
            "POST",
            f"/fields/{self.collection}",
            action="create field author",
            json={
                "field": "author",
                "type": "uuid",
                "meta": {"special": ["m2o"], "interface": "select-dropdown-m2o"},
                "schema": {},
            },
        )
        self.admin.call(
            "POST",
            "/relations",
            action="create relation author → directus_users",
            json={
                "collection": self.collection,
                "field": "author",
                "related_collection": "directus_users",
                "schema": {"on_delete": "SET NULL"},
            },
        )

    def _text_fields(self) -> list[str]:
        """The posts' string fields: the title, and the hidden field if the fixture names one."""
        return ["title", *([self.fixture["hidden_field"]] if self.fixture.get("hidden_field") else [])]

    def _ensure_user(self, user: dict[str, Any], role_id: str | None) -> Persona:
        """Create the user, or converge an existing one (a new password: passwords are never stored)."""
        email = tagged_email(user["email"], self.tag)
        password = secrets.token_urlsafe(18)
        static_token = f"dc-{self.tag}-{secrets.token_urlsafe(24)}"
        register_secret(password, static_token)
        payload = {
            "email": email,
            "password": password,
            "role": role_id,
            "first_name": user["first_name"],
            "last_name": f"({self.tag})",
            "status": "active",
            "token": static_token,
        }
        found = find(self.admin, "/users", email=email)
        if found:
            user_id = str(found[0]["id"])
            self.admin.call("PATCH", f"/users/{user_id}", action=f"update user {email}", json=payload)
        else:
            user_id = str(self.admin.call("POST", "/users", action=f"create user {email}", json=payload)["id"])
        return Persona(
            user["key"], user["first_name"], email, password, user_id, user.get("role") == "admin", static_token
        )

    def _ensure_posts(
        self, personas: dict[str, Persona]
    ) -> tuple[dict[str, list[int]], dict[int, str], dict[int, str]]:
        """Each post of the fixture by its author, with its hidden field's canary (kept when the post has one):
        the posts by persona, the titles and the canaries by post id."""
        existing = {p["title"]: p for p in self.admin.get(f"/items/{self.collection}", limit=-1) or []}
        posts: dict[str, list[int]] = {key: [] for key in personas}
        titles: dict[int, str] = {}
        canaries: dict[int, str] = {}
        hidden = self.fixture.get("hidden_field")
        for post in self.fixture["posts"]:
            author = personas[post["author"]]
            item = existing.get(post["title"])
            payload = {"title": post["title"], "author": author.id}
            if hidden:
                payload[hidden] = (item or {}).get(hidden) or f"canary{secrets.token_hex(6)}"
            if item is None:
                item = self.admin.call("POST", f"/items/{self.collection}", action="create post", json=payload)
            elif any(item.get(key) != value for key, value in payload.items()):
                item = self.admin.call(
                    "PATCH", f"/items/{self.collection}/{item['id']}", action="fix post", json=payload
                )
            assert item is not None
            posts[post["author"]].append(int(item["id"]))
            titles[int(item["id"])] = post["title"]
            if hidden:
                canaries[int(item["id"])] = payload[hidden]
        return posts, titles, canaries

    def give_grant(self, user_id: str, grant: str) -> None:
        self.access.give_grant(user_id, grant)

    def create_throwaway(self, role_id: str | None) -> Persona:
        """A member nobody else uses, for checks that change a user's state (static token, status, TFA, password);
        with no role (None), a user whose access is only what a check attaches to them."""
        key = f"throwaway{secrets.token_hex(4)}"
        return self._ensure_user({"key": key, "first_name": "Throwaway", "email": f"{key}@example.com"}, role_id)

    def find_user(self, email: str) -> dict[str, str] | None:
        """The user with this email as the admin sees it (id, status), or None."""
        found = self.admin.get("/users", limit=1, fields="id,status", **{"filter[email][_eq]": email})
        return dict(found[0]) if found else None

    def delete_user_with(self, email: str) -> None:
        """Delete whoever has this email, if anybody does (what an invitation or a registration made of it)."""
        user = self.find_user(email)
        if user is not None:
            self.delete_user(user["id"])

    def delete_user(self, user_id: str) -> None:
        self.admin.call("DELETE", f"/users/{user_id}", action="delete throwaway user")

    # --- clean -----------------------------------------------------------------------------------------------------

    def clean(self) -> list[str]:
        """Remove everything carrying this run tag, in reverse dependency order; returns what was removed."""
        removed: list[str] = []
        for user in self._tagged_users():
            self.admin.call("DELETE", f"/users/{user['id']}", action=f"delete user {user['email']}")
            removed.append(f"user {user['email']}")
        removed += self.access.clean()
        removed += self._delete_labelled("/flows", "name", "flow")  # its operations go with it
        removed += self._delete_labelled("/files", "title", "file")
        removed += self._delete_labelled("/shares", "name", "share")
        collections = self.admin.call("GET", "/collections", action="list collections") or []
        if any(c["collection"] == self.collection for c in collections):
            self.admin.call("DELETE", f"/collections/{self.collection}", action=f"delete collection {self.collection}")
            removed.append(f"collection {self.collection}")
        return removed

    def _delete_labelled(self, path: str, field: str, what: str) -> list[str]:
        label, removed = run_label(self.tag), []
        for item in find(self.admin, path, **{field: label}):
            self.admin.call("DELETE", f"{path}/{item['id']}", action=f"delete {what} {label}")
            removed.append(f"{what} {label}")
        return removed

    def _tagged_users(self) -> Iterator[dict[str, Any]]:
        suffix = f"+{self.tag}@"
        for user in self.admin.get("/users", limit=-1, fields="id,email", **{"filter[email][_contains]": suffix}):
            if suffix in (user.get("email") or ""):
                yield user
