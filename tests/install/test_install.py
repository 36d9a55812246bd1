"""The build installed into a scratch prefix, as a user installs it: the tool runs from there,
only the public headers are there, and examples/consumer builds against it with CMake
(find_package) and with pkg-config alone, and talks HTTP to itself."""
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WIREKIT_BUILD_DIR", ROOT / "build" / "dev"))
CONSUMER = ROOT / "examples" / "consumer"
# In the build tree under a fixed name, not a fresh /tmp folder: the consumer's compilations
# then look the same to ccache from one run to the next.
SCRATCH = BUILD / "install-test"
CCACHE = shutil.which("ccache")


def run(argv, **kwargs):
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600,
                            **kwargs)
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result


def cached(name):
    """A value of the build's CMakeCache.txt."""
    cache = (BUILD / "CMakeCache.txt").read_text()
    return re.search(rf"^{name}:[A-Z]+=(.*)$", cache, re.M)[1]


def project_version():
    return cached("CMAKE_PROJECT_VERSION")


@pytest.fixture(scope="module")
def prefix():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    try:
        run(["cmake", "--install", BUILD, "--prefix", SCRATCH / "prefix"])
        yield SCRATCH / "prefix"
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def expected_line():
    return f"wirekit {project_version()}: 200 Hello, consumer!\n"


def test_the_tool_runs_from_the_prefix(prefix):
    assert run([prefix / "bin" / "wirekit", "--version"]).stdout == \
        f"wirekit {project_version()}\n"


def test_the_public_headers_and_no_private_one_are_installed(prefix):
    public = {p.relative_to(ROOT / "include") for p in (ROOT / "include").rglob("*.hpp")}
    installed = {p.relative_to(prefix / "include") for p in (prefix / "include").rglob("*")
                 if p.is_file()}
    if cached("WIREKIT_WITH_CAPTURE") != "ON":
        public = {p for p in public if p.parts[1].removesuffix(".hpp") != "capture"}
    assert installed == public


def test_a_cmake_project_finds_the_package_and_links_a_layer(prefix):
    build = SCRATCH / "consumer-cmake"
    launcher = [f"-DCMAKE_CXX_COMPILER_LAUNCHER={CCACHE}"] if CCACHE else []
    run(["cmake", "-S", CONSUMER, "-B", build, "-G", "Ninja", "-DCMAKE_CXX_COMPILER=g++",
         f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF", *launcher])
    cache = (build / "CMakeCache.txt").read_text()
    assert f"wirekit_DIR:PATH={prefix}/" in cache, "found a wirekit other than the installed one"
    run(["cmake", "--build", build, "-j2"])
    assert run([build / "consumer"]).stdout == expected_line()


def test_pkg_config_gives_what_a_one_file_program_needs(prefix):
    env = dict(os.environ, PKG_CONFIG_PATH=str(next(prefix.rglob("wirekit.pc")).parent))
    assert run(["pkg-config", "--modversion", "wirekit"], env=env).stdout == \
        f"{project_version()}\n"
    flags = shlex.split(run(["pkg-config", "--cflags", "--libs", "wirekit"], env=env).stdout)
    program = SCRATCH / "consumer-pkg-config"
    compiler = [CCACHE, "g++"] if CCACHE else ["g++"]
    run([*compiler, CONSUMER / "main.cpp", "-o", program, *flags], cwd=SCRATCH)
    assert run([program]).stdout == expected_line()
