"""scripts/check_layers.py on a copy of the tree with a crossing include planted in it: the
check names the file, the line and both layers, and fails."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_layers.py"


@pytest.fixture
def tree(tmp_path):
    for part in ("include", "src"):
        shutil.copytree(ROOT / part, tmp_path / part)
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "architecture.md", tmp_path / "docs")
    return tmp_path


def check(root):
    return subprocess.run(["/usr/bin/python3", SCRIPT, "--root", root], capture_output=True,
                          text=True, timeout=60)


def plant(root, relative, line):
    """Adds `line` after the first #include of the file; returns the line number it gets."""
    path = root / relative
    lines = path.read_text().splitlines(keepends=True)
    at = next(i for i, text in enumerate(lines) if text.startswith("#include")) + 1
    lines.insert(at, line + "\n")
    path.write_text("".join(lines))
    return at + 1


def test_the_copy_passes_as_the_tree_does(tree):
    result = check(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == \
        "check_layers: every #include of include/wirekit/ and src/ follows docs/architecture.md\n"


@pytest.mark.parametrize("relative, include, owner, target", [
    ("src/net/address.cpp", "#include <wirekit/http.hpp>", "net", "http"),
    ("src/crypto/fernet.cpp", "#include <wirekit/http/message.hpp>", "crypto", "http"),
    ("include/wirekit/core/task.hpp", "#include <wirekit/net/stream.hpp>", "core", "net"),
    ("src/capture/flow.cpp", "#include <wirekit/tls.hpp>", "capture", "tls"),
])
def test_a_public_header_of_a_layer_not_below_is_reported(tree, relative, include, owner,
                                                          target):
    number = plant(tree, relative, include)
    result = check(tree)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{relative}:{number}: layer {owner} includes {target} (not below it)"]


@pytest.mark.parametrize("relative, include, target", [
    ("src/net/tcp.cpp", '#include "openssl.hpp"', "tls"),  # another layer's private header
    ("src/crypto/openssl.hpp", '#include "tls/openssl.hpp"', "tls"),  # the old spelling
    ("src/net/tcp.cpp", '#include "openssl_support.hpp"', "openssl"),  # not net's to use
])
def test_a_private_header_of_another_layer_is_reported(tree, relative, include, target):
    number = plant(tree, relative, include)
    result = check(tree)
    assert result.returncode == 1
    owner = relative.split("/")[1]
    assert f"{relative}:{number}: layer {owner} includes {target} (not below it)" in \
        result.stdout.splitlines()


def test_what_the_layers_used_use_may_be_included(tree):
    plant(tree, "src/services/echo.cpp", "#include <wirekit/crypto/jwt.hpp>")  # via http
    plant(tree, "src/http/url.cpp", "#include <wirekit/core/task.hpp>")  # via net
    result = check(tree)
    assert result.returncode == 0, result.stdout


def test_the_table_is_the_rule(tree):
    doc = tree / "docs" / "architecture.md"
    text = doc.read_text()
    doc.write_text(text.replace("| capture | net, codec |", "| capture | net, codec, tls |"))
    plant(tree, "src/capture/flow.cpp", "#include <wirekit/tls.hpp>")
    assert check(tree).returncode == 0, "capture may use tls once the table says so"

    doc.write_text(text.replace("| net | core |", "| net | core, http |"))
    result = check(tree)
    assert result.returncode == 1
    assert "layer net uses http, which is not a layer above it in the table" in result.stderr


def test_a_folder_of_src_missing_from_the_table_is_reported(tree):
    (tree / "src" / "mail").mkdir()
    (tree / "src" / "mail" / "smtp.cpp").write_text("#include <wirekit/net.hpp>\n")
    result = check(tree)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "src/mail/smtp.cpp: belongs to no layer of docs/architecture.md (add a row for its folder)"]
