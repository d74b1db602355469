# SPDX-License-Identifier: BSD-3-Clause
"""The bundled examples run as documented: the Makefile (and the Snakefile where Debian's
snakemake is installed) classify the example image end to end."""
import os
import shutil
import subprocess

from clitest import EXAMPLES, Skip, main
import clitest


def copy_example(tmp):
    dst = os.path.join(tmp, "nuclei")
    shutil.copytree(os.path.join(EXAMPLES, "nuclei"), dst)
    return dst


def test_makefile(tmp):
    if not shutil.which("make"):
        raise Skip("make is not installed")
    d = copy_example(tmp)
    r = subprocess.run(["make", "-C", d, f"BIN={clitest.BIN}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(d, "results", "nuclei_segmentation.h5"))
    # Up to date: a second run does nothing.
    r = subprocess.run(["make", "-C", d, "-q", f"BIN={clitest.BIN}"])
    assert r.returncode == 0


def test_snakefile(tmp):
    if not shutil.which("snakemake"):
        raise Skip("snakemake is not installed (apt-get install snakemake)")
    d = copy_example(tmp)
    r = subprocess.run(["snakemake", "-s", os.path.join(d, "Snakefile"), "-d", d, "-c", "2",
                        "--config", f"bin={clitest.BIN}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert os.path.exists(os.path.join(d, "results", "nuclei_probabilities.h5"))


if __name__ == "__main__":
    main()
