"""Interface texts in 中文 and English, kept in lib/locales/*.toml (one file per area)."""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LOCALES = Path(__file__).with_name("locales")


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, str]]:
    """Load every locale file into {key: {"zh": …, "en": …}}; keys are `<file>.<name>`."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES.glob("*.toml")):
        for name, pair in tomllib.loads(path.read_text(encoding="utf-8")).items():
            out[f"{path.stem}.{name}"] = pair
    return out


def t(key: str, lang: str, **values) -> str:
    """Return the text for `key` in `lang`, formatted with `values`; the key itself if unknown."""
    pair = texts().get(key)
    if pair is None:
        return key
    return pair.get(lang, pair.get("en", key)).format(**values) if values else pair.get(lang, pair.get("en", key))


def browser_lang(locale: str | None) -> str:
    """Pick 中文 for a zh-* browser locale, English otherwise."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"
