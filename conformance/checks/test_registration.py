"""Public registration: whoever registers gets the role the settings name, never one of their choosing."""

from __future__ import annotations

import secrets

from conformance.checks.accounts import USERS_SERVICE, expect_no_user, new_password
from conformance.checks.api import PUBLIC_REGISTRATION, Cast, DirectusClient, Loader, check, expect_status

BEHAVIOUR = "Registration"
DOCS = "/reference/system/users#register-a-new-user"


@check(
    "REGISTER-CANNOT-CHOOSE-ROLE",
    level="MUST",
    needs=(PUBLIC_REGISTRATION,),
    refs=(DOCS, USERS_SERVICE, "api/src/controllers/users.ts"),
    title="A registration that names a role (the administrators') is refused with 400 INVALID_PAYLOAD, and "
    "nobody is registered",
)
def test_registration_cannot_choose_a_role(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    email = f"registrant{secrets.token_hex(4)}+{cast.run_tag}@example.com"
    administrators = loader.admin.get("/users/me", fields="role")["role"]
    body = {"email": email, "password": new_password(), "role": administrators}
    refused = directus.request("POST", "/users/register", json=body)
    expect_status(refused, 400, "INVALID_PAYLOAD", why="a registration naming the administrators' role")
    expect_no_user(loader, email, refused)
