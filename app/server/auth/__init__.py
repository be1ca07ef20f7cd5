"""Authentication building blocks: who a request is, and what it may do.

- ``identity``: ``Identity(name, role)``; roles ``user``, ``admin``, ``render``
- ``tokens``: issue tokens, keep their SHA-256, ``TokenBook`` from hash to identity
- ``secret_files``: the data folder's ``admin-token``, ``farm-secret`` and ``metrics-token``
  (0600, made once)
- ``access``: the rules routes name, and ``decide()``: allow, 401 or 403
- ``bearer``: the token of an ``Authorization: Bearer`` header, read strictly
- ``origin``: whether a browser ``Origin`` may talk to the server
- ``throttle``: failed authentications limited per client address
- ``tls``: server and verifying client ``ssl`` contexts
"""

from app.server.auth.access import (
    ADMIN_ONLY,
    OWNER,
    PERSON,
    PUBLIC,
    RENDER_ONLY,
    RULES,
    SCRAPE,
    Verdict,
    decide,
    render_action_rule,
)
from app.server.auth.bearer import MAX_TOKEN_LEN, BearerError, bearer_token
from app.server.auth.identity import (
    ADMIN,
    PERSON_NAME,
    PERSON_ROLES,
    RENDER,
    USER,
    Identity,
    person,
    render,
)
from app.server.auth.origin import origin_allowed
from app.server.auth.secret_files import (
    ADMIN_TOKEN_FILE,
    FARM_SECRET_FILE,
    METRICS_TOKEN_FILE,
    SecretFileError,
    ServerSecrets,
    load_or_create,
    read_secret,
)
from app.server.auth.throttle import FailureThrottle, client_key
from app.server.auth.tls import TLSConfigError, client_context, server_context
from app.server.auth.tokens import (
    FARM_SECRET_PREFIX,
    TOKEN_PREFIX,
    TokenBook,
    new_farm_secret,
    new_token,
    secret_matches,
    token_hash,
)

__all__ = [
    "ADMIN",
    "ADMIN_ONLY",
    "ADMIN_TOKEN_FILE",
    "FARM_SECRET_FILE",
    "METRICS_TOKEN_FILE",
    "FARM_SECRET_PREFIX",
    "MAX_TOKEN_LEN",
    "OWNER",
    "PERSON",
    "PERSON_NAME",
    "PERSON_ROLES",
    "PUBLIC",
    "RENDER",
    "RENDER_ONLY",
    "SCRAPE",
    "RULES",
    "TOKEN_PREFIX",
    "USER",
    "BearerError",
    "FailureThrottle",
    "Identity",
    "SecretFileError",
    "ServerSecrets",
    "TLSConfigError",
    "TokenBook",
    "Verdict",
    "bearer_token",
    "client_context",
    "client_key",
    "decide",
    "load_or_create",
    "new_farm_secret",
    "new_token",
    "origin_allowed",
    "person",
    "read_secret",
    "render",
    "render_action_rule",
    "secret_matches",
    "server_context",
    "token_hash",
]
