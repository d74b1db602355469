# SPDX-License-Identifier: BSD-3-Clause
"""A tiny harness for CLI tests: run a built tool, check exit code, stderr and outputs.

Each tests/cli/test_<tool>.py defines functions named test_*; `main()` runs them all in a
fresh temp folder each, prints one line per test and a closing 'N passed, M failed' line,
and exits non-zero on any failure. Run with Debian's python3:
    /usr/bin/python3 tests/cli/test_imginfo.py --bin build/tools
"""
import argparse
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
EXAMPLES = os.path.join(ROOT, "examples")
BIN = None


def shared(relative):
    """Path under ../shared, or None (tests that need it skip, saying so)."""
    root = os.environ.get("BIOFOREST_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")
    p = os.path.join(root, relative)
    return p if os.path.exists(p) else None


class Skip(Exception):
    pass


class Result:
    def __init__(self, args, proc):
        self.args = args
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run(tool, *args, env=None, cwd=None, timeout=600):
    """Runs a tool; `env` adds to the environment (a value of None unsets the variable)."""
    exe = os.path.join(BIN, tool)
    e = dict(os.environ)
    e.setdefault("OMP_NUM_THREADS", "2")
    e["NO_COLOR"] = "1"
    for k, v in (env or {}).items():  # None: unset
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    proc = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=e,
                          cwd=cwd, timeout=timeout)
    return Result(args, proc)


def expect_ok(r):
    assert r.code == 0, f"expected exit 0: {r!r}"
    return r


def expect_error(r, code, *needles):
    """Exit `code`, and a stderr whose error line names every needle."""
    assert r.code == code, f"expected exit {code}: {r!r}"
    err_lines = [l for l in r.err.splitlines() if "error" in l]
    assert err_lines, f"no error line on stderr: {r!r}"
    for n in needles:
        assert any(n in l for l in err_lines), f"'{n}' not in the error line: {r!r}"
    return r


def no_files_like(folder, stem):
    """No output and no leftover temporary file whose name contains `stem`."""
    left = [f for f in os.listdir(folder) if stem in f]
    assert not left, f"left behind: {left}"


def tools():
    return sorted(f for f in os.listdir(BIN)
                  if os.access(os.path.join(BIN, f), os.X_OK)
                  and os.path.isfile(os.path.join(BIN, f)))


def main():
    global BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="folder with the built tools")
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    args = ap.parse_args()
    BIN = os.path.abspath(args.bin)
    caller = inspect.stack()[1].frame.f_globals
    tests = [(n, f) for n, f in caller.items() if n.startswith("test_") and callable(f)
             and args.k in n]
    passed = failed = skipped = 0
    for name, fn in tests:
        tmp = tempfile.mkdtemp(prefix="bioforest-cli-")
        try:
            params = inspect.signature(fn).parameters
            fn(tmp) if params else fn()
            print(f"PASS {name}")
            passed += 1
        except Skip as s:
            print(f"SKIP {name}: {s}")
            skipped += 1
        except Exception:
            print(f"FAIL {name}")
            traceback.print_exc()
            failed += 1
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)
