// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/workflows/objects/skeleton.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <queue>

#include "bioforest/workflows/objects/connected_components.hpp"

namespace bioforest::workflows {

void zhang_suen_thin(std::uint8_t* img, std::size_t H, std::size_t W) {
  // Work on a copy with a one-pixel background frame so every pixel has 8 neighbours.
  const std::size_t PW = W + 2, PH = H + 2;
  std::vector<std::uint8_t> a(PH * PW, 0);
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      a[(y + 1) * PW + x + 1] = img[y * W + x] != 0;
  // Neighbours P2..P9 of the paper: N, NE, E, SE, S, SW, W, NW.
  const std::ptrdiff_t pw = std::ptrdiff_t(PW);
  const std::array<std::ptrdiff_t, 8> off{-pw, -pw + 1, 1, pw + 1, pw, pw - 1, -1, -pw - 1};
  auto neighbours = [&](std::size_t i, std::array<int, 8>& p) {
    int b = 0;
    for (std::size_t k = 0; k < 8; ++k) {
      p[k] = a[std::size_t(std::ptrdiff_t(i) + off[k])];
      b += p[k];
    }
    return b;
  };
  // Only pixels with a background neighbour can go (the rule needs B <= 6), and a pixel's
  // neighbourhood changes only when a neighbour goes: the candidates are the border pixels,
  // then the neighbours of removed ones. Same result as scanning the image, in time
  // proportional to the area instead of area x iterations.
  std::vector<std::size_t> cand, next, del;
  std::vector<std::uint8_t> listed(a.size(), 0);
  std::array<int, 8> p;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] && neighbours(i, p) < 8) {
      cand.push_back(i);
      listed[i] = 1;
    }
  for (bool changed = true; changed;) {
    changed = false;
    for (int pass = 0; pass < 2; ++pass) {
      del.clear();
      for (const std::size_t i : cand) {
        if (!a[i]) continue;
        const int b = neighbours(i, p);
        if (b < 2 || b > 6) continue;
        int transitions = 0;  // 0 -> 1 patterns in the cyclic sequence P2..P9, P2
        for (std::size_t k = 0; k < 8; ++k)
          transitions += !p[k] && p[(k + 1) % 8];
        if (transitions != 1) continue;
        // P2 P4 P6 / P4 P6 P8 in the first pass, P2 P4 P8 / P2 P6 P8 in the second.
        const bool keep = pass == 0 ? (p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])
                                    : (p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6]);
        if (!keep) del.push_back(i);
      }
      for (const std::size_t i : del)
        a[i] = 0;
      if (del.empty()) continue;
      changed = true;
      // Next candidates: the surviving ones and the foreground neighbours of removed pixels.
      next.clear();
      for (const std::size_t i : cand)
        if (a[i])
          next.push_back(i);
        else
          listed[i] = 0;
      for (const std::size_t i : del)
        for (const std::ptrdiff_t o : off) {
          const auto j = std::size_t(std::ptrdiff_t(i) + o);
          if (a[j] && !listed[j]) {
            listed[j] = 1;
            next.push_back(j);
          }
        }
      std::swap(cand, next);
    }
  }
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      img[y * W + x] = a[(y + 1) * PW + x + 1];
}

std::size_t count_holes(const std::uint8_t* mask, std::size_t H, std::size_t W) {
  const std::size_t PW = W + 2, PH = H + 2;
  std::vector<std::uint8_t> bg(PH * PW, 1);
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      bg[(y + 1) * PW + x + 1] = mask[y * W + x] == 0;
  std::vector<std::uint32_t> lab(bg.size());
  // The frame is one background component (label 1, the first pixel); the rest are holes.
  return label_components(bg.data(), Shape{PH, PW}, Connectivity::indirect, lab.data()) - 1;
}

