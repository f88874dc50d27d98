"""Who may do what, per Directus generation: policies (11+) or permissions held by roles (10.x).

The loader picks one from the target's facts before it writes anything: 11-style payloads sent to 10.x are accepted
and misbehave (a permission with `policy` becomes a *public* permission there), so the two never mix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from conformance.admin import Admin, Facts
from conformance.client import DirectusError


@dataclass(frozen=True)
class Names:
    """The run-tagged names of what the access model creates."""

    tag: str
    collection: str
    member_role: str
    member_policy: str
    admin_role: str
    admin_policy: str
    tfa: str
    share_reader: str


def find(admin: Admin, path: str, **filters: Any) -> list[dict[str, Any]]:
    params = {f"filter[{k}][_eq]": v for k, v in filters.items()}
    return list(admin.get(path, limit=-1, **params) or [])


def ensure(admin: Admin, path: str, name: str, payload: dict[str, Any]) -> str:
    """The id of the item called `name` under `path`, created with `payload` if missing."""
    found = find(admin, path, name=name)
    if found:
        return str(found[0]["id"])
    return str(
        admin.call("POST", path, action=f"create {path.strip('/')} {name}", json={"name": name, **payload})["id"]
    )


TFA_RULE = {
    "collection": "directus_users",
    "action": "update",
    "fields": ["tfa_secret"],
    "permissions": {"id": {"_eq": "$CURRENT_USER"}},
}


class AccessModel(ABC):
    """Member and admin roles, the member rules, a TFA self-service grant for throwaway users, and a share reader
    role."""

    def __init__(self, admin: Admin, names: Names) -> None:
        self.admin = admin
        self.names = names
        self.mark = f"run {names.tag}"
        """The description of every role and policy the model creates: what `clean` finds them by, whatever their
        name (an address-limited grant left by a killed run has a name of its own)."""

    @abstractmethod
    def member_role(self, rules: list[dict[str, Any]], facts: Facts) -> tuple[str, str | None]:
        """The member role's id, and why ownership checks cannot run (None when they can)."""
        ...

    @abstractmethod
    def admin_role(self) -> str: ...

    GRANT: str
    """What holds permissions and is given to a user: "policy" (11+) or "role" (10.x)."""
    GRANTS: str
    """Where they live: "/policies" or "/roles"."""

    @abstractmethod
    def _unprivileged(self, name: str, *, app_access: bool = False) -> str:
        """A grant called `name` without admin access (and, unless asked, without app access), created if missing."""
        ...

    def tfa_grant(self) -> str:
        """Something that, given to a user, lets them store their own TFA secret and nothing else."""
        grant = self._unprivileged(self.names.tfa)
        self._permissions({self.GRANT: grant}, [TFA_RULE])
        return grant

    def share_reader_role(self, collection: str) -> str:
        """A role nobody has that reads every field of `collection`: a role a share may be given, which reads more
        than a member may (the hidden field)."""
        grant = self._unprivileged(self.names.share_reader)
        self._permissions({self.GRANT: grant}, [{"collection": collection, "action": "read"}])
        return self.role_holding(grant, self.names.share_reader)

    @abstractmethod
    def role_holding(self, grant: str, name: str) -> str:
        """The role called `name` that holds `grant` (the grant itself where roles hold permissions)."""
        ...

    @abstractmethod
    def delete_role_holding(self, role: str) -> None:
        """Delete a check's role made by `role_holding` (before its grant; nothing where the role is the grant)."""
        ...

    @abstractmethod
    def give_grant(self, user_id: str, grant: str) -> None:
        """Give a throwaway user a grant (the TFA grant, an address-limited one)."""
        ...

    def grant(self, name: str, rules: list[dict[str, Any]], *, app_access: bool = False) -> str:
        """A grant of `rules` alone (permissions as /permissions takes them; with app access, the permissions Directus
        gives every app user too), for a check's throwaway user."""
        grant = self._unprivileged(name, app_access=app_access)
        self._permissions({self.GRANT: grant}, rules)
        return grant

    def address_limited_grant(self, name: str, collection: str, addresses: list[str]) -> str:
        """A grant that reads `collection` from `addresses` only (`ip_access`)."""
        grant = self.grant(name, [{"collection": collection, "action": "read"}])
        self.limit_grant(grant, addresses)
        return grant

    def limit_grant(self, grant: str, addresses: list[str]) -> None:
        """Change the addresses an address-limited grant is limited to."""
        change = {"ip_access": addresses}
        self.admin.call("PATCH", f"{self.GRANTS}/{grant}", action=f"limit a {self.GRANT}'s addresses", json=change)

    def delete_grant(self, grant: str) -> None:
        """Delete a check's grant and its permissions (once no user holds it)."""
        self._delete_permissions(**{self.GRANT: grant})
        self.admin.call("DELETE", f"{self.GRANTS}/{grant}", action=f"delete an address-limited {self.GRANT}")

    @abstractmethod
    def clean(self) -> list[str]:
        """Remove every role and policy this run created (by `mark`), with what they hold; returns what went."""
        ...

    def _marked(self, path: str) -> list[dict[str, Any]]:
        return find(self.admin, path, description=self.mark)

    def _permissions(self, owner: dict[str, str], rules: list[dict[str, Any]]) -> str | None:
        """Create the missing rules for an owner ({"policy": id} or {"role": id}); why not, if refused (12.x)."""
        existing = {(p["collection"], p["action"]) for p in find(self.admin, "/permissions", **owner)}
        for rule in rules:
            if (rule["collection"], rule["action"]) in existing:
                continue
            try:
                self.admin.call(
                    "POST",
                    "/permissions",
                    action=f"create {rule['action']} permission",
                    json={
                        **owner,
                        "collection": rule["collection"],
                        "action": rule["action"],
                        "fields": rule.get("fields", ["*"]),
                        "permissions": rule.get("permissions") or {},
                        **{key: rule[key] for key in ("presets", "validation") if key in rule},
                    },
                )
            except DirectusError as error:
                if error.code == "RESOURCE_RESTRICTED":
                    return f"the target refused a filter rule ({error.code})"
                raise
        return None

    def _delete_permissions(self, **owner: str) -> list[str]:
        removed = []
        for permission in find(self.admin, "/permissions", **owner):
            self.admin.call("DELETE", f"/permissions/{permission['id']}", action="delete permission")
            removed.append(f"permission {permission['action']} on {permission['collection']}")
        return removed


