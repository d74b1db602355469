// SPDX-License-Identifier: BSD-3-Clause
// Linked into every tool (an object library, so that it is always in the executable).
//
// How long an idle OpenMP thread spins before it sleeps. libgomp's default (no
// OMP_WAIT_POLICY, no GOMP_SPINCOUNT) is 300,000 spins, milliseconds, after every parallel
// region: while the main thread reads an image, loads a model or writes a result, the
// other threads spin. On the project's 2-CPU virtual machines that slowed the main thread's
// serial work: pxclassify train + predict of one 512 x 512 image (dsb2018, 2 threads, 30
// interleaved runs, paired medians) took 5-7 ms less with OMP_WAIT_POLICY=passive or
// GOMP_SPINCOUNT=1000 (of ~56 ms), 4.8 ms less with 10,000; ISBI's 20 slices 18 ms less
// (of 820) with 1,000 or 10,000 but 38 ms more with 0 (every parallel region then wakes
// sleeping threads); u2os's 10 images within noise. So a short spin, 1,000, unless the
// user set OMP_WAIT_POLICY or GOMP_SPINCOUNT.
//
// libgomp reads its environment once, in a constructor. Linked statically (the build's
// BIOFOREST_STATIC_OPENMP, on by default) that constructor is the executable's own, of
// default priority, and this one (priority 101) runs first. (With a shared libgomp the
// library's constructor runs before any of the executable's, and this default comes too
// late: libgomp keeps its own. A .preinit_array function would run early enough, but glibc
// resets the environment to the process's original one after it.)
#include <cstdlib>

namespace {

__attribute__((constructor(101))) void default_openmp_spin() {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  setenv("GOMP_SPINCOUNT", "1000", 0);
}

}  // namespace
