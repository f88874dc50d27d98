"""What a check module imports: the one authoring surface, so a check reads like the sentence it tests.

    from conformance.checks.api import Members, check, expect_status, login

Declaring a check (`check`, its `needs`, the features by version), failing it with evidence (`expect…`) or stopping
it on a broken precondition (`require…`, `received`), the cast and who plays each part, the client, and the steps
checks share. The generative engines (`conformance.openapi`, `conformance.mutations`) are imported from their own
modules by the checks that drive them.
"""

from conformance.access import TFA_RULE
from conformance.cast import Cast, Members, Persona
from conformance.checks.steps import (
    COOKIE_MODES,
    CREDENTIAL_KINDS,
    MODES,
    CredentialKind,
    access_token,
    admin_file,
    an_admin,
    as_admin,
    claims_of,
    credentials,
    enable_totp,
    expect_file_kept,
    expect_user,
    forge,
    list_posts,
    login,
    logout_with,
    new_title,
    post_by,
    posts_titled,
    refresh_credential,
    refresh_secret,
    refresh_with,
    set_static_token,
    turn_on_tfa,
    uploader,
    user_holding,
    user_in_a_role_holding,
    whoami,
)
from conformance.client import (
    REFRESH_TOKEN_MODES,
    DirectusClient,
    Login,
    Mode,
    bearer,
    cookie_header,
    error_code,
    graphql_data,
    json_body,
    set_cookies,
)
from conformance.config import Target
from conformance.evidence import RecordProperty, expect, expect_status, fail, received, require, require_status
from conformance.facts import TargetFacts
from conformance.needs import Need, needs
from conformance.profiles import Profile, examples
from conformance.redaction import register_secret
from conformance.registry import check
from conformance.seeding import Loader, run_label
from conformance.totp import DirectusTOTP
from conformance.versions import (
    AI_PROVIDER_KEYS,
    GRAPHQL_LOGOUT_MODE,
    IP_RANGES,
    OWNER_REGISTRATION,
    POLICIES,
    PUBLIC_REGISTRATION,
    ROLE_AND_POLICY_VARIABLES,
    SESSION_GRACE_PERIOD,
    SESSION_MODE,
    SESSIONS_CLEARED_ON_USER_CHANGE,
    SINGLE_TOKEN_TRANSPORT,
)

__all__ = [
    "AI_PROVIDER_KEYS",
    "COOKIE_MODES",
    "CREDENTIAL_KINDS",
    "GRAPHQL_LOGOUT_MODE",
    "IP_RANGES",
    "MODES",
    "OWNER_REGISTRATION",
    "POLICIES",
    "PUBLIC_REGISTRATION",
    "REFRESH_TOKEN_MODES",
    "ROLE_AND_POLICY_VARIABLES",
    "SESSIONS_CLEARED_ON_USER_CHANGE",
    "SESSION_GRACE_PERIOD",
    "SESSION_MODE",
    "SINGLE_TOKEN_TRANSPORT",
    "TFA_RULE",
    "Cast",
    "CredentialKind",
    "DirectusClient",
    "DirectusTOTP",
    "Loader",
    "Login",
    "Members",
    "Mode",
    "Need",
    "Persona",
    "Profile",
    "RecordProperty",
    "Target",
    "TargetFacts",
    "access_token",
    "admin_file",
    "an_admin",
    "as_admin",
    "bearer",
    "check",
    "claims_of",
    "cookie_header",
    "credentials",
    "enable_totp",
    "error_code",
    "examples",
    "expect",
    "expect_file_kept",
    "expect_status",
    "expect_user",
    "fail",
    "forge",
    "graphql_data",
    "json_body",
    "list_posts",
    "login",
    "logout_with",
    "needs",
    "new_title",
    "post_by",
    "posts_titled",
    "received",
    "refresh_credential",
    "refresh_secret",
    "refresh_with",
    "register_secret",
    "require",
    "require_status",
    "run_label",
    "set_cookies",
    "set_static_token",
    "turn_on_tfa",
    "uploader",
    "user_holding",
    "user_in_a_role_holding",
    "whoami",
]
