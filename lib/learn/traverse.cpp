// SPDX-License-Identifier: BSD-3-Clause
// The partitioning block walk with Highway (see traverse.hpp for the scheme).
#include "traverse.hpp"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "learn/traverse.cpp"  // relative to lib/, a private include dir
#include <hwy/foreach_target.h>                  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace bioforest::learn::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// Writes the lanes of id selected by `take` to out[next, ...), in order, and returns the
/// next free entry. A plain store while a whole vector fits before `part_end` (the lanes it
/// writes past the selected ones, later appends overwrite); masked at the part's end, past
/// which lie pending nodes' ids.
template <class D>
HWY_INLINE std::int32_t AppendToPart(D d, hn::Vec<D> id, hn::Mask<D> take,
                                     std::int32_t* HWY_RESTRICT out, std::int32_t next,
                                     std::int32_t part_end) {
  const auto n = std::int32_t(hn::CountTrue(d, take));
  if (next + std::int32_t(hn::Lanes(d)) <= part_end)
    hn::StoreU(hn::Compress(id, take), d, out + next);
  else
    hn::BlendedStore(hn::Compress(id, take), hn::FirstN(d, std::size_t(n)), d, out + next);
  return next + n;
}

/// base[ids[0]], ..., base[ids[N - 1]]. With AVX-512, from 16 scalar loads inserted four
/// lanes at a time: on this Zen 4 a 16-lane vgatherdps took ~7 ns in a microbenchmark of
/// the partition's first pass (sets of 256 ids in runs of ~4 over 1.6 MB of planes) and
/// these loads ~4-5 ns (a stack buffer of 16 scalar stores and one vector load, 6-10 ns:
/// the load waits for the stores). Other targets, not measured, keep Highway's gather.
template <class DF>
HWY_INLINE hn::Vec<DF> LoadAtIds(DF df, const float* HWY_RESTRICT base,
                                 const std::int32_t* HWY_RESTRICT ids) {
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX3
  static_assert(hn::MaxLanes(df) == 16);
  __m128 part[4];
  for (int q = 0; q < 4; ++q) {
    const std::int32_t* p = ids + 4 * q;
    part[q] = _mm_setr_ps(base[p[0]], base[p[1]], base[p[2]], base[p[3]]);
    // Keeps the compiler from loading all 16 ids first and running out of registers
    // (5 % slower than these four steps).
    asm volatile("" ::: "memory");
  }
  const __m256 lo = _mm256_set_m128(part[1], part[0]), hi = _mm256_set_m128(part[3], part[2]);
  return hn::Vec<DF>{_mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1)};
#else
  return hn::GatherIndex(df, base, hn::LoadU(hn::RebindToSigned<DF>(), ids));
#endif
}

