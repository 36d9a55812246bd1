#!/usr/bin/python3
"""Checks every #include of include/wirekit/ and src/ against the layer table of
docs/architecture.md: a layer may include its own headers and those of the layers in its "uses"
column, and of theirs in turn. Prints one line per crossing include and exits 1.

    scripts/check_layers.py [--root DIR]   (DIR: the source tree, by default this one)
"""
import argparse
import re
import sys
from pathlib import Path

DOC = Path("docs") / "architecture.md"
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".ipp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
LAYER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class TableError(Exception):
    pass


def read_table(doc):
    """{layer: [the layers it uses]}, in the order of the table; raises TableError."""
    lines = doc.read_text().splitlines()
    header = next((i for i, line in enumerate(lines)
                   if re.match(r"^\|\s*layer\s*\|\s*uses\s*\|", line)), None)
    if header is None:
        raise TableError(f"{doc}: no table whose columns start with | layer | uses |")
    uses = {}
    for number, line in enumerate(lines[header + 2:], start=header + 3):
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        layer, used = cells[0], cells[1]
        if not LAYER_NAME.match(layer):
            continue  # apps/wirekit: the CLI over every layer, not a library
        names = [] if used in ("", "—", "-") else [name.strip() for name in used.split(",")]
        for name in names:
            if name not in uses:
                raise TableError(f"{doc}:{number}: layer {layer} uses {name}, "
                                 "which is not a layer above it in the table")
        uses[layer] = names
    return uses


def below(uses):
    """{layer: every layer it may include}: what it uses, and what those use in turn."""
    reach = {}
    for layer, used in uses.items():  # in table order: each used layer is done already
        reach[layer] = set(used).union(*(reach[name] for name in used))
    return reach


def layer_of(root, path):
    """The layer a file of the tree belongs to, or None (a header of the system, say)."""
    try:
        parts = path.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return None
    if len(parts) >= 3 and parts[:2] == ("include", "wirekit"):
        return parts[2].removesuffix(".hpp")
    if len(parts) >= 3 and parts[0] == "src":
        return parts[1]
    return None


def included_layer(root, layers, owner, source, quote, name):
    """The layer that `#include <name>` or `"name"` in `source` reaches, if any: searched as the
    compiler would (the file's own folder for quotes, include/, the folders of src/), then by
    name alone for a wirekit/ header that does not exist."""
    candidates = [source.parent / name] if quote == '"' else []
    candidates += [root / "include" / name, root / "src" / name, root / "src" / owner / name]
    candidates += [root / "src" / layer / name for layer in layers if layer != owner]
    for candidate in candidates:
        if candidate.is_file():
            return layer_of(root, candidate)
    if name.startswith("wirekit/"):
        return name.split("/")[1].removesuffix(".hpp")
    return None


def sources(root, layers):
    """(file, its layer) for every source file of include/wirekit/ and src/; files in a folder
    the table does not name come with layer None."""
    for top in (root / "include" / "wirekit", root / "src"):
        for path in sorted(top.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                layer = layer_of(root, path)
                yield path, layer if layer in layers else None


def check(root):
    """The violations, one line each."""
    uses = read_table(root / DOC)
    reach = below(uses)
    problems = []
    for path, owner in sources(root, uses):
        shown = path.relative_to(root)
        if owner is None:
            problems.append(f"{shown}: belongs to no layer of {DOC} (add a row for its folder)")
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = included_layer(root, uses, owner, path, match[1], match[2])
            if target is None or target == owner or target in reach[owner]:
                continue
            if target not in uses:
                problems.append(f"{shown}:{number}: layer {owner} includes {match[2]}, "
                                f"which belongs to no layer of {DOC}")
            else:
                problems.append(f"{shown}:{number}: layer {owner} includes {target} "
                                "(not below it)")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the source tree to check (default: this one)")
    root = parser.parse_args().root
    try:
        problems = check(root)
    except (TableError, OSError) as e:
        print(f"check_layers: {e}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_layers: {len(problems)} include(s) against the layer table of {DOC}",
              file=sys.stderr)
        return 1
    print(f"check_layers: every #include of include/wirekit/ and src/ follows {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
