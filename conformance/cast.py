"""The cast the checks receive: who is who, which posts are whose, and who plays each part a check asks for.

Checks ask for parts, never for names: `members.owner` (a member with posts of their own), `members.member`,
`members.reader` (a member with none). The cast file says who plays each (`roles:`), so a cast of other people works.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.admin import Facts

__all__ = ["ROLES", "Cast", "Members", "Persona"]

ROLES = ("owner", "member", "reader")
"""The parts: owner (a member with posts of their own, whose lists are compared with exactly those), member (a
member for the login and logout checks), reader (a member with no posts, on whom one check tries one wrong password
per run)."""


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    email: str
    password: str
    id: str
    is_admin: bool
    static_token: str


@dataclass(frozen=True)
class Cast:
    """The seeded cast, immutable: the names used on the target, the personas and their posts."""

    run_tag: str
    collection: str
    member_role: str
    member_role_id: str
    member_policy: str | None
    personas: dict[str, Persona]
    posts: dict[str, list[int]]
    facts: Facts
    roles: dict[str, str]  # part → persona key
    custom_rules_unavailable: str | None = None  # why the member rules ($CURRENT_USER) could not be set
    titles: dict[int, str] = field(default_factory=dict)
    tfa_grant: str | None = None
    share_reader_role: str | None = None  # a role nobody has that reads every field of the posts, to share with
    hidden_field: str | None = None  # a field of the posts members may not read (the cast file's hidden_field)
    canaries: dict[int, str] = field(default_factory=dict)  # post id → its hidden field's value
    own_writes: bool = False  # members write posts in their own name only (access.writes_held_to_the_caller)

    def playing(self, role: str) -> Persona:
        return self.personas[self.roles[role]]

    def posts_of(self, persona: Persona) -> list[int]:
        return self.posts[persona.key]

    def names(self) -> dict[str, Any]:
        """The names actually used on the target, for the report."""
        return {
            "run_tag": self.run_tag,
            "collection": self.collection,
            "member_role": self.member_role,
            "member_policy": self.member_policy,
            "emails": sorted(p.email for p in self.personas.values()),
        }

    @property
    def all_posts(self) -> list[int]:
        return sorted(post for ids in self.posts.values() for post in ids)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Cast:
        data = json.loads(text)
        data["personas"] = {k: Persona(**v) for k, v in data["personas"].items()}
        data["facts"] = Facts(**data["facts"])
        data["titles"] = {int(k): v for k, v in data["titles"].items()}
        data["canaries"] = {int(k): v for k, v in data["canaries"].items()}
        return cls(**data)


class Members:
    """Who a check logs in as, by part: a member of the seeded cast, or, in the read-only profile, the user's own
    account (--persona-email) in every part. Such checks only use and end tokens they created themselves."""

    def __init__(self, cast: Cast | None, own: Persona | None) -> None:
        self.cast, self.own = cast, own

    def _playing(self, role: str) -> Persona:
        if self.cast is not None:
            return self.cast.playing(role)
        if self.own is None:  # applicability.why_not skips such a check before it asks
            raise ValueError(f"no one plays {role}: the run has neither a cast nor a persona of the user's own")
        return self.own

    @property
    def owner(self) -> Persona:
        return self._playing("owner")

    @property
    def member(self) -> Persona:
        return self._playing("member")

    @property
    def reader(self) -> Persona:
        return self._playing("reader")
