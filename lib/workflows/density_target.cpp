// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/density_target.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>

#include "bioforest/core/error.hpp"
#include "bioforest/core/text.hpp"
#include "bioforest/features/kernels.hpp"

namespace bioforest::workflows {

namespace {

// Which CSV column holds x, y, z, t (-1: absent), from a header row or the image's axes.
struct DotColumns {
  int x = 0, y = 1, z = -1, t = -1;
};

DotColumns columns_from_header(const std::vector<std::string>& cells, const std::string& path) {
  DotColumns c{-1, -1, -1, -1};
  for (std::size_t i = 0; i < cells.size(); ++i) {
    const std::string n = to_lower(cells[i]);
    if (n == "x")
      c.x = int(i);
    else if (n == "y")
      c.y = int(i);
    else if (n == "z")
      c.z = int(i);
    else if (n == "t")
      c.t = int(i);
  }
  if (c.x < 0 || c.y < 0) throw_input(path, "the header row names no 'x' and 'y' columns");
  return c;
}

DotColumns columns_from_image(const CanonicalImage& image) {
  DotColumns c;
  int next = 2;
  if (image.is_3d()) c.z = next++;
  if (image.t() > 1 || image.info().axes.has('t')) c.t = next++;
  return c;
}

// Rounds a coordinate and checks it lies in [0, extent).
std::size_t pixel_index(const std::string& cell, std::size_t extent, char axis,
                        const std::string& path, std::size_t line) {
  const double v = std::strtod(cell.c_str(), nullptr);
  const double r = std::floor(v + 0.5);
  if (!std::isfinite(v) || r < 0 || r >= double(extent))
    throw_input(path, "line " + std::to_string(line) + ": dot " + axis + " = " + cell +
                          " lies outside the image (0.." + std::to_string(extent - 1) + ")");
  return std::size_t(r);
}

// vigra's REFLECT index (x[-1] = x[1]) for any offset, folding as often as needed.
std::size_t reflect(std::ptrdiff_t i, std::size_t n) {
  if (n == 1) return 0;
  const std::ptrdiff_t period = 2 * std::ptrdiff_t(n - 1);
  i %= period;
  if (i < 0) i += period;
  return std::size_t(i < std::ptrdiff_t(n) ? i : period - i);
}

}  // namespace

std::vector<Dot> read_dots_csv(const std::string& path, const CanonicalImage& image) {
  std::ifstream in(path);
  if (!in) throw_input(path, "cannot open the dot file");
  const Shape& shape = image.spatial_shape();
  const bool vol = image.is_3d();
  DotColumns cols = columns_from_image(image);
  std::vector<Dot> dots;
  std::string line;
  std::size_t line_no = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_no;
    const auto cells = split_csv_row(line);
    if (cells.empty() || (cells.size() == 1 && cells[0].empty()) || cells[0].starts_with('#'))
      continue;
    if (first && !is_number(cells[0])) {
      cols = columns_from_header(cells, path);
      first = false;
      continue;
    }
    first = false;
    const int needed = std::max({cols.x, cols.y, cols.z, cols.t});
    if (int(cells.size()) <= needed)
      throw_input(path, "line " + std::to_string(line_no) + " has " + std::to_string(cells.size()) +
                            " columns, expected " + std::to_string(needed + 1) + " (x,y" +
                            (vol ? ",z" : "") + (cols.t >= 0 ? ",t" : "") + ")");
    for (int c : {cols.x, cols.y, cols.z, cols.t})
      if (c >= 0 && !is_number(cells[std::size_t(c)]))
        throw_input(path, "line " + std::to_string(line_no) + ": '" + cells[std::size_t(c)] +
                              "' is not a number");
    Dot d;
    const std::size_t x = pixel_index(cells[cols.x], shape.back(), 'x', path, line_no);
    const std::size_t y = pixel_index(cells[cols.y], shape[shape.size() - 2], 'y', path, line_no);
    if (vol) {
      const std::size_t z =
          cols.z >= 0 ? pixel_index(cells[cols.z], shape[0], 'z', path, line_no) : 0;
      d.pos = {z, y, x};
    } else {
      d.pos = {y, x};
    }
    if (cols.t >= 0) d.t = pixel_index(cells[cols.t], image.t(), 't', path, line_no);
    dots.push_back(std::move(d));
  }
  return dots;
}

std::vector<Dot> read_dots_image(const CanonicalImage& dots, std::uint32_t value) {
  const Shape& shape = dots.spatial_shape();
  const Roi whole = Roi::whole(shape);
  const std::size_t n = whole.size(), c = dots.channels();
  std::vector<float> data;
  std::vector<Dot> out;
  for (std::size_t t = 0; t < dots.t(); ++t) {
    dots.read_float(t, whole, data);
    for (std::size_t i = 0; i < n; ++i) {
      float v = 0;
      for (std::size_t k = 0; k < c; ++k)
        v = std::max(v, std::abs(data[i * c + k]));
      if (value ? v != float(value) : v == 0.0f) continue;
      Dot d;
      d.t = t;
      d.pos.resize(shape.size());
      std::size_t rem = i;
      for (std::size_t a = shape.size(); a-- > 0;) {
        d.pos[a] = rem % shape[a];
        rem /= shape[a];
      }
      out.push_back(std::move(d));
    }
  }
  return out;
}

void dot_density(const std::vector<Dot>& dots, std::size_t t, const Shape& shape, double sigma,
                 std::vector<float>& out) {
  const std::size_t rank = shape.size();
  const Roi whole = Roi::whole(shape);
  // Accumulate in double: a pixel can receive many overlapping dots.
  std::vector<double> acc(whole.size(), 0.0);
  const features::Kernel k = features::gaussian_kernel(sigma, 0, 2.0);
  const int r = k.radius;
  Shape strides(rank, 1);
  for (std::size_t a = rank - 1; a > 0; --a)
    strides[a - 1] = strides[a] * shape[a];
  // Per axis, the reflected target index of each kernel tap.
  std::vector<std::vector<std::size_t>> idx(rank, std::vector<std::size_t>(2 * r + 1));
  for (const Dot& d : dots) {
    if (d.t != t) continue;
    for (std::size_t a = 0; a < rank; ++a)
      for (int m = -r; m <= r; ++m)
        idx[a][m + r] = reflect(std::ptrdiff_t(d.pos[a]) + m, shape[a]) * strides[a];
    const std::size_t taps = 2 * std::size_t(r) + 1;
    if (rank == 2) {
      for (std::size_t i = 0; i < taps; ++i)
        for (std::size_t j = 0; j < taps; ++j)
          acc[idx[0][i] + idx[1][j]] += k.full[i] * k.full[j];
    } else {
      for (std::size_t h = 0; h < taps; ++h)
        for (std::size_t i = 0; i < taps; ++i)
          for (std::size_t j = 0; j < taps; ++j)
            acc[idx[0][h] + idx[1][i] + idx[2][j]] += k.full[h] * k.full[i] * k.full[j];
    }
  }
  out.resize(acc.size());
  for (std::size_t i = 0; i < acc.size(); ++i)
    out[i] = float(acc[i]);
}

}  // namespace bioforest::workflows
