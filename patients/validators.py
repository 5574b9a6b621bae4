"""Identifiers (names, MRNs, serial numbers) hold only characters a person can see.

A bidirectional control (U+202E turns "1234" into what reads as "4321") or a zero-width space
makes two identifiers that look the same compare as different, or one that reads differently
from what is stored: a patient found under the wrong name, a scanner matched to the wrong
precision study. Such characters are refused with their code point named, so the person can
retype the value.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Unicode general categories that print nothing: format characters (bidi controls, zero-width
# spaces and joiners, the byte-order mark, soft hyphen), controls, line and paragraph
# separators, private use and unassigned code points.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp", "Co", "Cn", "Cs"})


def invisible_characters(text: str) -> list[str]:
    """Each character of `text` that a person cannot see, as "U+202E RIGHT-TO-LEFT OVERRIDE"."""
    found = []
    for char in dict.fromkeys(text):
        category = unicodedata.category(char)
        # Any space other than the plain one (no-break, em, ideographic…) looks like a space
        # but does not compare as one.
        if category in INVISIBLE_CATEGORIES or (category == "Zs" and char != " "):
            name = unicodedata.name(char, "unnamed character")
            found.append(f"U+{ord(char):04X} {name}")
    return found


@deconstructible
class VisibleCharactersValidator:
    """Refuses text holding a character that is invisible or changes the reading order."""

    code = "invisible_character"

    def __call__(self, value) -> None:
        found = invisible_characters(str(value))
        if found:
            raise ValidationError(
                "This contains a character you cannot see (%(found)s), often pasted from "
                "another program: delete it and type the value again.",
                code=self.code,
                params={"found": ", ".join(found)},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, VisibleCharactersValidator)

    def __hash__(self) -> int:
        return hash(self.code)


visible_characters = VisibleCharactersValidator()