OWN_AUTHOR = {"author": {"_eq": "$CURRENT_USER"}}


def writes_held_to_the_caller(fixture_rules: list[dict[str, Any]]) -> bool:
    """Whether the cast file's member permissions let members write posts in their own name only: a create whose
    preset and validation are author = $CURRENT_USER, and an update with that validation (what the write checks
    test; a cast file of one's own may grant writes otherwise, or none)."""
    on_posts = {rule["action"]: rule for rule in fixture_rules if "collection" not in rule}
    create, update = on_posts.get("create", {}), on_posts.get("update", {})
    return (
        create.get("presets") == {"author": "$CURRENT_USER"}
        and create.get("validation") == OWN_AUTHOR
        and update.get("validation") == OWN_AUTHOR
    )


def member_rules(names: Names, fixture_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "collection": r.get("collection", names.collection),
            "action": r["action"],
            "permissions": r.get("filter") or {},
            "fields": r.get("fields") or ["*"],
            **{key: r[key] for key in ("presets", "validation") if key in r},
        }
        for r in fixture_rules
    ]


class PolicyAccess(AccessModel):
    """Directus 11+: permissions live on policies, attached to roles (or users) through /access."""

    GRANT, GRANTS = "policy", "/policies"

    def member_role(self, rules: list[dict[str, Any]], facts: Facts) -> tuple[str, str | None]:
        policy = self._policy(self.names.member_policy, admin_access=False, app_access=False)
        reason = (
            facts.custom_rules_note if not facts.custom_rules_enabled else self._permissions({"policy": policy}, rules)
        )
        return self._role(self.names.member_role, policy), reason

    def admin_role(self) -> str:
        return self._role(
            self.names.admin_role, self._policy(self.names.admin_policy, admin_access=True, app_access=True)
        )

    def give_grant(self, user_id: str, grant: str) -> None:
        self.admin.call(
            "POST", "/access", action="attach a policy to a throwaway user", json={"user": user_id, "policy": grant}
        )

    def delete_grant(self, grant: str) -> None:
        self._delete_access(policy=grant)
        super().delete_grant(grant)

    def _unprivileged(self, name: str, *, app_access: bool = False) -> str:
        return self._policy(name, admin_access=False, app_access=app_access)

    def role_holding(self, grant: str, name: str) -> str:
        return self._role(name, grant)

    def delete_role_holding(self, role: str) -> None:
        self._delete_access(role=role)
        self.admin.call("DELETE", f"/roles/{role}", action="delete a check's role")

    def clean(self) -> list[str]:
        removed = []
        for role in self._marked("/roles"):
            self._delete_access(role=role["id"])
            self.admin.call("DELETE", f"/roles/{role['id']}", action=f"delete role {role['name']}")
            removed.append(f"role {role['name']}")
        for policy in self._marked("/policies"):
            removed += self._delete_permissions(policy=policy["id"])
            self._delete_access(policy=policy["id"])
            self.admin.call("DELETE", f"/policies/{policy['id']}", action=f"delete policy {policy['name']}")
            removed.append(f"policy {policy['name']}")
        return removed

    def _policy(self, name: str, *, admin_access: bool, app_access: bool) -> str:
        return ensure(
            self.admin,
            "/policies",
            name,
            {
                "admin_access": admin_access,
                "app_access": app_access,
                "icon": "badge",
                "description": self.mark,
            },
        )

    def _role(self, name: str, policy: str) -> str:
        role = ensure(self.admin, "/roles", name, {"icon": "group", "description": self.mark})
        if not find(self.admin, "/access", role=role, policy=policy):
            self.admin.call(
                "POST", "/access", action=f"attach policy to role {name}", json={"role": role, "policy": policy}
            )
        return role

    def _delete_access(self, **filters: str) -> None:
        for access in find(self.admin, "/access", **filters):
            self.admin.call("DELETE", f"/access/{access['id']}", action="delete access")


