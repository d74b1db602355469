// SPDX-License-Identifier: BSD-3-Clause
// Times FeatureComputer (the planar hot path) on a raw float32 file; prints "name seconds".
// usage: features_bench RAW.f32 SHAPE(zyx|yx, e.g. 2048x2048) THREADS REPEATS [ONLY]
// (ONLY: time just this family, or "full")
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bioforest/features/compute.hpp"

using namespace bioforest;
using namespace bioforest::features;

int main(int argc, char** argv) {
  if (argc < 5) return 2;
  Shape shape;
  std::stringstream ss(argv[2]);
  std::string tok;
  while (std::getline(ss, tok, 'x'))
    shape.push_back(std::stoul(tok));
  const int threads = std::stoi(argv[3]), reps = std::stoi(argv[4]);
  std::size_t n = 1;
  for (auto s : shape)
    n *= s;
  std::vector<float> data(n);
  std::ifstream(argv[1], std::ios::binary).read(reinterpret_cast<char*>(data.data()), n * 4);
  const bool in3d = shape.size() == 3;
  const char* fams[] = {"GaussianSmoothing",
                        "LaplacianOfGaussian",
                        "GaussianGradientMagnitude",
                        "DifferenceOfGaussians",
                        "StructureTensorEigenvalues",
                        "HessianOfGaussianEigenvalues",
                        "full"};
  Shape bs = shape;
  bs.push_back(1);
  FeatureComputer::Workspace ws(threads);
  for (const char* f : fams) {
    if (argc > 5 && std::string(argv[5]) != f) continue;
    FeatureSelection sel = FeatureSelection::full_default();
    if (std::string(f) != "full") {
      sel = FeatureSelection::empty_default();
      for (double s : default_scales())
        if (s >= family_min_scale(parse_family(f))) sel.select(parse_family(f), s);
    }
    if (in3d) sel.compute_in_2d.assign(sel.scales.size(), false);
    FeatureComputer fc(sel, 1, in3d ? 3 : 2);
    std::vector<float> out(n * fc.n_channels());
    double best = 1e30, best_cpu = 1e30;  // CPU seconds: a load-independent second opinion
    auto cpu_now = [] {
      timespec ts;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    };
    for (int r = 0; r < reps + 1; ++r) {  // first run warms the workspace
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpu_now();
      fc.compute(data.data(), bs, Roi::whole(shape), BlockBorders::whole(), out.data(), ws);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0 && s < best) best = s;
      if (r > 0) best_cpu = std::min(best_cpu, cpu_now() - c0);
    }
    std::printf("%s %.4f %zu %.4f\n", f, best, fc.n_channels(), best_cpu);
    std::fflush(stdout);
  }
  return 0;
}
