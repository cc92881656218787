"""Rule configuration: re-level or switch off rules, choose the setting, from a TOML file.

.. code-block:: toml

    [check]
    setting = "hospital"          # practitioner (default), hospital or dme
    date_default = "2024-07-01"   # date of service for lines without one

    [data]
    stale = "error"               # refuse lines whose tables do not cover their date
                                  # ("warn", the default: check them and say so)

    [rules]
    PTP002 = "warning"            # re-level one rule
    MOD005 = "off"                # switch one rule off
    diagnosis = "off"             # a whole family (a rule id wins over its family)
    global = "warning"            # families: ptp mue aoc modifier code diagnosis global ...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from addin.errors import CptAddinError, InputFileError
from addin.findings import SEVERITIES
from addin.rules.base import FAMILIES, Rule

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

OFF = "off"
LEVELS = (*SEVERITIES, OFF)


@dataclass
class RuleConfig:
    """Severity overrides by rule id or family, plus check options."""

    levels: dict[str, str] = field(default_factory=dict)
    setting: str | None = None
    date_default: dt.date | None = None
    file: str = ""
    stale: str | None = None  # [data] stale: "warn" / "error"; None = $CPT_ADDIN_HOME/config.toml

    def severity_for(self, rule: Rule | type[Rule]) -> str | None:
        """The rule's severity after overrides, or None when it is switched off."""
        level = self.levels.get(rule.rule_id, self.levels.get(rule.family, rule.severity))
        return None if level == OFF else level

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], file: str = "config") -> RuleConfig:
        """Validate a parsed TOML document (``[check]`` and ``[rules]`` tables)."""
        from addin.rules.registry import rule_classes

        unknown_tables = set(data) - {"check", "rules", "data"}
        if unknown_tables:
            raise InputFileError(
                file, f"unknown section(s) {sorted(unknown_tables)}: use [check], [rules] and [data]"
            )
        from addin.reference.currency import parse_policy

        data_options = dict(data.get("data", {}))
        unknown_data = set(data_options) - {"stale"}
        if unknown_data:
            raise InputFileError(file, f"unknown key(s) {sorted(unknown_data)} in [data]")
        stale = parse_policy(data_options.get("stale"), file)
        known = set(rule_classes()) | set(FAMILIES)
        levels: dict[str, str] = {}
        for key, value in dict(data.get("rules", {})).items():
            name = key if key in FAMILIES else key.upper()
            if name not in known:
                raise InputFileError(file, f"unknown rule {key!r} in [rules] (see cpt-addin rules)")
            level = str(value).strip().lower()
            if level not in LEVELS:
                raise InputFileError(
                    file, f"[rules] {key} = {value!r}: use error, warning, info or off"
                )
            levels[name] = level
        check = dict(data.get("check", {}))
        unknown_keys = set(check) - {"setting", "date_default"}
        if unknown_keys:
            raise InputFileError(file, f"unknown key(s) {sorted(unknown_keys)} in [check]")
        setting = check.get("setting")
        if setting is not None:
            from addin.codes import Setting

            try:
                setting = Setting.parse(setting).value
            except ValueError as exc:
                raise InputFileError(file, str(exc)) from None
        date_default = check.get("date_default")
        if isinstance(date_default, str):
            try:
                date_default = dt.date.fromisoformat(date_default)
            except ValueError:
                raise InputFileError(
                    file, f"[check] date_default {date_default!r} is not YYYY-MM-DD"
                ) from None
        elif isinstance(date_default, dt.datetime):
            date_default = date_default.date()
        return cls(
            levels=levels, setting=setting, date_default=date_default, file=file, stale=stale
        )


def load_config(config: str | Path | Mapping[str, Any] | RuleConfig | None) -> RuleConfig:
    """A :class:`RuleConfig` from a TOML path, a parsed mapping, or an existing config."""
    if config is None:
        return RuleConfig()
    if isinstance(config, RuleConfig):
        return config
    if isinstance(config, Mapping):
        return RuleConfig.from_mapping(config)
    path = Path(config)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(str(path), "config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(str(path), f"not valid TOML: {exc}") from None
    return RuleConfig.from_mapping(data, file=str(path))


def resolve_rules(selectors: Iterable[str], what: str = "--select") -> list[str]:
    """The rule ids that rule selectors name, in registry order.

    A selector is a rule id (``PTP001``), an id prefix (``PTP``, ``MOD00``) or a family
    (``modifier``), case-insensitive; several may be given comma-separated. Raises
    :class:`~addin.errors.CptAddinError` naming every selector that matches no rule, with the
    valid ids and families.
    """
    from addin.rules.registry import rule_classes

    classes = rule_classes()
    wanted: list[str] = []
    unknown: list[str] = []
    for item in selectors:
        for selector in (part.strip() for part in str(item).split(",")):
            if not selector:
                continue
            upper, lower = selector.upper(), selector.lower()
            matched = [
                rule_id
                for rule_id, rule in classes.items()
                if rule.family == lower or rule_id.startswith(upper)
            ]
            if not matched:
                unknown.append(selector)
            wanted.extend(m for m in matched if m not in wanted)
    if unknown:
        raise CptAddinError(
            f"{what}: unknown rule or family {', '.join(map(repr, unknown))}. "
            f"Rule ids: {', '.join(classes)}. Families: {', '.join(FAMILIES)}. "
            "An id prefix (PTP, MOD00) selects every rule it starts."
        )
    return [rule_id for rule_id in classes if rule_id in wanted]


def with_selection(
    config: RuleConfig | None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
) -> RuleConfig:
    """A copy of ``config`` where only the ``select``-ed rules (all when None) minus the
    ``ignore``-d ones run: the others are switched off, so they never run and their findings
    appear nowhere. Selecting never switches on a rule the config switched off."""
    config = config or RuleConfig()
    from addin.rules.registry import rule_classes

    every = list(rule_classes())
    keep = set(resolve_rules(select, "--select")) if select else set(every)
    keep -= set(resolve_rules(ignore, "--ignore")) if ignore else set()
    levels = dict(config.levels)
    for rule_id in every:
        if rule_id not in keep:
            levels[rule_id] = OFF
    return replace(config, levels=levels)