/// Splits the ids in[b, e) of a split node into out[b, e): left-going ids to the front,
/// right-going ids to the back; returns where the right ones start. Two passes: the first
/// reads the node's feature at the ids (LoadAtIds, or a gather for other sample strides),
/// compares and keeps each vector's mask bits (and counts the right ones); the second,
/// knowing where the right part starts, writes both parts forward with plain stores,
/// masked only where a store would reach past its part. In one pass (the right part
/// written backwards from e with masked stores, each store's address waiting on the read
/// and count before it) the walk took ~4 % more (forest bench, 1 thread, 20k samples, 2
/// and 4 classes; ~7 % with the 200k forest's deeper trees). Reading one buffer and
/// writing the other keeps stores from overlapping the loads that follow them.
/// kUnitStride: planar samples (sample stride 1), whose values LoadAtIds reads. Not
/// inlined: inside AccumulateTreeImpl those scalar loads lacked general registers (ids
/// parked in vector registers, the walk 11 % slower).
template <bool kUnitStride>
HWY_NOINLINE std::int32_t Partition(const float* HWY_RESTRICT x, std::int32_t feature_offset,
                                    float threshold, std::int32_t sample_stride,
                                    const std::int32_t* HWY_RESTRICT in,
                                    std::int32_t* HWY_RESTRICT out, std::int32_t b, std::int32_t e,
                                    bool in_order) {
  const hn::ScalableTag<std::int32_t> di;
  const hn::ScalableTag<float> df;
  const auto N = std::int32_t(hn::Lanes(di));
  constexpr std::size_t kMaskBytes = (hn::MaxLanes(di) + 7) / 8;  // per vector
  HWY_ALIGN std::uint8_t right_bits[(kWalkMaxSamples / hn::MaxLanes(di) + 1) * kMaskBytes];
  HWY_DASSERT(e - b <= std::int32_t(kWalkMaxSamples));
  const auto vfo = hn::Set(di, feature_offset);
  const auto vss = hn::Set(di, sample_stride);
  const auto vt = hn::Set(df, threshold);
  std::int32_t n_right = 0;
  std::uint8_t* bits = right_bits;
  // Whole vectors, then the last one (if partial) under a mask of its lanes before e: a
  // mask computed per vector (FirstN of e - j, a compare and branch) cost ~3 % of the walk.
  const std::int32_t whole_end = b + (e - b) / N * N;
  const auto split = [&](std::int32_t j, auto valid) {
    const auto id = hn::LoadU(di, in + j);
    // At the root the ids are b, b+1, ...: with planar features the values are contiguous.
    const auto v = in_order      ? hn::LoadU(df, x + feature_offset + j)
                   : kUnitStride ? LoadAtIds(df, x + feature_offset, in + j)
                                 : hn::GatherIndex(df, x, hn::Add(hn::Mul(id, vss), vfo));
    // Right iff !(v < t): NaN goes right, as in the scalar walk (its row is zeroed anyway).
    const auto right = hn::And(hn::RebindMask(di, hn::Not(hn::Lt(v, vt))), valid);
    n_right += std::int32_t(hn::CountTrue(di, right));
    hn::StoreMaskBits(di, right, bits);
    bits += kMaskBytes;
  };
  std::int32_t j = b;
  for (; j < whole_end; j += N)
    split(j, hn::FirstN(di, std::size_t(N)));
  // Lanes past e hold other nodes' ids (valid samples, safe to read) or padding zeros.
  if (j < e) split(j, hn::FirstN(di, std::size_t(e - j)));
  const std::int32_t mid = e - n_right;
  std::int32_t nl = b, nr = mid;  // next left and right slots
  bits = right_bits;
  const auto append = [&](std::int32_t j, auto valid) {
    const auto id = hn::LoadU(di, in + j);
    const auto right = hn::LoadMaskBits(di, bits);
    const auto left = hn::AndNot(right, valid);
    nl = AppendToPart(di, id, left, out, nl, mid);
    nr = AppendToPart(di, id, right, out, nr, e);
    bits += kMaskBytes;
  };
  for (j = b; j < whole_end; j += N)
    append(j, hn::FirstN(di, std::size_t(N)));
  if (j < e) append(j, hn::FirstN(di, std::size_t(e - j)));
  return mid;
}

/// The exit slots of U vectors of samples starting at j for one tree (see TopLevels).
/// The bits a sample loses are OR-ed in under the compare's mask: one merge-masked vpord
/// per vector and node on AVX-512 (OR-ing a zero-masked broadcast of the bits took two ops
/// and a load per vector: ~5 % slower overall), and the threshold, offset and bits each
/// node loads serve U vectors (U = 4 within noise of 2 with a top of 5 levels, faster with
/// 4 levels: TopSlotsImpl).
/// Right iff v >= t: a NaN feature goes left here and right in Partition, which is
/// harmless because such samples get all-zero output.
template <int U>
HWY_INLINE void TopSlotsOfVectors(const TopLevels& top, const float* HWY_RESTRICT x, std::size_t j,
                                  std::uint8_t* HWY_RESTRICT out) {
  const hn::ScalableTag<std::int32_t> di;
  const hn::ScalableTag<float> df;
  const hn::Rebind<std::uint8_t, decltype(di)> d8;
  const std::size_t N = hn::Lanes(di);
  hn::Vec<decltype(di)> gone[U];  // slot bits cleared so far
  for (int u = 0; u < U; ++u)
    gone[u] = hn::Zero(di);
  for (std::int32_t s = 0; s < top.n_split; ++s) {
    const float* p = x + top.feature_offset[s] + j;
    const auto t = hn::Set(df, top.threshold[s]);
    const auto c = hn::Set(di, std::int32_t(top.cleared[s]));
    for (int u = 0; u < U; ++u) {
      const auto right = hn::RebindMask(di, hn::Ge(hn::LoadU(df, p + u * N), t));
      gone[u] = hn::IfThenElse(right, hn::Or(gone[u], c), gone[u]);
    }
  }
  for (int u = 0; u < U; ++u) {
    // Index of the lowest set bit: isolate it, and read the exponent of its float value
    // (exact for a power of two; bit 31 converts to -2^31, same exponent).
    const auto bits = hn::Not(gone[u]);
    const auto low = hn::And(bits, hn::Sub(hn::Zero(di), bits));
    const auto expo =
        hn::And(hn::ShiftRight<23>(hn::BitCast(di, hn::ConvertTo(df, low))), hn::Set(di, 0xFF));
    hn::StoreU(hn::DemoteTo(d8, hn::Sub(expo, hn::Set(di, 127))), d8, out + u * N);
  }
}

