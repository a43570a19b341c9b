"""The local stack's own OIDC issuer, for `sundial local --auth jwt`.

An RSA key pair signs tokens (`sundial local token --tenant T`); the stack's gateway
serves its public half as a JWKS, with an OpenID Connect discovery document, under
`<url>/.well-known/`, and the authorizer verifies tokens against them exactly as it
verifies a real issuer's. With a state file the private key is kept beside it (mode
0600, `<state file>.jwt.pem`), so tokens minted before a restart still work; without
one the key lives in the stack's memory and in a file the stack removes when it stops,
whose path it prints (SUNDIAL_LOCAL_JWT_KEY).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

# What the local issuer's tokens are for (their `aud`) unless told otherwise.
LOCAL_AUDIENCE = "sundial-local"
KEY_FILE_SUFFIX = ".jwt.pem"
# Where `sundial local token` finds the key when no --state-file is given.
KEY_ENV = "SUNDIAL_LOCAL_JWT_KEY"
DEFAULT_TTL_SECONDS = 3600
ALGORITHM = "RS256"
# The issuer's documents, under the stage like every other path of the local API.
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"


def key_file_for(state_file: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(state_file)}{KEY_FILE_SUFFIX}")


@dataclass(frozen=True)
class LocalIssuer:
    """A signing key and the issuer URL and audience its tokens name."""

    private_key: rsa.RSAPrivateKey
    issuer: str
    audience: str = LOCAL_AUDIENCE

    @classmethod
    def generate(cls, issuer: str, audience: str = LOCAL_AUDIENCE) -> LocalIssuer:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), issuer, audience)

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key: a new key pair gets a new kid."""
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        canonical = json.dumps(
            {"e": public["e"], "kty": "RSA", "n": public["n"]}, separators=(",", ":")
        )
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}]}

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.issuer + JWKS_PATH,
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
        }

    def mint(
        self,
        tenant: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        claim: str = "sub",
        now: float | None = None,
        **claims: Any,
    ) -> str:
        """A token for `tenant` (in `claim`), valid for `ttl_seconds` from `now`."""
        issued = int(time.time() if now is None else now)
        body = {
            "iss": self.issuer,
            "aud": self.audience,
            "iat": issued,
            "exp": issued + ttl_seconds,
            "jti": str(uuid.uuid4()),
            claim: tenant,
            **claims,
        }
        return jwt.encode(body, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})

    # --- the key file -------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """The private key as PEM, with the issuer and audience, in a 0600 file."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        header = f"# issuer: {self.issuer}\n# audience: {self.audience}\n"
        # Created 0600 from the start: the key signs credentials for the local API.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(header + pem)

    @classmethod
    def load(cls, path: Path) -> LocalIssuer:
        """The issuer saved in `path`. Raises ValueError when the file is not one."""
        text = path.read_text(encoding="utf-8")
        fields = dict(
            line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# ")
        )
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or "issuer" not in fields:
            raise ValueError(f"{path} is not a local issuer's key file")
        return cls(key, fields["issuer"], fields.get("audience", LOCAL_AUDIENCE))


def ensure_local_issuer(
    issuer: str, state_file: str | os.PathLike[str] | None, audience: str = LOCAL_AUDIENCE
) -> LocalIssuer:
    """The key pair kept beside the state file (made on first use), or a new one.

    A kept key is reused with this start's issuer URL (the port may differ), so tokens
    minted before a restart on the same port keep working."""
    key_file = key_file_for(state_file) if state_file else None
    if key_file is not None and key_file.is_file():
        try:
            kept = LocalIssuer.load(key_file)
        except ValueError:
            kept = None
        if kept is not None:
            local = LocalIssuer(kept.private_key, issuer, audience)
            local.save(key_file)
            return local
    local = LocalIssuer.generate(issuer, audience)
    if key_file is not None:
        local.save(key_file)
    return local
