"""Reading scenario files (YAML; JSON loads too) and ``--set`` overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lambdasim.config.errors import MISSING, ConfigError, ConfigIssue, YamlLoader
from lambdasim.config.scenario import Scenario

__all__ = ["load", "loads", "parse_override"]


def loads(text: str, *, source: str | None = None, base_dir: Path | None = None) -> Scenario:
    """Validate a scenario from YAML text.

    Raises
    ------
    ConfigError
        For YAML syntax errors and for every invalid field, with line and column.
    """
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issue = ConfigIssue("", f"not valid YAML: {getattr(exc, 'problem', exc)}", MISSING)
        if mark is not None:
            issue.line, issue.col = mark.line + 1, mark.column + 1
        raise ConfigError([issue], source=source) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigIssue("", "a scenario must be a YAML mapping", MISSING, 1, 1)], source=source
        )
    try:
        return Scenario.from_dict(data, base_dir=base_dir, source=source)
    except ConfigError as exc:
        raise exc.locate(text) from None


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file (``ls.load("configs/quickstart.yaml")``).

    Relative paths inside the file (traces) are resolved against the file's directory.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue("", f"cannot read file: {exc.strerror}", MISSING)], source=str(path)
        ) from None
    return loads(text, source=str(path), base_dir=p.resolve().parent)


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``PATH=VALUE`` (the CLI's ``--set``); VALUE goes through the YAML scalar parser."""
    if "=" not in item:
        raise ConfigError([ConfigIssue(item, "expected PATH=VALUE", MISSING)], source="--set")
    path, raw = item.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return path.strip(), value
