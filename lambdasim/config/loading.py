"""Reading scenario files (YAML; JSON loads too) and ``--set`` overrides.

A scenario file is read defensively, since it is user input: bounded in size
(:data:`MAX_FILE_BYTES`), decoded as UTF-8 only (a byte-order mark is fine; UTF-16, Latin-1
and binary files are one clear error), composed with PyYAML's *safe* loader with a bound on
nesting (:data:`~lambdasim.config.errors.MAX_DEPTH`), and the composed node tree is checked
before anything is constructed: no Python or unknown tags, no duplicate keys (PyYAML silently
keeps the last one), and no alias expansion beyond :data:`MAX_NODES` nodes (a 600-byte "billion
laughs" file would otherwise take minutes and gigabytes in validation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lambdasim.config.errors import MISSING, ConfigError, ConfigIssue, YamlLoader
from lambdasim.config.scenario import Scenario

__all__ = ["MAX_FILE_BYTES", "MAX_NODES", "load", "loads", "parse_override", "read_config_text"]

#: Largest scenario file, bytes. The largest shipped config is a few KB and a wildcard config
#: of hundreds of trace functions well under 1 MB; 16 MB is generous and stops a trace or a
#: log file given by mistake from being parsed as YAML (PyYAML reads ~1 MB/s).
MAX_FILE_BYTES = 16 * 1024 * 1024

#: Most nodes (scalars, mappings, lists) a file may have once every alias is expanded. A 16 MB
#: file written out has a few million at most; aliases multiply without bound (each level of a
#: "billion laughs" file multiplies by ten), so their expansion is counted before construction.
MAX_NODES = 1_000_000

_PY_TAG = "tag:yaml.org,2002:python/"
_MERGE = "tag:yaml.org,2002:merge"


def read_config_text(path: str | Path) -> str:
    """The text of a scenario file: UTF-8 (with or without a byte-order mark) and at most 16 MB.

    Raises
    ------
    ConfigError
        One line naming the file: it cannot be read, is too large, is binary or UTF-16, or is
        not valid UTF-8 (with the line and column of the first bad byte).
    """
    p = Path(path)
    src = str(path)

    def bad(message: str, line: int | None = None, col: int | None = None) -> ConfigError:
        return ConfigError([ConfigIssue("", message, MISSING, line, col)], source=src)

    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise bad(
                f"file is {size / 1e6:.1f} MB, above the {MAX_FILE_BYTES // 2**20} MB limit for a "
                "scenario file (traces belong in their own file, named by arrivals.path)"
            )
        data = p.read_bytes()
    except OSError as exc:
        raise bad(f"cannot read file: {exc.strerror or exc}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise bad("file is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        raise bad(
            "binary data, not text: a NUL byte (UTF-16 text without a byte-order mark, or not a "
            "scenario file at all); save the scenario as UTF-8 text",
            line,
            col,
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise bad(
            f"not UTF-8: byte 0x{data[exc.start]:02X} cannot be decoded (Latin-1 or another "
            "legacy encoding?); save the file as UTF-8",
            line,
            col,
        ) from None


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``offset`` in ``data``."""
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def loads(text: str, *, source: str | None = None, base_dir: Path | None = None) -> Scenario:
    """Validate a scenario from YAML text.

    Raises
    ------
    ConfigError
        For YAML syntax errors, unsafe or oversized YAML, duplicate keys and for every invalid
        field, with line and column.
    """
    data = _parse(text, source)
    if not isinstance(data, dict):
        raise ConfigError(
            [ConfigIssue("", "a scenario must be a YAML mapping", MISSING, 1, 1)], source=source
        )
    try:
        return Scenario.from_dict(data, base_dir=base_dir, source=source)
    except ConfigError as exc:
        raise exc.locate(text) from None


def _parse(text: str, source: str | None) -> Any:
    """Compose ``text``, check the node tree (:func:`_check_tree`), then construct it."""
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError(
            [ConfigIssue("", f"text is above the {MAX_FILE_BYTES // 2**20} MB limit", MISSING)],
            source=source,
        )
    if "\x00" in text:
        raise ConfigError(
            [ConfigIssue("", "binary data, not text: a NUL character", MISSING)], source=source
        )
    loader = YamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        issues = _check_tree(root)
        if issues:
            raise ConfigError(issues, source=source)
        return loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issue = ConfigIssue("", f"not valid YAML: {getattr(exc, 'problem', exc)}", MISSING)
        if mark is not None:
            issue.line, issue.col = mark.line + 1, mark.column + 1
        raise ConfigError([issue], source=source) from None
    finally:
        loader.dispose()