/// slots[t * n + i] = the top slot where sample i leaves the top levels of tree t (see
/// TopLevels), for `count` trees. Tree-inner: four vectors of samples are evaluated for
/// every tree while their feature lines (one per feature) stay in L1; tree-outer runs
/// streamed each tree's ~20 features of the whole block from L2/L3 and stalled on the
/// loads. Four vectors rather than two since the top is 4 levels deep (each node's
/// threshold, bits and offset then serve 64 samples): forest bench, 2 threads, 20k samples,
/// 2 classes 0.760 -> 0.730 s and 0.769 -> 0.751 s (medians of two sets of 7 interleaved
/// runs), 4 classes 1.341 -> 1.313 s, 200k samples 2.11 -> 1.88 s; three vectors slower.
HWY_NOINLINE void TopSlotsImpl(const TopLevels* HWY_RESTRICT tops, std::size_t count,
                               const float* HWY_RESTRICT x, std::size_t n,
                               std::uint8_t* HWY_RESTRICT slots) {
  const hn::ScalableTag<std::int32_t> di;
  const std::size_t N = hn::Lanes(di);
  std::size_t j = 0;
  for (; j + 4 * N <= n; j += 4 * N)
    for (std::size_t t = 0; t < count; ++t)
      TopSlotsOfVectors<4>(tops[t], x, j, slots + t * n + j);
  for (; j + N <= n; j += N)
    for (std::size_t t = 0; t < count; ++t)
      TopSlotsOfVectors<1>(tops[t], x, j, slots + t * n + j);
  for (; j < n; ++j) {  // the tail, without reading past the block
    for (std::size_t t = 0; t < count; ++t) {
      const TopLevels& top = tops[t];
      std::uint32_t bits = ~0u;
      for (std::int32_t s = 0; s < top.n_split; ++s)
        if (x[top.feature_offset[s] + std::ptrdiff_t(j)] >= top.threshold[s])
          bits &= ~top.cleared[s];
      slots[t * n + j] = std::uint8_t(__builtin_ctz(bits));
    }
  }
}

/// ids[end[s] .. end[s + 1]) = the samples i < n with slots[i] == s, ascending (s < 32): the
/// same grouping as a counting sort, built from runs of equal slots. Neighbouring pixels
/// mostly share their exit, so the runs are long: 64 slots are compared with their left
/// neighbours at once, and each run is written as one masked vector store of consecutive
/// ids. `runs` is scratch for n + 1 entries.
HWY_INLINE void GroupBySlotRuns(const std::uint8_t* HWY_RESTRICT slots, std::size_t n,
                                std::int32_t* HWY_RESTRICT ids, std::int32_t* HWY_RESTRICT end,
                                std::int32_t* HWY_RESTRICT runs) {
  const hn::ScalableTag<std::uint8_t> d8;
  const hn::ScalableTag<std::int32_t> di;
  const std::size_t N8 = hn::Lanes(d8), N = hn::Lanes(di);
  std::size_t n_runs = 0;
  if (n == 0) {
    std::fill(end, end + 33, 0);
    return;
  }
  runs[n_runs++] = 0;
  std::size_t i = 1;
  for (; i + N8 <= n; i += N8) {
    const auto ne = hn::Ne(hn::LoadU(d8, slots + i), hn::LoadU(d8, slots + i - 1));
    std::uint64_t bits = 0;
    hn::StoreMaskBits(d8, ne, reinterpret_cast<std::uint8_t*>(&bits));
    while (bits) {
      runs[n_runs++] = std::int32_t(i + std::size_t(__builtin_ctzll(bits)));
      bits &= bits - 1;
    }
  }
  for (; i < n; ++i)
    if (slots[i] != slots[i - 1]) runs[n_runs++] = std::int32_t(i);
  runs[n_runs] = std::int32_t(n);
  std::int32_t next[32] = {};
  for (std::size_t r = 0; r < n_runs; ++r)
    next[slots[runs[r]]] += runs[r + 1] - runs[r];
  std::int32_t sum = 0;
  for (int s = 0; s < 32; ++s) {
    end[s] = sum;
    sum += next[s];
    next[s] = end[s];
  }
  end[32] = sum;
  const auto iota = hn::Iota(di, 0);
  for (std::size_t r = 0; r < n_runs; ++r) {
    std::int32_t b = runs[r];
    const std::int32_t e = runs[r + 1];
    std::int32_t* out = ids + next[slots[b]];
    next[slots[b]] += e - b;
    for (; b < e; b += std::int32_t(N), out += N)
      hn::BlendedStore(hn::Add(iota, hn::Set(di, b)), hn::FirstN(di, std::size_t(e - b)), di, out);
  }
}

