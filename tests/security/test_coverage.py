"""Every URL pattern is in the suite's table: a pattern added to the URLconf without a row there fails here."""

from __future__ import annotations

from tests.security.routes import ROUTES, SKIPPED, admin_model_keys, url_patterns


def test_every_url_pattern_is_walked_or_skipped_with_a_reason():
    listed = {*ROUTES, *SKIPPED, *admin_model_keys()}
    missing = sorted({pattern.key for pattern in url_patterns()} - listed)
    assert not missing, (
        "URL patterns not in tests/security/routes.py (add each to ROUTES, or its model to ADMIN_MODELS, or to "
        f"SKIPPED with the reason): {missing}"
    )


def test_the_table_lists_no_pattern_that_is_gone():
    present = {pattern.key for pattern in url_patterns()}
    stale = sorted({*ROUTES, *SKIPPED, *admin_model_keys()} - present)
    assert not stale, f"tests/security/routes.py lists patterns the URLconf no longer has: {stale}"


def test_a_pattern_is_listed_once():
    assert not set(ROUTES) & set(SKIPPED)
    assert not set(ROUTES) & set(admin_model_keys())