namespace {

// The skeleton as a graph on its pixels (in a crop with a background frame): 4-neighbours
// are joined by steps of 1, diagonal neighbours by steps of sqrt 2 unless they share a
// skeleton 4-neighbour (that would close a triangle at every corner of the curve).
struct Graph {
  std::size_t PW;
  const std::vector<std::uint8_t>& s;
  template <class F>
  void neighbours(std::size_t i, F&& f) const {
    const std::ptrdiff_t w = std::ptrdiff_t(PW), c = std::ptrdiff_t(i);
    for (const std::ptrdiff_t o : {-w, std::ptrdiff_t(-1), std::ptrdiff_t(1), w})
      if (s[std::size_t(c + o)]) f(std::size_t(c + o), 1.0);
    for (const std::ptrdiff_t dy : {-w, w})
      for (const std::ptrdiff_t dx : {-1, 1})
        if (s[std::size_t(c + dy + dx)] && !s[std::size_t(c + dy)] && !s[std::size_t(c + dx)])
          f(std::size_t(c + dy + dx), std::sqrt(2.0));
  }
  std::size_t degree(std::size_t i) const {
    std::size_t d = 0;
    neighbours(i, [&](std::size_t, double) { ++d; });
    return d;
  }
};

// Shortest path lengths from `src` over the graph; pred gives the path back.
void dijkstra(const Graph& g, std::size_t src, std::vector<double>& dist,
              std::vector<std::size_t>& pred) {
  dist.assign(g.s.size(), std::numeric_limits<double>::infinity());
  pred.assign(g.s.size(), src);
  using Item = std::pair<double, std::size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
  dist[src] = 0;
  q.push({0.0, src});
  while (!q.empty()) {
    const auto [d, i] = q.top();
    q.pop();
    if (d > dist[i]) continue;
    g.neighbours(i, [&](std::size_t j, double w) {
      if (d + w < dist[j]) {
        dist[j] = d + w;
        pred[j] = i;
        q.push({dist[j], j});
      }
    });
  }
}

struct Longest {
  double length = 0;
  std::size_t a = 0, b = 0;
  std::vector<std::size_t> pred;  // of the search from a
  std::vector<double> dist;
};

// The longest shortest path between two terminals; without terminals (closed curves) the
// farthest pair found by a double sweep.
Longest longest_path(const Graph& g, const std::vector<std::size_t>& pixels,
                     const std::vector<std::size_t>& terminals) {
  Longest best;
  best.a = best.b = pixels.front();
  std::vector<double> dist;
  std::vector<std::size_t> pred;
  auto farthest = [&](std::size_t from, const std::vector<std::size_t>& among) {
    dijkstra(g, from, dist, pred);
    for (const std::size_t t : among)
      if (std::isfinite(dist[t]) && (dist[t] > best.length || best.dist.empty())) {
        best.length = dist[t];
        best.a = from;
        best.b = t;
        best.pred = pred;
        best.dist = dist;
      }
  };
  if (terminals.empty()) {
    dijkstra(g, pixels.front(), dist, pred);
    std::size_t far = pixels.front();
    for (const std::size_t p : pixels)
      if (std::isfinite(dist[p]) && dist[p] > dist[far]) far = p;
    farthest(far, pixels);
  } else {
    for (const std::size_t t : terminals)
      farthest(t, terminals);
  }
  return best;
}

// Thinning stops about one local radius short of the object's ends, where vigra's
// skeleton reaches the boundary: continue each end in the direction of its last steps
// (the 8-neighbour step closest to it) while the next pixel is inside the object.
void extend_terminals(const Graph& g, std::vector<std::uint8_t>& s,
                      const std::vector<std::uint8_t>& inside,
                      const std::vector<std::size_t>& terminals) {
  const auto W = std::ptrdiff_t(g.PW);
  for (const std::size_t t : terminals) {
    // Walk back up to 4 steps along the branch.
    std::size_t prev = t, cur = t;
    for (int k = 0; k < 4; ++k) {
      std::size_t next = cur;
      g.neighbours(cur, [&](std::size_t j, double) {
        if (j != prev && next == cur) next = j;
      });
      if (next == cur || (cur != t && g.degree(cur) != 2)) break;
      prev = cur;
      cur = next;
    }
    if (cur == t) continue;  // an isolated pixel: no direction
    const std::ptrdiff_t dx = std::ptrdiff_t(t % g.PW) - std::ptrdiff_t(cur % g.PW);
    const std::ptrdiff_t dy = std::ptrdiff_t(t / g.PW) - std::ptrdiff_t(cur / g.PW);
    const std::ptrdiff_t sx = dx > 0 ? 1 : (dx < 0 ? -1 : 0), sy = dy > 0 ? 1 : (dy < 0 ? -1 : 0);
    std::ptrdiff_t step;
    if (std::abs(dx) > 2 * std::abs(dy))
      step = sx;
    else if (std::abs(dy) > 2 * std::abs(dx))
      step = sy * W;
    else
      step = sy * W + sx;
    for (auto p = std::ptrdiff_t(t) + step; inside[std::size_t(p)] && !s[std::size_t(p)]; p += step)
      s[std::size_t(p)] = 1;
  }
}

}  // namespace