/// Adds the leaf's values to the samples in[b, e) that reached it: with one-hot leaves a
/// vote for its class (class 0's votes are implied), else its values.
HWY_INLINE void AddLeaf(const WalkTree& t, std::int32_t node, const std::int32_t* in,
                        std::int32_t b, std::int32_t e, float* HWY_RESTRICT acc,
                        std::uint16_t* HWY_RESTRICT votes) {
  if (t.leaf_class) {
    const std::size_t c = t.leaf_class[t.leaf[node]], w1 = t.width - 1;
    if (c == 0) return;
    for (std::int32_t j = b; j < e; ++j)
      ++votes[std::size_t(in[j]) * w1 + c - 1];
    return;
  }
  const float* v = t.values + std::size_t(t.leaf[node]) * t.width;
  if (t.width == 2) {
    for (std::int32_t j = b; j < e; ++j) {
      float* a = acc + std::size_t(in[j]) * 2;
      a[0] += v[0];
      a[1] += v[1];
    }
  } else {
    for (std::int32_t j = b; j < e; ++j) {
      float* a = acc + std::size_t(in[j]) * t.width;
      for (std::size_t k = 0; k < t.width; ++k)
        a[k] += v[k];
    }
  }
}

/// The remaining leaf bits (W words) of U vectors of samples starting at j for one small
/// tree (see LeafMasks): a merge-masked OR per vector, word and split node, as
/// TopSlotsOfVectors. Right iff v >= t (a NaN feature goes left; its row gets all-zero
/// output anyway).
template <int U, int W, class DU>
HWY_INLINE void LeafBitsOfVectors(DU du, const LeafMasks& tree, const float* HWY_RESTRICT x,
                                  std::size_t j, hn::Vec<DU> (&bits)[W][U]) {
  const hn::Rebind<float, DU> df;
  const std::size_t N = hn::Lanes(du);
  hn::Vec<DU> gone[W][U];
  for (int w = 0; w < W; ++w)
    for (int u = 0; u < U; ++u)
      gone[w][u] = hn::Zero(du);
  // Split nodes [b, e) clear bits of words [w0, w1).
  const auto clear = [&](std::int32_t b, std::int32_t e, int w0, int w1) {
    for (std::int32_t s = b; s < e; ++s) {
      const float* p = x + tree.feature_offset[s] + j;
      const auto t = hn::Set(df, tree.threshold[s]);
      for (int u = 0; u < U; ++u) {
        const auto right = hn::RebindMask(du, hn::Ge(hn::LoadU(df, p + u * N), t));
        for (int w = w0; w < w1; ++w)
          gone[w][u] = hn::IfThenElse(
              right, hn::Or(gone[w][u], hn::Set(du, tree.left_leaves[w][s])), gone[w][u]);
      }
    }
  };
  if constexpr (W == 2) {
    clear(0, tree.n_both, 0, 2);
    clear(tree.n_both, tree.n_first, 0, 1);
    clear(tree.n_first, tree.n_split, 1, 2);
  } else {
    clear(0, tree.n_split, 0, 1);
  }
  for (int w = 0; w < W; ++w)
    for (int u = 0; u < U; ++u)
      bits[w][u] = hn::Not(gone[w][u]);
}

/// The exit leaf bit of sample j of a small tree, one sample at a time (block tails).
HWY_INLINE int LeafBitOfSample(const LeafMasks& tree, const float* HWY_RESTRICT x, std::size_t j) {
  std::uint64_t bits = ~std::uint64_t(0);
  for (std::int32_t s = 0; s < tree.n_split; ++s)
    if (x[tree.feature_offset[s] + std::ptrdiff_t(j)] >= tree.threshold[s])
      bits &=
          ~(std::uint64_t(tree.left_leaves[0][s]) | std::uint64_t(tree.left_leaves[1][s]) << 32);
  return __builtin_ctzll(bits);
}

/// The exit leaf's bit of each lane (its lowest set bit), per word: in word 1 only where
/// word 0 has none.
template <int W, class DU>
struct ExitBits {
  hn::Vec<DU> low[W];
  hn::Mask<DU> in_first;  ///< W == 2: the exit lies in word 0