def _check_tree(root: yaml.Node) -> list[ConfigIssue]:
    """Tags, duplicate keys and alias expansion of a composed document, one issue per problem.

    Each distinct node is visited once (an alias is a shared node), so the check is linear in
    the file even when the expansion is astronomically large.
    """
    issues: list[ConfigIssue] = []
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        issue = _tag_issue(node, path)
        if issue is not None:
            issues.append(issue)
            continue
        if isinstance(node, yaml.SequenceNode):
            stack.extend((v, _join(path, str(i))) for i, v in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else None
                if key is not None and k.tag != _MERGE:
                    if key in first:
                        issues.append(
                            ConfigIssue(
                                _join(path, key),
                                f"duplicate key (first at line {first[key].start_mark.line + 1})",
                                MISSING,
                                k.start_mark.line + 1,
                                k.start_mark.column + 1,
                            )
                        )
                    else:
                        first[key] = k
                stack.append((k, path))
                stack.append((v, _join(path, key) if key is not None else path))
    if not issues:
        issues += _expansion_issues(root)
    return issues


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _tag_issue(node: yaml.Node, path: str) -> ConfigIssue | None:
    """An issue for a Python object tag or a tag the safe loader has no constructor for."""
    tag = node.tag
    if tag in YamlLoader.yaml_constructors or tag == _MERGE:
        return None  # the merge key ``<<`` has no constructor: the loader flattens it
    short = tag.replace("tag:yaml.org,2002:", "!!")
    if tag.startswith(_PY_TAG):
        msg = (
            f"YAML tag '{short}' is not allowed: scenario files are read with a safe loader "
            "that never creates Python objects"
        )
    else:
        msg = f"unknown YAML tag '{short}': a scenario holds plain mappings, lists and scalars"
    return ConfigIssue(path, msg, MISSING, node.start_mark.line + 1, node.start_mark.column + 1)


def _expansion_issues(root: yaml.Node) -> list[ConfigIssue]:
    """An issue when aliases expand the document beyond :data:`MAX_NODES` nodes, or recurse.

    Sizes are counted bottom-up over distinct nodes (memoised), iteratively (no recursion).
    """
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        nid = id(node)
        kids = _children(node)
        if children_done:
            on_path.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in kids)
            if size[nid] > MAX_NODES:
                where = node.start_mark
                return [
                    ConfigIssue(
                        "",
                        f"YAML aliases expand to more than {MAX_NODES:,} nodes (the limit): "
                        "write the repeated parts out, or use fewer nested aliases",
                        MISSING,
                        where.line + 1,
                        where.column + 1,
                    )
                ]
            continue
        if nid in size:
            continue
        on_path.add(nid)
        stack.append((node, True))
        for c in kids:
            if id(c) in on_path:
                mark = c.start_mark
                return [
                    ConfigIssue(
                        "",
                        "a YAML alias refers to a node that contains it (a recursive structure)",
                        MISSING,
                        mark.line + 1,
                        mark.column + 1,
                    )
                ]
            if id(c) not in size:
                stack.append((c, False))
    return []


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for kv in node.value for n in kv]
    return []


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file (``ls.load("configs/quickstart.yaml")``).

    Relative paths inside the file (traces) are resolved against the file's directory.

    Raises
    ------
    ConfigError
        See :func:`read_config_text` and :func:`loads`.
    """
    p = Path(path)
    text = read_config_text(p)
    return loads(text, source=str(path), base_dir=p.resolve().parent)


def parse_override(item: str) -> tuple[str, Any]:
    """Parse ``PATH=VALUE`` (the CLI's ``--set``); VALUE goes through the YAML scalar parser."""
    if "=" not in item:
        raise ConfigError([ConfigIssue(item, "expected PATH=VALUE", MISSING)], source="--set")
    path, raw = item.split("=", 1)
    try:
        # The scenario file's own loader, so that 1e3 is a float here too.
        value = yaml.load(raw, Loader=YamlLoader) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return path.strip(), value
