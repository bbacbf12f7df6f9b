"""Sorting names as people of a language expect: ICU's collation (CLDR rules) through PyICU.

`collation_key(language)` gives a key function for `sorted()`. Case and accents are ignored ("Fédération"
between "Estonie" and "Finlande", where code-point order would put it after "Finlande"); Khmer orders by
consonant, then vowel, with subscripts and diacritics where a Khmer reader looks for them
(Pakistan, "ប៉ាគីស្ថាន", before France, "បារាំង"; the independent vowel of India, "ឥណ្ឌា",
with "អ"), none of which code points do.

PyICU is built from source against the system's ICU (the `icu` extra; docs/translation.md). Without it the key
falls back to accent- and case-insensitive code-point order — right for English names, wrong for Khmer — and
`ICU_AVAILABLE` is False so pages can say so.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable

try:
    import icu  # type: ignore[import-untyped]  # PyICU: no type information
except ImportError:  # pragma: no cover - CI installs it; a machine without ICU's headers may not have it
    icu = None

ICU_AVAILABLE = icu is not None
# The languages partners' names are kept in, and the ICU locale each sorts by.
LOCALES = {"en": "en", "fr": "fr", "km": "km"}


def _fallback_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@functools.cache
def collation_key(language: str) -> Callable[[str], object]:
    """A sort key for names in `language` (en, fr, km); ValueError for a language we do not sort."""
    if language not in LOCALES:
        raise ValueError(f"No collation for {language!r}; choose one of {', '.join(LOCALES)}.")
    if icu is None:
        return _fallback_key
    collator = icu.Collator.createInstance(icu.Locale(LOCALES[language]))
    # Primary strength: base letters only, as the planner always compared names ("Viet Nam" and "viêt nam" tie and
    # the partner code decides); the language's alphabet and its rules still order the letters.
    collator.setStrength(icu.Collator.PRIMARY)
    return collator.getSortKey
