"""Update the zh_Hans catalogue: makemessages, then fill translations from
locale/zh_Hans/translations/*.json ({"English msgid": "中文"}; with a context, the key is
"context\u0004msgid"), then compile the .mo.

Run: .venv/bin/python locale/i18n.py        (serialised with a lock; safe to run concurrently)
Prints the msgids that still have no translation.
"""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")
JSON_DIR = ROOT / "locale/zh_Hans/translations"


def main() -> int:
    with open(ROOT / "locale" / ".i18n.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-location",
                "--ignore",
                ".venv/*",
                "--ignore",
                "tests/*",
                "--ignore",
                "bench/*",
                "--ignore",
                "staticfiles/*",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        translations: dict[str, str] = {}
        for path in sorted(JSON_DIR.glob("*.json")) if JSON_DIR.exists() else []:
            translations.update(json.loads(path.read_text(encoding="utf-8")))
        po = polib.pofile(str(PO))
        for entry in po:
            if entry.obsolete:
                continue
            # A msgid with a context (pgettext) is keyed "context\u0004msgid", as gettext keys it.
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            text = translations.get(key)
            if text:
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: text}
                else:
                    entry.msgstr = text
            if "fuzzy" in entry.flags:
                if not text:
                    entry.msgstr = ""
                entry.flags.remove("fuzzy")
        po.metadata["Language"] = "zh_Hans"
        po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
        po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
        po.save(str(PO))
        po.save_as_mofile(str(MO))
        missing = [e.msgid for e in po if not e.obsolete and not (e.msgstr or any(e.msgstr_plural.values()))]
    for msgid in missing:
        print("untranslated:", msgid)
    print(f"{len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
