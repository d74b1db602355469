// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: the batched tree walk, the hot loop of prediction (SIMD with runtime dispatch).
//
// The caller copies a block of samples into planar scratch (one padded row per feature),
// or reads the pixel stage's planes in place when they are padded the same way
// (padded_plane_stride in feature_matrix.hpp). A block of an image's pixels is a 2-D tile
// (FeatureView::row_length; tree_ensemble.cpp, plan_blocks), not a run of whole rows.
// For each group of 8 trees, the top 5 levels of every tree are evaluated for 8-16 samples
// at a time with contiguous loads (TopLevels, no gather), giving each sample its exit
// slot; the samples are grouped by slot (from runs of equal slots: GroupBySlotRuns in
// traverse.cpp; a counting sort until session 6), and each slot's samples go down the rest
// of the tree by partitioning, breadth first: at every node the ids are split into those
// going left and right (SIMD: one read of the node's feature at the ids, one compare, two
// compress-stores), and each leaf adds its value to the samples that reached it; a node
// with only a few samples left walks them to their leaves one by one (kWalkRangeMin).
// Measured on this AMD EPYC (Zen 4, AVX-512), 100 trees of ~430 nodes, 49 features,
// 7.4 split visits per sample and tree: the depth-first partition walk took ~1.1 ns per
// split visit (1.17 Mpx per CPU second), this one ~0.9 ns (1.42 Mpx/CPU-s), of which the
// padded copy (cache-set conflicts of power-of-two plane strides) gives ~10 %, the top
// levels ~5 %, the rest the breadth-first order and the counting sort. A lock-step walk
// (node fields gathered per sample and step) took ~1.9 ns per visit; a branch-free
// scalar partition was no faster.
//
// Where the time goes now (perf, 1 thread, 0.5 Mpx): top levels ~28 %, counting sort
// ~17 %, partitions of the deep nodes ~40 % (more than half of it waiting on the gather:
// a 16-lane gather costs ~20 cycles from L1 and ~50 from L3, and the 1.6 MB block does
// not fit the 1 MB L2), leaf sums ~12 %. Tried and dropped (same data, bit-identical):
// - top levels of 6 or 7 (64-128 slots in 2-4 slot words): ~15 % slower; each extra
//   level doubles the nodes evaluated for every sample but saves one partition step;
// - a streaming walk (16 lanes each walk one sample one node per step, a lane at a leaf
//   takes the next sample, 4 trees interleaved, nodes packed as 32-bit links): 3x
//   slower, 3 gathers per step;
// - scalar loads instead of the partition's gather: ~5 % slower (the cost is the cache
//   misses, not the gather instruction);
// - blocks of 4096 samples (fits L2, but nodes see half the samples): ~10 % slower;
//   prefetching the top levels' feature lines ahead: no change;
// - partitioning two queued nodes in one loop so that their gathers overlap: within noise.
// Evaluating the top levels with an OR-accumulated register per vector (instead of a
// merge-masked AND) and two vectors per node cut their share from ~34 % to ~28 %.
// Also tried and dropped (session 3): a "rank walk" - each sample's features replaced by
// their 16-bit ranks among the forest's thresholds of that feature (exact, bit-identical
// results), trees cut into complete depth-5 subtrees of 31 nodes, one subtree evaluated
// per sample with one vpermt2w + one compare + a path table, each sample queueing its
// (tree, subtree) pairs level by level. In a microbenchmark with L1-resident subtrees one
// evaluation took ~1.9 ns, but on the real forest (42 subtrees per tree, mostly sparse,
// 0.8 MB) ~5 ns at the roots and ~7 ns below (L2 latency chains, a mispredicted exit per
// level), ~10 ns per tree and sample in all, and converting the features to ranks cost
// another ~3 ns (bucket lookup + binary search; the thresholds crowd): 2x slower than
// this walk (6.6 ns per tree and sample). A single queue was 4x slower still (the CPU's
// memory disambiguation serialised loads of pending entries behind stores of new ones).
//
// Session 4 (same bench, 1 thread, 1 Mpx, min of 3-7 repeats; the machine was shared, so
// +-3 % is noise): 0.70 -> 0.64 CPU-s (0.90 -> 0.82 ns per visit). Landed: the top levels'
// merge-masked vpord (~4 %); one-hot forests count votes (tree_ensemble.cpp; ~9 %: a leaf
// of class 0 adds nothing). Profile after: top levels ~22 %, counting sort ~11 %,
// partitions ~35 % (a quarter of the walk waits on the gather), the rest queue, leaves and
// copy. Tried and dropped:
// - 16-bit keys per feature (affine over the range of its thresholds, monotone, evaluated
//   by one vector function for samples and thresholds, so a comparison is exact unless
//   key(v) == key(t), then the float decides): on this data 1e-4 of the visits tie, but a
//   top walk must track ties per node. With the ties' slot bits in a third word (only a
//   tie on the sample's own path redoes it, ~2 % of 64-sample vectors per tree) a node
//   costs 2 compares and 2 OR+blend pairs per 32 lanes (no word-masked vpor): the top
//   levels took -9 % and the key-gathering partitions (0.8 MB block) -3 %, all within
//   noise; with one masked "no tie" compare chain per node instead, 14 % of the 32-lane
//   vectors per tree had a tie somewhere and the scalar redo made it 5-8 % slower.
//   (Planes a multiple of 64 B + 32 B apart also split every key load across two lines.)
// - grouping by slot with vector compares instead of the scalar counting sort: 32 passes
//   of 64-byte compares + compress of an iota per match (~3.5 slots per 64 pixels here):
//   +10 % cycles in the grouping (rdtsc); one pass with a compress per distinct slot per
//   16 lanes: ~3 % slower overall (a mispredicted loop exit per mixed vector). Highway
//   1.0's Iota builds its vector through memory: hoist it out of loops.
// - ids within 32 of a vector's first lane (30 % of the partition vectors) loaded with
//   two contiguous loads and a vpermt2ps instead of the gather: within noise; so was
//   skipping the stores of ids bound for a class-0 leaf (votes) and adding leaf children
//   without a queue entry, and dropping the partition's id * stride multiply.
// - blocks of 4096 or 16384 samples, groups of 16 or 32 trees, 4 vectors per top node:
//   within noise or slower (labels-only loses early exits with bigger groups).
//
// Session 5, tried and dropped: a coherent walk. Neighbouring pixels mostly take the same
// path (scikit-learn's decision paths on rows of this bench's image: 16 consecutive
// pixels visit 12.4 distinct nodes of a tree together, against 16 x 7.5 one by one), so
// each vector of 16 samples walked each tree as one: a contiguous load and compare per
// node, the lanes split where they disagree, the right ones pushed with their node on a
// per-walk stack, and a leaf adding its vote to its lanes. Bit-identical, but slower: one
// walk at a time with branches 0.84 CPU-s against 0.60 (~17 steps per tree and vector at
// ~28 cycles: a load-compare chain per step and a mispredicted direction); branch-free
// steps (selects written as masks, else GCC branches on the direction again), 2-8 walks
// interleaved, leaves logged per walk and added after: 0.88-1.2 s (~85 instructions per
// step with the stack, log and selects, register spills beyond 2 walks). It needs a step
// of ~10 cycles to win; the partition spends ~3.3 cycles per sample visit.
// Session 6: draining each top slot's subtree before the next slot's (so that a slot's
// samples stay in cache through their descent) instead of one queue for all slots: 0.62
// CPU-s against 0.61-0.67, within noise (a node's gather reads another feature's plane
// than its parent's, so little is reused).
// Landed in session 6: the samples grouped by slot from runs of equal slots (64 slots
// compared with their left neighbours per vector, a run written as one masked store of
// consecutive ids) instead of the scalar counting sort (two passes, one byte and one id at
// a time): 0.61 -> 0.53 CPU-s, labels 0.355 -> 0.32 (medians of 6 interleaved runs; 0.67
// ns per visit), bit-identical. (Neighbouring pixels share exits: ~3.5 distinct slots per 64
// pixels.)
// Session 7, tried and dropped (forest bench walk, 1 thread, interleaved runs):
// - runs of a leaf slot adding their votes at once (consecutive samples, contiguous
//   counters) instead of being grouped and added by id: no change, on this forest and on the
//   ~5-node trees of a dsb2018 prediction;
// - partitions in 8-lane vectors: 0.61-0.65 CPU-s against 0.53-0.56;
// - prefetching the next queued node's feature values (one prefetch per sample) while the
//   current node partitions: 0.60-0.65 against 0.54-0.58. The partition is bound by its
//   instructions (gather, two compresses and masked stores per 16 lanes, ~2 cycles per
//   sample visit), not by loads a prefetch could start earlier.
// - Not built: the next 5 levels below each top slot evaluated like the top, on the runs of
//   consecutive samples a slot receives (scikit-learn's trees on this data: runs of ~17
//   samples per tree, 2.6 split visits per sample and tree below the top, of which 0.87
//   below depth 10). Counted, it needs 0.63 node evaluations of 16-lane vectors and 0.11
//   vectors per sample and tree: at ~25 cycles of exit, vote and regrouping work per vector
//   it saves about nothing on the partitions it replaces.
// Landed in session 8: trees of at most 64 leaves (what a few thousand scribbled pixels
// grow: dsb2018 and u2os 3-10 leaves, ISBI ~47) are walked whole as LeafMasks, without
// top slots, grouping or partitions: one contiguous load, compare and merge-masked OR per
// split node and 16 samples, and for two classes the votes counted in registers. pxclassify
// Simple Segmentation (2 threads): ISBI's 20 slices 0.94 -> 0.71 s, u2os's 10 images 1.13
// -> 0.94 s, dsb2018 47 -> 43 ms; 4 vectors per tree and node (2: ISBI 0.78 s, 1: 0.90 s,
// 6 and 8 as 4). The forest bench's trees (~215 leaves) keep the partition walk.
// Tried in session 8 and not kept: the subtree below each top slot, when it has at most 64
// leaves, evaluated as leaf masks on the runs of consecutive samples that leave the top
// there (inside GroupBySlotRuns, one vector per 16 samples of a run, votes added in place;
// the other slots partitioned as before): bit-identical, 0.53 against 0.56 CPU-s (mean of 7
// interleaved runs, within the noise of single runs); with the runs found by a scalar scan
// before the grouping it was 20 % slower. Runs average ~17 samples, so most vectors are
// partly empty, and the subtrees' nodes are evaluated for every lane.
// Landed on 2026-11-25: the partition in two passes (traverse.cpp, Partition) and the id
// lists 2 KB apart modulo 4 KB (tree_ensemble.cpp, BlockScratch): 0.571 -> 0.524 CPU-s,
// labels 0.347 -> 0.327 (medians of 6 interleaved runs). Counted on this bench (1 Mpx):
// 245 samples per partition on average, in runs of 4.3 consecutive ids, 15.5 per vector.
// Afterwards the first pass's gather is ~40 % of AccumulateTreeImpl. Tried and dropped,
// bit-identical, within noise: vectors whose ids span fewer than 16 read with one
// contiguous load and a permute instead of the gather (with a branch; or branch-free, the
// lanes outside the span gathered under a mask): a gather costs the same whatever it reads;
// integer compares for the top levels (a microbenchmark of the top's loop: 1.26 against
// 1.34 cycles per node and vector); top levels of depth 4; kWalkRangeMin 6 or 20; blocks
// of 4096 (+3 %) or 16384 samples; in GroupBySlotRuns, the run starts written by a compress
// of their indices and short runs by two plain stores (+2 %); the one-by-one walk
// (WalkToLeaves) reading each node's fields from one 16-byte record instead of three
// arrays (+9 %, and +7 % on the 20k, 4-class forest).
// Landed on 2026-11-25 (second session): the partition's passes loop over whole vectors
// without a lane mask and treat a partial last vector apart: 0.558 -> 0.542 CPU-s, labels
// 0.345 -> 0.331 (medians of 8 interleaved runs). Then, for planar samples on AVX-512, the
// partition's values read by 16 scalar loads inserted four lanes at a time instead of the
// gather (traverse.cpp, LoadAtIds), with the partition no longer inlined: 0.52 -> 0.48
// CPU-s, labels 0.32 -> 0.30 (medians of 6 interleaved runs); the 20k, 4-class forest
// 1.10 -> 1.00 and the 200k, 2-class one 1.63 -> 1.47 (medians of 4 and 3; 2 threads for
// training). The earlier finding that scalar loads were no faster (session 4) came from
// code the compiler starved of registers. Tried and dropped: for planar samples,
// gathering at x + offset by the ids themselves (no id * stride multiply and add): 0.545,
// within noise; the top levels' merge-masked OR forced in place by inline asm (GCC copies
// each accumulator through a second register, 2 extra moves per node): TopSlotsImpl took
// ~10 % more samples (the moves cost nothing, being eliminated at rename); the top's slots
// of all trees computed first, tile by tile of 256-1024 samples (so that the tops read
// the block from L2, not L3): within noise; the forest bench's features in the padded
// planes the pixel stage produces, read in place instead of copied: 4.2 Mpx, 2 threads,
// 0.98-1.01 s against 0.92-0.98 s.
// Landed on 2026-11-25 (third session): an image's pixels walked in 2-D tiles of 128 x 64
// instead of blocks of whole rows (tree_ensemble.cpp): forest bench 20k, 2 classes, 4.2 Mpx,
// 2 threads 0.834 -> 0.746 s (medians of 5 interleaved runs), bit-identical. Partition and
// the rest of AccumulateTreeImpl took ~20 % fewer samples (a node's ids cluster in fewer
// cache lines; runs of equal top exits are longer); the copy of the tile's short runs
// needs prefetches to stay cheap. Then top levels of depth 4 instead of 5 (session 6 had
// found them within noise): 0.754 -> 0.717 s (tree_ensemble.cpp, kTopDepth).
// Tried on 2026-11-25 (fourth session) and dropped, bit-identical (walk bench, 1 thread, and
// forest bench, 2 threads, 20k samples, 2 classes; medians of 3-7 interleaved runs, the VM
// noisy to +-10 % per run):
// - the subtree below a top slot, when it has at most 64 leaves, walked as LeafMasks on each
//   run of at least 8 / 16 / 32 consecutive samples leaving the top there (session 8's idea,
//   now with tiles and a top of depth 4): runs average 71 samples and ~44 % of the samples
//   and trees were taken in place, the partitions lost a quarter of their profile samples,
//   but the masks' node loop took ~7 cycles per node and vector (each node's load misses L1
//   and L2): 0.435-0.453 CPU-s against 0.423-0.433; only subtrees of <= 4 or <= 8 split
//   nodes: the same. (Counted with scikit-learn's trees on this bench: runs of >= 8 samples
//   carry 32 % of the split visits below the top, at 0.4 node-vector evaluations each.)
// - each thread claiming its next block before walking the current one and prefetching the
//   next tile's runs a slice per group of trees (tree_ensemble.cpp, copy_block): the copy's
//   share fell from 5.5 to 3.9 % of the profile but the walk slowed as much (0.749 against
//   0.742 s); groups of 16 trees (0.428 against 0.430 CPU-s); kWalkRangeMin 4, 6, 8, 16 or 24
//   (0.720-0.763 s against 0.726-0.741); WalkToLeaves in lock-steps of 8 (0.436 against
//   0.402 CPU-s); AddLeaf's votes without the multiply for two classes (10 paired runs, no
//   change).
// Landed the same session: the top levels for four vectors at a time (TopSlotsImpl).