  ExitBits(DU du, const hn::Vec<DU> (&bits)[W]) {
    const auto zero = hn::Zero(du);
    for (int w = 0; w < W; ++w)
      low[w] = hn::And(bits[w], hn::Sub(zero, bits[w]));
    in_first = hn::Ne(bits[0], zero);
  }
  /// Lanes whose exit leaf is of class c + 1.
  hn::Mask<DU> of_class(DU du, const LeafMasks& tree, int c) const {
    const auto zero = hn::Zero(du);
    auto hit = hn::Ne(hn::And(low[0], hn::Set(du, tree.class_leaves[c][0])), zero);
    if constexpr (W == 2) {
      const auto hit1 = hn::Ne(hn::And(low[1], hn::Set(du, tree.class_leaves[c][1])), zero);
      hit = hn::Or(hit, hn::AndNot(in_first, hit1));
    }
    return hit;
  }
};

/// Adds to sum[c][u] (lanes of U vectors of samples from j) the votes of one small tree for
/// classes c + 1 < `classes` + 1, with W words of leaf bits.
template <int U, int W, int C, class DU>
HWY_INLINE void AddTreeVotes(DU du, const LeafMasks& tree, const float* HWY_RESTRICT x,
                             std::size_t j, int classes, hn::Vec<DU> (&sum)[C][U]) {
  hn::Vec<DU> bits[W][U];
  LeafBitsOfVectors<U, W>(du, tree, x, j, bits);
  const auto one = hn::Set(du, 1);
  for (int u = 0; u < U; ++u) {
    hn::Vec<DU> b[W];
    for (int w = 0; w < W; ++w)
      b[w] = bits[w][u];
    const ExitBits<W, DU> exit(du, b);
    for (int c = 0; c < C && c < classes; ++c)
      sum[c][u] = hn::Add(sum[c][u], hn::IfThenElseZero(exit.of_class(du, tree, c), one));
  }
}

/// votes[i * classes + c] += the number of the `count` trees whose exit leaf is of class
/// c + 1, for U vectors of samples from j (classes <= C). Tree-inner, as TopSlotsImpl: the
/// vectors' feature lines stay in L1 while every tree of the group reads them, and the counts
/// stay in registers.
template <int U, int C>
HWY_INLINE void SmallTreeVotesOfVectors(const LeafMasks* HWY_RESTRICT trees, std::size_t count,
                                        const float* HWY_RESTRICT x, std::size_t j, int classes,
                                        std::uint16_t* HWY_RESTRICT votes) {
  const hn::ScalableTag<std::int32_t> di;
  const std::size_t N = hn::Lanes(di);
  hn::Vec<decltype(di)> sum[C][U];
  for (int c = 0; c < C; ++c)
    for (int u = 0; u < U; ++u)
      sum[c][u] = hn::Zero(di);
  for (std::size_t t = 0; t < count; ++t) {
    if (trees[t].words == 1)
      AddTreeVotes<U, 1>(di, trees[t], x, j, classes, sum);
    else
      AddTreeVotes<U, 2>(di, trees[t], x, j, classes, sum);
  }
  if (classes == 1) {
    const hn::Rebind<std::uint16_t, decltype(di)> d16;
    for (int u = 0; u < U; ++u) {
      std::uint16_t* v = votes + j + u * N;
      hn::StoreU(hn::Add(hn::LoadU(d16, v), hn::DemoteTo(d16, sum[0][u])), d16, v);
    }
    return;
  }
  // Several classes: the rows' counts are interleaved, added lane by lane.
  HWY_ALIGN std::int32_t lanes[hn::MaxLanes(di)];
  for (int c = 0; c < classes; ++c)
    for (int u = 0; u < U; ++u) {
      hn::Store(sum[c][u], di, lanes);
      std::uint16_t* v = votes + (j + std::size_t(u) * N) * std::size_t(classes) + std::size_t(c);
      for (std::size_t l = 0; l < N; ++l)
        v[l * std::size_t(classes)] = std::uint16_t(v[l * std::size_t(classes)] + lanes[l]);
    }
}

/// The votes of samples [j, n) one at a time (block tails, without reading past the block).
HWY_INLINE void SmallTreeVotesOfSamples(const LeafMasks* HWY_RESTRICT trees, std::size_t count,
                                        const float* HWY_RESTRICT x, std::size_t j, std::size_t n,
                                        int classes, std::uint16_t* HWY_RESTRICT votes) {
  for (; j < n; ++j)
    for (std::size_t t = 0; t < count; ++t) {
      const int b = LeafBitOfSample(trees[t], x, j);
      for (int c = 0; c < classes; ++c)
        if ((trees[t].class_leaves[c][b >> 5] >> (b & 31)) & 1)
          ++votes[j * std::size_t(classes) + std::size_t(c)];
    }
}

