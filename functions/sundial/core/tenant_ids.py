"""Which values of a JWT claim are tenant ids (JWT auth mode).

Subjects of the common issuers fit: Cognito's UUIDs, Auth0's `auth0|...` subjects and
`org_...` organization ids, emails, URNs. Spaces, control characters, other punctuation
and anything longer than 128 characters do not: the tenant appears in logs, metrics and
keys, and a claim like that is a misconfigured claim, not a tenant.
"""

from __future__ import annotations

import re
from typing import Any, Final

CLAIMED_TENANT_PATTERN: Final = re.compile(r"[A-Za-z0-9._~:@|+=/-]{1,128}")
CLAIMED_TENANT_RULE: Final = "1-128 letters, digits or ._~:@|+=/-"


def is_claimed_tenant_id(value: Any) -> bool:
    return isinstance(value, str) and CLAIMED_TENANT_PATTERN.fullmatch(value) is not None