#include <cstddef>
#include <cstdint>

namespace bioforest::learn::detail {

struct NodeArrays {
  const std::int32_t* feature;
  const float* threshold;
  const std::int32_t* child;
};

/// What the block walk reads from the forest.
struct WalkTree {
  const std::int32_t* feature_offset;  ///< per node: feature * the view's feature stride
  const float* threshold;
  const std::int32_t* child;
  const std::int32_t* leaf;
  const float* values;
  std::size_t width;  ///< values per leaf
  /// Per leaf row: the class of a one-hot row (values all 0 but a 1), or null: then the
  /// walk counts votes instead of adding values (see accumulate_tree).
  const std::uint8_t* leaf_class = nullptr;
};

/// Extra entries `ids` and `tmp` need beyond n (SIMD overrun).
constexpr std::size_t kWalkPad = 64;
/// Most samples one walk of a tree takes (accumulate_tree's n): the partition keeps a mask
/// per vector of a node's samples on the stack.
constexpr std::size_t kWalkMaxSamples = 8192;

/// Samples [begin, end) of the walk's id buffer 0 or 1 that reached `node`.
struct WalkRange {
  std::int32_t node, begin, end, buffer;
};

/// Deepest top of a tree evaluated without gathers: 2^5 = 32 slots, one uint32 per sample.
constexpr int kTopMaxDepth = 5;

/// The first levels of one tree, for samples whose features are contiguous per feature
/// (planar input, sample stride 1). There every split node of the top can be evaluated
/// for 8-16 samples with one contiguous load and compare, whatever node each sample is
/// at: QuickScorer's scheme. Each sample starts with all 32 slot bits set (a slot is a
/// node at depth `depth`, or a leaf above it, occupying its leftmost slot); a node the
/// sample would leave to the right clears the slots of its left subtree. A node off the
/// sample's path never clears the slot of its exit (that slot is outside its subtree) and
/// every node on it clears all slots left of the exit, so the exit is the lowest set bit.
/// This replaces `depth` gathered partition steps by ~2^depth loads, which are cheap.
struct TopLevels {
  std::int32_t n_split = 0;           ///< split nodes in the top
  std::int32_t feature_offset[31]{};  ///< per split node: feature * feature stride
  float threshold[31]{};
  std::uint32_t cleared[31]{};   ///< slot bits cleared when the sample goes right
  std::int32_t slot_node[32]{};  ///< node at each slot (-1: never an exit)
};

/// Most leaves a tree may have to be walked whole as LeafMasks (one bit per leaf), and most
/// classes of its one-hot leaves (each class beyond the first costs a test per vector and
/// tree: forest bench, 1 thread, trees of 600 / 1500 samples: 2 classes 0.10 / 0.15 CPU-s
/// against 0.17 / 0.24 for the partition walk, 4 classes 0.23 / 0.35 against 0.27 / 0.34,
/// 8 classes 0.43 / 0.55 against 0.41 / 0.54).
constexpr int kLeafMaskMaxLeaves = 64;
constexpr int kLeafMaskMaxClasses = 4;

/// A whole tree of at most 64 leaves, for planar samples: QuickScorer's scheme without the
/// depth limit of TopLevels. The leaves are numbered left to right; each sample starts with
/// all 64 bits set, and a split node it would leave to the right clears the bits of the
/// leaves of its left subtree. Every node on the sample's path clears the leaves left of its
/// exit and no node clears the exit's bit (it lies in no left subtree that a right turn on
/// the path skips, and in no subtree off the path), so the exit is the lowest set bit.
/// Each split node costs one contiguous load and compare per vector of samples, whatever
/// node each sample is at: no gather, grouping or partition. Forests grown from scribbles
/// mostly have such trees (dsb2018, u2os: 3-10 leaves; ISBI: ~47).
/// The 64 bits are two 32-bit words, so that one float compare's mask selects the lanes of
/// both (Highway 1.0 rebinds masks only between lanes of one size); a tree of at most 32
/// leaves needs only the first.
/// A node's left subtree is a range of leaf bits, so most nodes touch one word only: the
/// split nodes are stored by the words they touch, those touching both first, then those of
/// word 0 only, then those of word 1 only.
struct LeafMasks {
  std::int32_t n_split = 0;
  std::int32_t words = 1;    ///< 32-bit words of leaf bits in use: 1 or 2
  std::int32_t n_both = 0;   ///< split nodes [0, n_both) touch both words
  std::int32_t n_first = 0;  ///< [n_both, n_first) word 0 only, [n_first, n_split) word 1 only
  std::int32_t feature_offset[kLeafMaskMaxLeaves - 1]{};  ///< per split node
  float threshold[kLeafMaskMaxLeaves - 1]{};
  /// Per word and split node: the bits of the node's left subtree, cleared when going right.
  std::uint32_t left_leaves[2][kLeafMaskMaxLeaves - 1]{};
  /// Per class c = 1, 2, ... and word: the leaves of class c (the walk counts their votes).
  std::uint32_t class_leaves[kLeafMaskMaxClasses - 1][2]{};
};

/// The tree at `root` as LeafMasks, or false if it has more than kLeafMaskMaxLeaves leaves or
/// its leaves are not one-hot rows of at most kLeafMaskMaxClasses classes (tree.leaf_class,
/// tree.width): such trees keep the partition walk, which adds any leaf values.
bool build_leaf_masks(const WalkTree& tree, std::int32_t root, LeafMasks& masks);

/// For `count` small trees and the n samples of a planar block x, each tree's vote for class
/// c > 0 adds 1 to votes[i * (width - 1) + c - 1] (class 0's votes are implied, as in
/// accumulate_tree).
void add_small_trees(const LeafMasks* trees, std::size_t count, std::size_t width, const float* x,
                     std::size_t n, std::uint16_t* votes);

/// slots[t * n + i]: the slot where sample i of a planar block (x + f * feature stride + i)
/// leaves the top of tree t, for `count` trees.
void top_slots(const TopLevels* tops, std::size_t count, const float* x, std::size_t n,
               std::uint8_t* slots);

/// Copies the samples i < n with keep[i] != 0 of each of `count` planes of src (src_stride
/// floats apart) to the front of the same plane of dst (dst_stride apart), in order; src ==
/// dst compacts in place. dst's planes past the samples kept are then undefined (up to n).
void compact_planes(const float* src, std::size_t src_stride, float* dst, std::size_t dst_stride,
                    std::size_t count, const std::uint8_t* keep, std::size_t n);

/// The top of tree `root` down to `depth` (1..kTopMaxDepth) levels.
void build_top_levels(const WalkTree& tree, std::int32_t root, int depth, TopLevels& top);

/// Adds the leaf values of tree `root` to acc[i * width + k] for the n <= kWalkMaxSamples
/// samples of a block whose sample i starts at x + i * sample_stride; all offsets fit int32
/// (the caller checks). ids and tmp are scratch of n + kWalkPad entries. With `top` (only
/// for sample_stride 1) the samples start from their top_slots() exits, given in slots.
/// queue: scratch of as many entries as the tree has nodes. With tree.leaf_class, a sample
/// reaching a leaf of class k > 0 adds 1 to votes[i * (width - 1) + k - 1] instead (acc is
/// not touched): for one-hot leaves the float sums are exact counts, so the caller turns
/// the votes into the same sums at less cost (the leaves of class 0 add nothing).
void accumulate_tree(const WalkTree& tree, std::int32_t root, const TopLevels* top, const float* x,
                     std::int32_t sample_stride, std::size_t n, std::int32_t* ids,
                     std::int32_t* tmp, const std::uint8_t* slots, WalkRange* queue, float* acc,
                     std::uint16_t* votes);

/// The portable reference walk of one sample (any strides).
inline std::int32_t walk(const NodeArrays& nodes, std::int32_t node, const float* sample,
                         std::ptrdiff_t feature_stride) {
  while (true) {
    const std::int32_t c = nodes.child[node];
    if (c == node) return node;
    const float v = sample[std::ptrdiff_t(nodes.feature[node]) * feature_stride];
    node = c + (v >= nodes.threshold[node] ? 1 : 0);
  }
}

}  // namespace bioforest::learn::detail