template <int U, int C>
HWY_INLINE std::size_t SmallTreeVotes(const LeafMasks* HWY_RESTRICT trees, std::size_t count,
                                      const float* HWY_RESTRICT x, std::size_t n, int classes,
                                      std::uint16_t* HWY_RESTRICT votes) {
  const hn::ScalableTag<std::int32_t> di;
  const std::size_t N = hn::Lanes(di);
  std::size_t j = 0;
  for (; j + U * N <= n; j += U * N)
    SmallTreeVotesOfVectors<U, C>(trees, count, x, j, classes, votes);
  for (; j + N <= n; j += N)
    SmallTreeVotesOfVectors<1, C>(trees, count, x, j, classes, votes);
  return j;
}

HWY_NOINLINE void AddSmallTreesImpl(const LeafMasks* HWY_RESTRICT trees, std::size_t count,
                                    std::size_t width, const float* HWY_RESTRICT x, std::size_t n,
                                    std::uint16_t* HWY_RESTRICT votes) {
  const int classes = int(width) - 1;
  // Two classes (one count per sample, 4 vectors at a time: 2 took ISBI 0.78 s, 1 0.90 s,
  // against 0.72 s), up to 3 counts in registers, more with fewer vectors.
  const std::size_t j = classes == 1   ? SmallTreeVotes<4, 1>(trees, count, x, n, classes, votes)
                        : classes <= 3 ? SmallTreeVotes<4, 3>(trees, count, x, n, classes, votes)
                                       : SmallTreeVotes<1, kLeafMaskMaxClasses - 1>(
                                             trees, count, x, n, classes, votes);
  SmallTreeVotesOfSamples(trees, count, x, j, n, classes, votes);
}

/// Below this many samples a node's samples finish their walk one by one (WalkToLeaves):
/// a partition costs a queue entry and a mostly empty vector per node, for every node of the
/// subtree below. Deep forests have many such nodes (trees of 200k samples, ~3500 nodes:
/// 60 % of the partitions held fewer than 8 samples). Forest bench, 1 thread, 1 Mpx, 12
/// against none: 200k samples 5-10 % less CPU with 2 classes, 10-20 % with 4; 20k samples
/// within noise (-2 %, 2 classes; 0 %, 4); ISBI's small trees unchanged.
constexpr std::int32_t kWalkRangeMin = 12;

/// The samples in[b, e) at `node` walk down to their leaves in lock-steps of four, so that
/// their load chains overlap (a sample at its leaf stays there: a leaf is its own child),
/// and each adds its leaf. Right iff !(v < t), as Partition.
HWY_INLINE void WalkToLeaves(const WalkTree& t, std::int32_t node, const float* HWY_RESTRICT x,
                             std::int32_t sample_stride, const std::int32_t* in, std::int32_t b,
                             std::int32_t e, float* HWY_RESTRICT acc,
                             std::uint16_t* HWY_RESTRICT votes) {
  constexpr std::int32_t kLanes = 4;
  for (std::int32_t j = b; j < e; j += kLanes) {
    const std::int32_t k = std::min(kLanes, e - j);
    const float* xs[kLanes];
    std::int32_t at[kLanes];
    for (std::int32_t q = 0; q < kLanes; ++q) {
      xs[q] = x + std::ptrdiff_t(in[j + (q < k ? q : 0)]) * sample_stride;
      at[q] = node;
    }
    for (std::int32_t moved = 1; moved != 0;) {
      moved = 0;
      for (std::int32_t q = 0; q < kLanes; ++q) {
        const std::int32_t n = at[q], c = t.child[n];
        const std::int32_t right = xs[q][t.feature_offset[n]] < t.threshold[n] ? 0 : 1;
        at[q] = c == n ? n : c + right;
        moved |= c ^ n;
      }
    }
    for (std::int32_t q = 0; q < k; ++q)
      AddLeaf(t, at[q], in, j + q, j + q + 1, acc, votes);
  }
}

