"""`sundial local token`: mints a token the local stack's issuer signs, from the key file
beside --state-file or named by SUNDIAL_LOCAL_JWT_KEY; refuses without one."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import jwt
from cli_runner import cli_runner
from sundial_cli import cli
from sundial_local.jwt_issuer import KEY_ENV, LocalIssuer, ensure_local_issuer

ISSUER = "http://127.0.0.1:8080"


def run(args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli_runner().invoke(cli, shlex.split(args), env={KEY_ENV: "", **(env or {})})


def decoded(token: str, issuer: LocalIssuer) -> dict:  # type: ignore[type-arg]
    return jwt.decode(
        token,
        issuer.private_key.public_key(),
        algorithms=["RS256"],
        audience=issuer.audience,
        issuer=issuer.issuer,
    )


def test_a_token_minted_from_the_state_files_key_is_the_issuers_for_the_tenant(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "state.json"
    issuer = ensure_local_issuer(ISSUER, state_file)

    result = run(f"local token --tenant acme --ttl 120 --state-file {state_file}")

    assert result.exit_code == 0, result.stderr
    claims = decoded(result.stdout.strip(), issuer)
    assert claims["sub"] == "acme" and claims["exp"] - claims["iat"] == 120


def test_the_key_file_named_by_the_environment_is_used(tmp_path: Path) -> None:
    issuer = LocalIssuer.generate(ISSUER)
    issuer.save(tmp_path / "key.pem")

    result = run("--json local token --tenant globex", env={KEY_ENV: str(tmp_path / "key.pem")})

    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert decoded(answer["token"], issuer)["sub"] == answer["tenant"] == "globex"


def test_without_a_key_file_it_says_where_to_find_one() -> None:
    result = run("local token --tenant acme")
    assert result.exit_code == 1
    assert KEY_ENV in result.stderr


def test_a_tenant_that_is_not_a_tenant_id_is_refused(tmp_path: Path) -> None:
    ensure_local_issuer(ISSUER, tmp_path / "s")
    result = run(f"local token --tenant 'has space' --state-file {tmp_path / 's'}")
    assert result.exit_code == 2
    assert "--tenant" in result.stderr


def test_a_kept_key_survives_a_new_start_with_another_issuer_url(tmp_path: Path) -> None:
    first = ensure_local_issuer(ISSUER, tmp_path / "s")
    second = ensure_local_issuer("http://127.0.0.1:9090", tmp_path / "s")
    assert second.kid == first.kid and second.issuer == "http://127.0.0.1:9090"