class RoleAccess(AccessModel):
    """Directus 10.x: roles carry admin_access / app_access and hold the permissions (role = null is Public)."""

    GRANT, GRANTS = "role", "/roles"

    def member_role(self, rules: list[dict[str, Any]], facts: Facts) -> tuple[str, str | None]:
        role = self._role(self.names.member_role, admin_access=False, app_access=False)
        return role, self._permissions({"role": role}, rules)

    def admin_role(self) -> str:
        return self._role(self.names.admin_role, admin_access=True, app_access=True)

    def give_grant(self, user_id: str, grant: str) -> None:
        """A 10.x user has one role: the throwaway moves to the grant's role (it needs no access to posts)."""
        self.admin.call("PATCH", f"/users/{user_id}", action="give a throwaway user a role", json={"role": grant})

    def _unprivileged(self, name: str, *, app_access: bool = False) -> str:
        return self._role(name, admin_access=False, app_access=app_access)

    def role_holding(self, grant: str, name: str) -> str:
        return grant

    def delete_role_holding(self, role: str) -> None:
        """The role is the grant: `delete_grant` deletes it."""

    def clean(self) -> list[str]:
        removed = []
        for role in self._marked("/roles"):
            removed += self._delete_permissions(role=role["id"])
            self.admin.call("DELETE", f"/roles/{role['id']}", action=f"delete role {role['name']}")
            removed.append(f"role {role['name']}")
        return removed

    def _role(self, name: str, *, admin_access: bool, app_access: bool) -> str:
        return ensure(
            self.admin,
            "/roles",
            name,
            {
                "admin_access": admin_access,
                "app_access": app_access,
                "icon": "group",
                "description": self.mark,
            },
        )


def access_model(admin: Admin, names: Names, facts: Facts) -> AccessModel:
    return PolicyAccess(admin, names) if facts.has_policies else RoleAccess(admin, names)