SkeletonFeatures skeleton_features(const std::uint8_t* mask, std::size_t H, std::size_t W,
                                   const std::array<double, 2>& origin, double pruning) {
  SkeletonFeatures f;
  f.hole_count = double(count_holes(mask, H, W));
  std::vector<std::uint8_t> thin(mask, mask + H * W);
  zhang_suen_thin(thin.data(), H, W);
  const std::size_t PW = W + 2;
  std::vector<std::uint8_t> s((H + 2) * PW, 0);
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      s[(y + 1) * PW + x + 1] = thin[y * W + x] != 0;
  std::vector<std::uint8_t> inside(s.size(), 0);
  for (std::size_t y = 0; y < H; ++y)
    for (std::size_t x = 0; x < W; ++x)
      inside[(y + 1) * PW + x + 1] = mask[y * W + x] != 0;
  const Graph g{PW, s};
  std::vector<std::size_t> pixels, terminals;
  auto collect = [&] {
    pixels.clear();
    terminals.clear();
    for (std::size_t i = 0; i < s.size(); ++i)
      if (s[i]) {
        pixels.push_back(i);
        if (g.degree(i) == 1) terminals.push_back(i);
      }
  };
  collect();
  if (pixels.empty()) return f;

  // Prune once: walk from each terminal along degree-2 pixels; a spur that ends in a
  // junction and is shorter than the threshold goes (the junction stays).
  const double limit = pruning * longest_path(g, pixels, terminals).length;
  std::vector<std::size_t> drop, walk;
  for (const std::size_t t : terminals) {
    walk.assign(1, t);
    double len = 0;
    std::size_t prev = t, cur = t;
    for (;;) {
      std::size_t next = cur;
      double step = 0;
      std::size_t deg = 0;
      g.neighbours(cur, [&](std::size_t j, double w) {
        ++deg;
        if (j != prev && next == cur) {
          next = j;
          step = w;
        }
      });
      if ((cur != t && deg != 2) || next == cur) break;
      len += step;
      prev = cur;
      cur = next;
      walk.push_back(cur);
    }
    // `cur` is where the walk stopped: a junction (degree >= 3) or another terminal.
    if (g.degree(cur) >= 3 && len < limit) drop.insert(drop.end(), walk.begin(), walk.end() - 1);
  }
  for (const std::size_t i : drop)
    s[i] = 0;
  collect();
  extend_terminals(g, s, inside, terminals);
  collect();

  // Lengths and segments: every edge once; segments = edges leaving nodes of degree != 2,
  // counted from both ends, halved; a closed curve without such nodes is one segment.
  double twice_total = 0;
  std::size_t segment_ends = 0;
  for (const std::size_t i : pixels) {
    const std::size_t deg = g.degree(i);
    g.neighbours(i, [&](std::size_t, double w) { twice_total += w; });
    if (deg != 2) segment_ends += deg;
  }
  f.total_length = twice_total / 2;
  std::size_t segments = segment_ends / 2;
  if (segments == 0) segments = 1;  // a closed curve, or a single pixel
  f.average_length = f.total_length / double(segments);
  f.branch_count = double(terminals.size());

  const Longest lp = longest_path(g, pixels, terminals);
  f.diameter = lp.length;
  auto xy = [&](std::size_t i) {
    return std::array<double, 2>{double(i % PW) - 1 + origin[0], double(i / PW) - 1 + origin[1]};
  };
  f.terminal1 = xy(lp.a);
  f.terminal2 = xy(lp.b);
  f.euclidean_diameter =
      std::hypot(f.terminal1[0] - f.terminal2[0], f.terminal1[1] - f.terminal2[1]);
  // The centre: the path's pixel at half its length (walking back from b towards a).
  std::size_t c = lp.b;
  if (!lp.pred.empty())
    while (c != lp.a && lp.dist[c] > lp.length / 2)
      c = lp.pred[c];
  f.center = xy(c);
  return f;
}

}  // namespace bioforest::workflows