void AccumulateTreeImpl(const WalkTree& t, std::int32_t root, const TopLevels* top,
                        const float* HWY_RESTRICT x, std::int32_t sample_stride, std::size_t n,
                        std::int32_t* HWY_RESTRICT ids, std::int32_t* HWY_RESTRICT tmp,
                        const std::uint8_t* HWY_RESTRICT slots, WalkRange* HWY_RESTRICT queue,
                        float* HWY_RESTRICT acc, std::uint16_t* HWY_RESTRICT votes) {
  std::int32_t* buf[2] = {ids, tmp};
  std::fill(ids + n, ids + n + kWalkPad, 0);
  std::size_t head = 0, tail = 0;
  if (top) {
    // Samples grouped by their top exit (the runs' list borrows tmp, whose padding is
    // zeroed below, after it).
    std::int32_t end[33];
    GroupBySlotRuns(slots, n, ids, end, tmp);
    for (int s = 0; s < 32; ++s) {
      if (end[s + 1] == end[s]) continue;
      const std::int32_t node = top->slot_node[s];
      if (t.child[node] == node)
        AddLeaf(t, node, ids, end[s], end[s + 1], acc, votes);
      else
        queue[tail++] = {node, end[s], end[s + 1], 0};
    }
  } else {
    for (std::size_t i = 0; i < n; ++i)
      ids[i] = std::int32_t(i);
    queue[tail++] = {root, 0, std::int32_t(n), 0};
  }
  std::fill(tmp + n, tmp + n + kWalkPad, 0);  // lanes past a range read padding ids
  // Breadth first: the nodes of a level are independent (disjoint ranges), so their
  // gathers overlap; depth first made every node wait for its parent's stores. The queue
  // holds each node at most once.
  while (head < tail) {
    const WalkRange r = queue[head++];
    const std::int32_t* in = buf[r.buffer];
    const std::int32_t c = t.child[r.node];
    if (c == r.node) {  // leaf: add its value to the samples that reached it
      AddLeaf(t, r.node, in, r.begin, r.end, acc, votes);
      continue;
    }
    if (r.end - r.begin < kWalkRangeMin) {
      WalkToLeaves(t, r.node, x, sample_stride, in, r.begin, r.end, acc, votes);
      continue;
    }
    const std::int32_t other = 1 - r.buffer;
    const std::int32_t mid =
        sample_stride == 1 ? Partition<true>(x, t.feature_offset[r.node], t.threshold[r.node], 1,
                                             in, buf[other], r.begin, r.end, r.node == root)
                           : Partition<false>(x, t.feature_offset[r.node], t.threshold[r.node],
                                              sample_stride, in, buf[other], r.begin, r.end, false);
    if (mid > r.begin) queue[tail++] = {c, r.begin, mid, other};
    if (mid < r.end) queue[tail++] = {c + 1, mid, r.end, other};
  }
}

