# SPDX-License-Identifier: BSD-3-Clause
"""Suite-wide conventions (samtools' test_usage): every tool prints usage on --help, its
version on --version, exits 2 on an unknown flag, and suggests the dashed spelling for an
ilastik-style underscore flag."""
from clitest import expect_error, expect_ok, main, run, tools

EXPECTED = {"imginfo", "imgconvert", "pxclassify", "evaluate", "pxfeatures", "threshold", "objfeatures", "objclassify", "density", "autocontext"}


def test_expected_tools_are_built():
    missing = EXPECTED - set(tools())
    assert not missing, f"tools not built: {missing}"


def test_help_prints_usage_on_stdout():
    for t in tools():
        r = expect_ok(run(t, "--help"))
        assert "Usage" in r.out or "usage" in r.out.lower(), f"{t}: {r!r}"
        assert "--threads" in r.out and "--overwrite" in r.out, f"{t} lacks standard options"
        assert r.err == "", f"{t}: --help wrote to stderr: {r.err}"


def test_version():
    for t in tools():
        r = expect_ok(run(t, "--version"))
        assert r.out.startswith(f"{t} (bioforest) "), f"{t}: {r!r}"


def test_unknown_flag_exits_2():
    for t in tools():
        r = expect_error(run(t, "--no-such-flag"), 2, "--no-such-flag")
        assert f"Try '{t} --help'" in r.err


def test_underscore_flag_suggests_dashes():
    for t in tools():
        r = expect_error(run(t, "--no_such_flag"), 2)
        assert "did you mean --no-such-flag?" in r.err, f"{t}: {r!r}"


def test_bad_standard_option_values_exit_2():
    for t in tools():
        expect_error(run(t, "--threads", "0"), 2, "--threads")
        expect_error(run(t, "--threads", "abc"), 2)



def test_idle_openmp_threads_spin_briefly_unless_the_user_says():
    """The tools set libgomp's idle spin to 1000 before libgomp reads its environment
    (lib/startup/openmp_wait.cpp); a user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY wins."""
    unset = {"GOMP_SPINCOUNT": None, "OMP_WAIT_POLICY": None}
    for t in tools():
        r = expect_ok(run(t, "--version", env=unset))
        assert "GOMP_SPINCOUNT=1000" in r.out, f"{t}: {r!r}"
        r = expect_ok(run(t, "--version", env={**unset, "GOMP_SPINCOUNT": "5"}))
        assert "GOMP_SPINCOUNT=5" in r.out, f"{t}: {r!r}"
        r = expect_ok(run(t, "--version", env={**unset, "OMP_WAIT_POLICY": "active"}))
        assert "OMP_WAIT_POLICY=active" in r.out and "GOMP_SPINCOUNT" not in r.out, f"{t}: {r!r}"


def test_start_up_skips_highways_timer_measurement():
    """libhwy 1.0's static initializer measures a benchmark timer (~4 ms of every start);
    each tool defines that function itself (lib/startup/hwy_timer.cpp) so that the
    initializer calls ours. The dynamic loader's binding log shows which one it called."""
    for t in tools():
        r = expect_ok(run(t, "--version", env={"LD_DEBUG": "bindings"}))
        calls = [line for line in r.err.splitlines()
                 if "libhwy" in line and "TimerResolution" in line]
        if not calls:
            continue  # a libhwy that no longer measures it at start-up
        assert all(f"/{t} [0]" in line for line in calls), f"{t}: {calls}"

if __name__ == "__main__":
    main()
