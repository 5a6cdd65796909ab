"""The Settings tab read into typed configuration, with DESIGN.md's defaults."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from lib.schema import DEFAULT_SETTINGS


def _pairs(text: str) -> dict[str, float]:
    """Read `value 40, frequency 20` or `A ≥ 70, B ≥ 40` or `高 24` into {name: number}."""
    out: dict[str, float] = {}
    for name, number in re.findall(r"([A-Za-z_\u4e00-\u9fff]+)\s*[:=：≥>]*\s*(-?\d+(?:\.\d+)?)", str(text)):
        out[name.strip()] = float(number)
    return out


def _ints(d: dict[str, float]) -> dict[str, int]:
    return {k: int(v) for k, v in d.items()}


_PRIORITY_NAMES = {"高": "high", "中": "medium", "低": "low"}


@dataclass
class Settings:
    """Typed settings; `Settings()` holds the defaults of DESIGN.md."""
    tier_method: str = "score"
    tier_weights: dict[str, float] = field(default_factory=lambda: {
        "value": 40, "frequency": 20, "recency": 15, "satisfaction": 15, "potential": 10})
    tier_thresholds: dict[str, float] = field(default_factory=lambda: {"A": 70, "B": 40})
    tier_pareto: dict[str, float] = field(default_factory=lambda: {"A": 80, "B": 95})
    tier_window_months: int = 12
    tier_review_cycle_months: int = 6
    follow_up_days: dict[str, int] = field(default_factory=lambda: {"A": 30, "B": 60, "C": 90})
    sla_hours: dict[str, int] = field(default_factory=lambda: {"high": 24, "medium": 72, "low": 168})
    care_lookahead_days: int = 14
    problems: list[str] = field(default_factory=list)


def read_settings(frame: pd.DataFrame | None) -> Settings:
    """Read the Settings tab; a value that cannot be read keeps its default and is reported."""
    s = Settings()
    if frame is None or frame.empty:
        return s
    values = {str(k).strip(): str(v).strip() for k, v in zip(frame["key"], frame["value"]) if str(k).strip()}

    def merge(key: str, target: dict, *, names: dict[str, str] | None = None, as_int: bool = False) -> None:
        if key not in values:
            return
        parsed = _pairs(values[key])
        if names:
            parsed = {names.get(k, k.lower()): v for k, v in parsed.items()}
        known = {k: v for k, v in parsed.items() if k in target or k.upper() in target}
        if not known:
            s.problems.append(key)
            return
        for k, v in known.items():
            k = k if k in target else k.upper()
            target[k] = int(v) if as_int else v

    def number(key: str, default: int) -> int:
        if key not in values:
            return default
        m = re.search(r"\d+", values[key])
        if not m:
            s.problems.append(key)
            return default
        return int(m.group())

    method = values.get("tier.method", "score").lower()
    s.tier_method = method if method in ("score", "pareto") else "score"
    if method not in ("score", "pareto"):
        s.problems.append("tier.method")
    merge("tier.weights", s.tier_weights)
    merge("tier.thresholds", s.tier_thresholds)
    merge("tier.pareto", s.tier_pareto)
    merge("follow_up.days", s.follow_up_days, as_int=True)
    merge("sla.hours", s.sla_hours, names=_PRIORITY_NAMES, as_int=True)
    s.tier_window_months = number("tier.window_months", s.tier_window_months)
    s.tier_review_cycle_months = number("tier.review_cycle_months", s.tier_review_cycle_months)
    s.care_lookahead_days = number("care.lookahead_days", s.care_lookahead_days)
    return s


def format_weights(weights: dict[str, float]) -> str:
    """Write weights back in the Settings tab's own form (`value 40, frequency 20, …`)."""
    return ", ".join(f"{k} {v:g}" for k, v in weights.items())


def default_rows() -> list[dict[str, str]]:
    """The Settings rows a new register starts with."""
    return [{"key": k, "value": v, "description": d} for k, (v, d) in DEFAULT_SETTINGS.items()]