/// Copies the samples i < n with keep[i] != 0 of each of `count` planes of src to the front
/// of the same plane of dst, in order (in place if src == dst): one compress per vector.
HWY_NOINLINE void CompactPlanesImpl(const float* src, std::size_t src_stride, float* dst,
                                    std::size_t dst_stride, std::size_t count,
                                    const std::uint8_t* HWY_RESTRICT keep, std::size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Rebind<std::uint8_t, decltype(df)> du8;
  const std::size_t N = hn::Lanes(df);
  for (std::size_t p = 0; p < count; ++p) {
    const float* x = src + p * src_stride;
    float* y = dst + p * dst_stride;
    std::size_t k = 0, i = 0;
    // Compress in a register, then a full store: a store at k <= i writes no further than
    // lane i + N - 1 < n, lanes already loaded when in place. (A masked vcompressps to
    // memory is microcoded on Zen 4: it made this loop ~25x slower than a scalar gather.)
    for (; i + N <= n; i += N) {
      const auto m =
          hn::RebindMask(df, hn::Ne(hn::PromoteTo(di, hn::LoadU(du8, keep + i)), hn::Zero(di)));
      hn::StoreU(hn::Compress(hn::LoadU(df, x + i), m), df, y + k);
      k += hn::CountTrue(df, m);
    }
    for (; i < n; ++i) {  // the tail, without reading past the plane
      y[k] = x[i];
      k += keep[i];
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioforest::learn::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioforest::learn::detail {
HWY_EXPORT(AccumulateTreeImpl);
HWY_EXPORT(TopSlotsImpl);
HWY_EXPORT(CompactPlanesImpl);
HWY_EXPORT(AddSmallTreesImpl);

void add_small_trees(const LeafMasks* trees, std::size_t count, std::size_t width, const float* x,
                     std::size_t n, std::uint16_t* votes) {
  HWY_DYNAMIC_DISPATCH(AddSmallTreesImpl)(trees, count, width, x, n, votes);
}

void compact_planes(const float* src, std::size_t src_stride, float* dst, std::size_t dst_stride,
                    std::size_t count, const std::uint8_t* keep, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(CompactPlanesImpl)(src, src_stride, dst, dst_stride, count, keep, n);
}

void top_slots(const TopLevels* tops, std::size_t count, const float* x, std::size_t n,
               std::uint8_t* slots) {
  HWY_DYNAMIC_DISPATCH(TopSlotsImpl)(tops, count, x, n, slots);
}

void accumulate_tree(const WalkTree& tree, std::int32_t root, const TopLevels* top, const float* x,
                     std::int32_t sample_stride, std::size_t n, std::int32_t* ids,
                     std::int32_t* tmp, const std::uint8_t* slots, WalkRange* queue, float* acc,
                     std::uint16_t* votes) {
  HWY_DYNAMIC_DISPATCH(AccumulateTreeImpl)
  (tree, root, top, x, sample_stride, n, ids, tmp, slots, queue, acc, votes);
}

namespace {
void add_top(const WalkTree& t, std::int32_t node, int level, int depth, std::int32_t first,
             TopLevels& top) {
  const std::int32_t c = t.child[node];
  if (c == node || level == depth) {
    top.slot_node[first] = node;
    return;
  }
  const std::int32_t half = std::int32_t(1) << (depth - level - 1);
  const std::int32_t s = top.n_split++;
  top.feature_offset[s] = t.feature_offset[node];
  top.threshold[s] = t.threshold[node];
  top.cleared[s] = ((std::uint32_t(1) << half) - 1) << first;  // half <= 16
  add_top(t, c, level + 1, depth, first, top);
  add_top(t, c + 1, level + 1, depth, first + half, top);
}

// Numbers the leaves below `node` from `first` on, left to right, recording each split node
// (preorder) with the bits of its left subtree's leaves; returns the next free number, or
// kLeafMaskMaxLeaves + 1 once the tree has too many leaves.
int add_leaf_masks(const WalkTree& t, std::int32_t node, int first, LeafMasks& m) {
  const std::int32_t c = t.child[node];
  if (c == node) {
    if (first >= kLeafMaskMaxLeaves) return kLeafMaskMaxLeaves + 1;
    const int k = t.leaf_class[t.leaf[node]];  // class 0's votes are implied
    if (k > 0) m.class_leaves[k - 1][first >> 5] |= std::uint32_t(1) << (first & 31);
    m.words = first < 32 ? m.words : 2;
    return first + 1;
  }
  if (m.n_split >= kLeafMaskMaxLeaves - 1) return kLeafMaskMaxLeaves + 1;
  const std::int32_t s = m.n_split++;
  m.feature_offset[s] = t.feature_offset[node];
  m.threshold[s] = t.threshold[node];
  const int mid = add_leaf_masks(t, c, first, m);
  if (mid >= kLeafMaskMaxLeaves) return kLeafMaskMaxLeaves + 1;  // the right needs a bit too
  // Bits [first, mid), fewer than 64.
  const std::uint64_t left = ((std::uint64_t(1) << (mid - first)) - 1) << first;
  m.left_leaves[0][s] = std::uint32_t(left);
  m.left_leaves[1][s] = std::uint32_t(left >> 32);
  return add_leaf_masks(t, c + 1, mid, m);
}
}  // namespace

bool build_leaf_masks(const WalkTree& tree, std::int32_t root, LeafMasks& masks) {
  if (!tree.leaf_class || tree.width < 2 || tree.width > std::size_t(kLeafMaskMaxClasses))
    return false;
  masks = LeafMasks{};
  if (add_leaf_masks(tree, root, 0, masks) > kLeafMaskMaxLeaves) return false;
  // Split nodes ordered by the words they touch (both, word 0, word 1); the exits do not
  // depend on the order of the nodes.
  LeafMasks m = masks;
  std::int32_t k = 0;
  for (int category = 0; category < 3; ++category) {
    for (std::int32_t s = 0; s < m.n_split; ++s) {
      const bool w0 = m.left_leaves[0][s] != 0, w1 = m.left_leaves[1][s] != 0;
      if ((w0 && w1 ? 0 : w0 ? 1 : 2) != category) continue;
      masks.feature_offset[k] = m.feature_offset[s];
      masks.threshold[k] = m.threshold[s];
      masks.left_leaves[0][k] = m.left_leaves[0][s];
      masks.left_leaves[1][k] = m.left_leaves[1][s];
      ++k;
    }
    if (category == 0) masks.n_both = k;
    if (category == 1) masks.n_first = k;
  }
  return true;
}

void build_top_levels(const WalkTree& tree, std::int32_t root, int depth, TopLevels& top) {
  top = TopLevels{};
  std::fill(top.slot_node, top.slot_node + 32, -1);
  add_top(tree, root, 0, std::max(1, std::min(depth, kTopMaxDepth)), 0, top);
}
}  // namespace bioforest::learn::detail
#endif
