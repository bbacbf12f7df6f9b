"""A reference is a kind and a pk; its text form is what the conflict engine and its records use."""

from __future__ import annotations

import pytest

from asemplanner.refs import ALL, Ref


@pytest.mark.parametrize(
    ("text", "ref"),
    [("person:12", Ref("person", 12)), ("session:3", Ref("session", 3)), ("all", ALL)],
    ids=["person", "session", "all"],
)
def test_text_form_round_trips(text, ref):
    assert Ref.parse(text) == ref
    assert str(ref) == text


@pytest.mark.parametrize("text", ["person", "person:", ":12", "person:x", "person:-1", ""], ids=repr)
def test_other_shapes_are_refused(text):
    with pytest.raises(ValueError, match="kind:number"):
        Ref.parse(text)


def test_a_ref_is_the_tuple_of_its_kind_and_pk():
    assert Ref("task", 4) == ("task", 4)
    assert {Ref("task", 4)} == {("task", 4)}
    assert sorted([Ref("room", 2), Ref("person", 9)]) == [("person", 9), ("room", 2)]
