"""The strict JSON reading of request bodies (badges/api/parsers.py): what is read, and what is refused with
which code."""

from __future__ import annotations

import pytest

from badges.api.parsers import MAX_DEPTH, BodyRefused, json_body


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        pytest.param(b'{"version": 1}', {"version": 1}, id="object"),
        pytest.param(b'{"n": 9223372036854775807}', {"n": 2**63 - 1}, id="largest_integer"),
        pytest.param(b'{"n": -9223372036854775808}', {"n": -(2**63)}, id="smallest_integer"),
        pytest.param(b'{"n": 1.5e300}', {"n": 1.5e300}, id="large_finite_float"),
        pytest.param(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, nested(MAX_DEPTH), id="depth_at_limit"),
        pytest.param('{"name": "Sokha ស"}'.encode(), {"name": "Sokha ស"}, id="utf8_text"),
        pytest.param(b'{"a": {"a": 1}}', {"a": {"a": 1}}, id="same_key_in_two_objects"),
    ],
)
def test_json_body_reads(raw, value):
    assert json_body(raw) == value


@pytest.mark.parametrize(
    ("raw", "code", "said"),
    [
        pytest.param(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "too_deep", "32 levels", id="one_too_deep"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "too_deep", "32 levels", id="recursion_deep"),
        pytest.param(b'{"n": 9223372036854775808}', "number_out_of_range", "±2^63", id="integer_over_64_bits"),
        pytest.param(b'{"n": 1' + b"0" * 10_000 + b"}", "number_out_of_range", "±2^63", id="ten_thousand_digits"),
        pytest.param(b'{"n": 1e999999}', "number_out_of_range", "finite", id="float_overflow"),
        pytest.param(b'{"n": -Infinity}', "parse_error", "finite", id="infinity"),
        pytest.param(b'{"n": NaN}', "parse_error", "NaN is not JSON", id="nan"),
        pytest.param(b'{"a": 1, "a": 2}', "duplicate_key", "“a” is given twice", id="duplicate_key"),
        pytest.param(b'{"x": {"b": 1, "b": 1}}', "duplicate_key", "“b”", id="duplicate_key_nested"),
        pytest.param(b'{"p": "\xff"}', "invalid_encoding", "byte 7 is not UTF-8", id="invalid_utf8"),
        pytest.param(b'{"p": "\xed\xa0\x80"}', "invalid_encoding", "not UTF-8", id="utf8_surrogate"),
        pytest.param(b'{"p": ', "parse_error", "line 1, column 7", id="truncated"),
        pytest.param(b"\xef\xbb\xbf{}", "parse_error", "not JSON", id="byte_order_mark"),
    ],
)
def test_json_body_refuses(raw, code, said):
    with pytest.raises(BodyRefused) as refused:
        json_body(raw)
    assert refused.value.code == code
    assert said in refused.value.message
    assert refused.value.message.startswith("body: ")
