"""Who may do what: roles' rights and unit managers' units."""

from __future__ import annotations

import pytest

from smsbot.people.rights import Right, RightsError, may, parse_roles, units_seen
from smsbot.storage.accounts import Person


def person(*roles: str, units: tuple[str, ...] = (), active: bool = True) -> Person:
    return Person(1, "P", "p@example.org", active, frozenset(roles), frozenset(units))


def test_an_admin_may_do_everything_everywhere() -> None:
    admin = person("admin")
    assert all(may(admin, right, unit="Akuten") for right in Right)
    assert units_seen(admin, Right.VIEW_RESULTS) is None


def test_a_unit_manager_sees_only_her_units_results_and_feedback() -> None:
    anna = person("unit_manager", units=("Akuten",))
    assert may(anna, Right.VIEW_RESULTS, unit="Akuten")
    assert not may(anna, Right.VIEW_RESULTS, unit="Kajaani")
    assert may(anna, Right.VIEW_FEEDBACK)  # some units
    assert units_seen(anna, Right.VIEW_FEEDBACK) == {"Akuten"}
    assert not may(anna, Right.TAG_FEEDBACK)
    assert not may(anna, Right.EXPORT)
    assert not may(anna, Right.VIEW_AUDIT)


def test_an_unscoped_role_lifts_the_unit_limit_for_its_rights_only() -> None:
    both = person("unit_manager", "auditor", units=("Akuten",))
    assert units_seen(both, Right.VIEW_RESULTS) == {"Akuten"}
    assert may(both, Right.VIEW_AUDIT)
    analyst_too = person("unit_manager", "analyst", units=("Akuten",))
    assert units_seen(analyst_too, Right.VIEW_RESULTS) is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("designer", {Right.DESIGN_FLOWS, Right.SIMULATE, Right.SIGNED_IN}),
        ("auditor", {Right.VIEW_AUDIT, Right.SIGNED_IN}),
        (
            "analyst",
            {
                Right.VIEW_RESULTS,
                Right.VIEW_FEEDBACK,
                Right.TAG_FEEDBACK,
                Right.EXPORT,
                Right.SIGNED_IN,
            },
        ),
    ],
)
def test_each_role_has_its_rights_and_no_other(role: str, allowed: set[Right]) -> None:
    assert {right for right in Right if may(person(role), right)} == allowed


def test_a_disabled_person_may_do_nothing() -> None:
    assert not any(may(person("admin", active=False), right) for right in Right)


def test_roles_and_units_are_checked_in_words() -> None:
    assert parse_roles(["unit-manager"], ["Akuten"]) == ({"unit_manager"}, {"Akuten"})
    with pytest.raises(RightsError, match="no role 'boss'; the roles are admin"):
        parse_roles(["boss"], [])
    with pytest.raises(RightsError, match="needs at least one unit"):
        parse_roles(["unit_manager"], [])
    with pytest.raises(RightsError, match="only with the role unit_manager"):
        parse_roles(["analyst"], ["Akuten"])
