"""People's names as they are stored and shown: one normal form, whatever way they came in.

A name typed on a page, read from a roll file, posted to the API or edited in the admin may carry
characters nobody sees: right-to-left overrides (U+202A–202E, U+2066–2069) that turn "张三" into
a name that reads differently from how it sorts and compares, zero-width spaces and joiners
(U+200B–200D, U+2060, U+FEFF) that make two identical-looking names different, and full-width
letters (Ａ) beside their ASCII twins. `clean_name` removes every invisible format character
(Unicode category Cf, which holds all of these) and every control character, folds
compatibility forms with NFKC (full-width letters and digits, compatibility ideographs; safe for
names: it never changes an ordinary Chinese character), and collapses runs of whitespace.

`NameField` applies it on every way into the database: form and model validation (`to_python`),
`save()` and `bulk_create()` (`pre_save`), `update()` and look-ups (`get_prep_value`). Every
model field holding a person's name uses it, so the roll import, the pages, the API and the admin
all store the same name for the same person.
"""

from __future__ import annotations

import unicodedata

from django.db import models

#: Unicode categories removed from names: format characters (bidi controls, zero-width
#: characters, the BOM, soft hyphens) and control characters.
_INVISIBLE = frozenset({"Cf", "Cc"})


def clean_name(value: object) -> str:
    """A person's name in its one stored form ("" for None)."""
    if value is None:
        return ""
    text = str(value)
    # Controls such as a tab or newline become a space (then collapsed); format characters go.
    text = "".join(
        (" " if unicodedata.category(c) == "Cc" else "") if unicodedata.category(c) in _INVISIBLE else c
        for c in text
    )
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def has_invisible(value: str) -> bool:
    """Whether the text holds a format or control character (what `clean_name` removes)."""
    return any(unicodedata.category(c) in _INVISIBLE for c in value)


class NameField(models.CharField):
    """A CharField for people's names, always stored as `clean_name` gives it."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else clean_name(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else clean_name(value)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is not None:
            value = clean_name(value)
            setattr(model_instance, self.attname, value)
        return value
