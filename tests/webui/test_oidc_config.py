"""The [oidc] section: what a wrong configuration is told."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsbot.config import ConfigError, load_config

ISSUER = "https://login.example.org/tenant/v2.0"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_off_by_default() -> None:
    assert not load_config(environ={}, cwd=Path("/")).oidc.enabled


def test_a_full_section_and_the_secret_from_the_environment(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        f'[oidc]\nissuer = "{ISSUER}/"\nclient_id = "abc"\nname = "Tiera ID"\n'
        'scopes = ["openid", "email"]\ngroups_claim = "roles"\n',
    )
    oidc = load_config(file, environ={"SMSBOT_OIDC__CLIENT_SECRET": "s3cret"}).oidc
    assert (oidc.issuer, oidc.client_id, oidc.name) == (ISSUER, "abc", "Tiera ID")
    assert oidc.scopes == ("openid", "email") and oidc.groups_claim == "roles"
    assert oidc.client_secret == "s3cret" and "s3cret" not in repr(oidc)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f'issuer = "{ISSUER}"', r"\[oidc\] client_id: single sign-on needs the client"),
        ('client_id = "abc"', r"\[oidc\] issuer: client_id is set but issuer is not"),
        (
            'issuer = "http://login.example.org"\nclient_id = "abc"',
            r"\[oidc\] issuer: expected the provider's https address",
        ),
        (
            f'issuer = "{ISSUER}"\nclient_id = "abc"\nscopes = ["email"]',
            r"\[oidc\] scopes: expected a list that includes 'openid'",
        ),
        (
            f'issuer = "{ISSUER}"\nclient_id = "abc"\nclient_secret = "x"',
            r"\[oidc\] client_secret: a secret may not be written in the file; "
            r"set SMSBOT_OIDC__CLIENT_SECRET instead",
        ),
        (f'issuer = "{ISSUER}"\nclient_id = "abc"\nname = " "', r"\[oidc\] name: .* empty"),
        ('isuer = "x"', r"\[oidc\] isuer: unknown key \(did you mean 'issuer'"),
    ],
)
def test_a_wrong_section_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, "[oidc]\n" + text + "\n"), environ={})


def test_plain_http_is_allowed_on_this_machine_only(tmp_path: Path) -> None:
    file = write(tmp_path, '[oidc]\nissuer = "http://localhost:9400"\nclient_id = "abc"\n')
    assert load_config(file, environ={}).oidc.issuer == "http://localhost:9400"
