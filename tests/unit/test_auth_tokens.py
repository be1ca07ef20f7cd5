"""Identities and tokens: issue, hash, look up, replace, revoke."""

import hashlib

import pytest

from app.server.auth import (
    ADMIN,
    FARM_SECRET_PREFIX,
    RENDER,
    TOKEN_PREFIX,
    USER,
    Identity,
    TokenBook,
    new_farm_secret,
    new_token,
    person,
    render,
    secret_matches,
    token_hash,
)


def test_new_tokens_are_prefixed_random_and_url_safe():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        body = token[len(TOKEN_PREFIX) :]
        assert len(body) >= 43  # 32 random bytes
        assert set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert new_farm_secret().startswith(FARM_SECRET_PREFIX)
    assert not new_farm_secret().startswith(TOKEN_PREFIX)


def test_token_hash_is_sha256_hex():
    assert token_hash("crl_abc") == hashlib.sha256(b"crl_abc").hexdigest()
    assert token_hash("\udcff")  # any str from the network hashes without raising


def test_secret_matches_only_the_same_secret():
    secret = new_farm_secret()
    assert secret_matches(secret, secret)
    assert not secret_matches(secret[:-1], secret)
    assert not secret_matches("", secret)
    assert not secret_matches("é", secret)  # non-ASCII input compares, does not raise


def test_issue_then_lookup_finds_the_identity_and_keeps_only_the_hash():
    book = TokenBook()
    alice = person("alice")
    token = book.issue(alice)
    assert book.lookup(token) == alice
    assert book.lookup(token + "x") is None
    assert book.lookup(new_token()) is None
    stored = list(book.entries())
    assert stored == [(token_hash(token), alice)]
    assert token not in repr(stored)


def test_issuing_again_replaces_the_previous_token():
    book = TokenBook()
    first = book.issue(person("bob"))
    second = book.issue(person("bob", ADMIN))
    assert book.lookup(first) is None
    assert book.lookup(second) == Identity("bob", ADMIN)
    assert len(book) == 1


def test_revoke_stops_the_token():
    book = TokenBook()
    token = book.issue(person("carol"))
    other = book.issue(person("dave"))
    assert book.revoke("carol")
    assert book.lookup(token) is None
    assert book.lookup(other) == person("dave")
    assert not book.revoke("carol")
    assert not book.revoke("nobody")


def test_add_restores_stored_hashes():
    token = new_token()
    book = TokenBook()
    book.add(token_hash(token), render("farm01"))
    assert book.lookup(token) == Identity("render:farm01", RENDER)
    with pytest.raises(ValueError, match="render:farm01"):
        book.add(token_hash(token), person("eve"))
    assert book.lookup(token) == render("farm01")


def test_person_names_and_roles_are_checked():
    assert person("alice") == Identity("alice", USER)
    assert person("j.doe@studio", ADMIN).role == ADMIN
    for bad in ("", "Alice", "render:farm01", "-x", "a b", "x" * 65, "tab\t"):
        with pytest.raises(ValueError, match="user name"):
            person(bad)
    with pytest.raises(ValueError, match="role"):
        person("alice", RENDER)


def test_render_identity_carries_its_host_name():
    farm = render("farm01.studio")
    assert farm == Identity("render:farm01.studio", RENDER)
    assert farm.render_name == "farm01.studio"
    assert person("alice").render_name is None
    for bad in ("", "a\nb", "x" * 256):
        with pytest.raises(ValueError):
            render(bad)
