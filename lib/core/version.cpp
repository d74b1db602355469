// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/core/version.hpp"

#include <hwy/targets.h>

#include <cstdlib>

#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef BIOFOREST_VERSION
#define BIOFOREST_VERSION "0.0.0"
#endif
#ifndef BIOFOREST_BUILD_TYPE
#define BIOFOREST_BUILD_TYPE "unknown"
#endif

namespace bioforest {

const char* version() {
  return BIOFOREST_VERSION;
}

std::string build_info() {
  std::string s;
  s += "compiler: " __VERSION__ "\n";
  s += "build type: " BIOFOREST_BUILD_TYPE "\n";
#ifdef _OPENMP
  s += "openmp: " + std::to_string(_OPENMP);
  // How idle threads wait (the tools default to a short spin: lib/startup/openmp_wait.cpp).
  for (const char* name : {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"})
    if (const char* value = std::getenv(name)) s += std::string(", ") + name + "=" + value;
  s += "\n";
#else
  s += "openmp: off\n";
#endif
  s += "simd targets (runtime dispatch):";
  for (auto t : hwy::SupportedAndGeneratedTargets())
    s += std::string(" ") + hwy::TargetName(t);
  s += "\n";
  return s;
}

}  // namespace bioforest
