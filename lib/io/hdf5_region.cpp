// SPDX-License-Identifier: BSD-3-Clause
#include "hdf5_region.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>

#include "deflate_codec.hpp"
#include "hdf5_detail.hpp"

namespace bioforest::h5::detail {

namespace {

constexpr std::size_t kMaxDirectChunkBytes = std::size_t(64) << 20;

std::size_t product(const Shape& s) {
  std::size_t n = 1;
  for (auto v : s)
    n *= v;
  return n;
}

// A byte buffer that, unlike std::vector, does not zero what it allocates: chunk buffers are
// always overwritten, and zeroing (plus re-faulting freshly mapped pages) every chunk costs
// as much as the copy itself.
class Bytes {
 public:
  unsigned char* data() noexcept { return data_.get(); }
  const unsigned char* data() const noexcept { return data_.get(); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  /// Contents up to min(old, n) are kept only when no reallocation happens.
  void resize(std::size_t n) {
    if (n > capacity_) {
      data_.reset(new unsigned char[n]);
      capacity_ = n;
    }
    size_ = n;
  }
  void swap(Bytes& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

 private:
  std::unique_ptr<unsigned char[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

// --- moving boxes between C-order buffers --------------------------------------------------

// Copies the box of extent `box` from `src` (an array of src_shape, box starting at
// src_start) to `dst` (dst_shape, dst_start). Trailing axes that are whole in both arrays
// are merged first, so a box of whole rows moves with one memcpy.
void copy_box(const unsigned char* src, const Shape& src_shape, const Shape& src_start,
              unsigned char* dst, const Shape& dst_shape, const Shape& dst_start, const Shape& box,
              std::size_t elem) {
  std::size_t rank = box.size();
  std::size_t row = box[rank - 1] * elem;
  std::size_t inner = 1;  // elements per unit step along axis rank-1 after merging
  while (rank > 1 && box[rank - 1] == src_shape[rank - 1] && box[rank - 1] == dst_shape[rank - 1]) {
    inner *= box[rank - 1];
    --rank;
    row = box[rank - 1] * inner * elem;
  }
  // Strides in bytes of the remaining (outer) axes.
  std::vector<std::size_t> ss(rank), ds(rank);
  std::size_t sacc = inner * elem, dacc = inner * elem;
  for (std::size_t d = rank; d-- > 0;) {
    ss[d] = sacc;
    ds[d] = dacc;
    sacc *= src_shape[d];
    dacc *= dst_shape[d];
  }
  const unsigned char* s0 = src;
  unsigned char* d0 = dst;
  for (std::size_t d = 0; d < rank; ++d) {
    s0 += src_start[d] * ss[d];
    d0 += dst_start[d] * ds[d];
  }
  if (rank == 1) {
    std::memcpy(d0, s0, row);
    return;
  }
  std::vector<std::size_t> idx(rank - 1, 0);
  while (true) {
    std::size_t so = 0, dof = 0;
    for (std::size_t d = 0; d + 1 < rank; ++d) {
      so += idx[d] * ss[d];
      dof += idx[d] * ds[d];
    }
    std::memcpy(d0 + dof, s0 + so, row);
    std::size_t d = rank - 1;
    while (d-- > 0) {
      if (++idx[d] < box[d]) break;
      idx[d] = 0;
      if (d == 0) return;
    }
  }
}

// --- the chunk grid ---------------------------------------------------------------------------

// A chunked dataset whose chunks we may read and write ourselves.
struct DirectChunks {
  Shape shape, chunk;
  std::size_t elem = 0;
  bool deflate = false;
  bool shuffle = false;  // h5py's shuffle=True (reading only: our writers never shuffle)
  unsigned deflate_bit = 0, shuffle_bit = 0;  // their bits in a chunk's filter mask
  int level = 1;
  std::vector<unsigned char> fill;  // one element of the fill value

  std::size_t chunk_bytes() const { return product(chunk) * elem; }
};

Shape dataset_shape(hid_t dset) {
  Handle space(H5Dget_space(dset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(std::max(rank, 0));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

// Nullopt when the dataset is contiguous, filtered by anything but shuffle and deflate, or
// stored in a byte order or type that differs from the native `dtype`.
std::optional<DirectChunks> direct_chunks(hid_t dset, DType dtype) {
  Handle dcpl(H5Dget_create_plist(dset), H5Pclose);
  if (!dcpl.valid() || H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return std::nullopt;
  Handle type(H5Dget_type(dset), H5Tclose);
  if (H5Tequal(type.get(), native_type(dtype)) <= 0) return std::nullopt;
  DirectChunks dc;
  dc.shape = dataset_shape(dset);
  const int rank = H5Pget_chunk(dcpl.get(), 0, nullptr);
  if (rank <= 0 || std::size_t(rank) != dc.shape.size()) return std::nullopt;
  std::vector<hsize_t> ch(rank);
  H5Pget_chunk(dcpl.get(), rank, ch.data());
  dc.chunk.assign(ch.begin(), ch.end());
  dc.elem = dtype_size(dtype);
  if (dc.chunk_bytes() == 0 || dc.chunk_bytes() > kMaxDirectChunkBytes) return std::nullopt;
  // Filters run in pipeline order on writing: shuffle (if any) must come before deflate.
  const int nfilters = H5Pget_nfilters(dcpl.get());
  for (int i = 0; i < nfilters; ++i) {
    unsigned flags = 0, cd[8] = {};
    std::size_t ncd = 8;
    char name[64];
    const H5Z_filter_t id =
        H5Pget_filter2(dcpl.get(), unsigned(i), &flags, &ncd, cd, sizeof name, name, nullptr);
    if (id == H5Z_FILTER_DEFLATE && !dc.deflate) {
      dc.deflate = true;
      dc.deflate_bit = 1u << i;
      dc.level = ncd > 0 ? int(cd[0]) : 1;
    } else if (id == H5Z_FILTER_SHUFFLE && !dc.shuffle && !dc.deflate) {
      dc.shuffle = true;
      dc.shuffle_bit = 1u << i;
    } else {
      return std::nullopt;
    }
  }
  dc.fill.assign(dc.elem, 0);
  H5D_fill_value_t defined = H5D_FILL_VALUE_UNDEFINED;
  if (H5Pfill_value_defined(dcpl.get(), &defined) >= 0 && defined != H5D_FILL_VALUE_UNDEFINED)
    H5Pget_fill_value(dcpl.get(), native_type(dtype), dc.fill.data());
  H5Eclear2(H5E_DEFAULT);
  return dc;
}

// The chunks meeting `roi`, as their logical offsets, in C order of the chunk grid.
std::vector<Shape> chunks_in(const DirectChunks& dc, const Roi& roi) {
  const std::size_t rank = dc.shape.size();
  Shape first(rank), last(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    if (roi.stop[d] <= roi.start[d]) return {};
    first[d] = roi.start[d] / dc.chunk[d];
    last[d] = (roi.stop[d] - 1) / dc.chunk[d];
  }
  std::vector<Shape> out;
  Shape idx = first;
  while (true) {
    Shape off(rank);
    for (std::size_t d = 0; d < rank; ++d)
      off[d] = idx[d] * dc.chunk[d];
    out.push_back(std::move(off));
    std::size_t d = rank;
    while (d-- > 0) {
      if (++idx[d] <= last[d]) break;
      idx[d] = first[d];
      if (d == 0) return out;
    }
  }
}

// The part of chunk `off` inside `roi`: box extent, start inside the chunk, start inside roi.
struct Overlap {
  Shape box, in_chunk, in_roi;
};
Overlap overlap(const DirectChunks& dc, const Shape& off, const Roi& roi) {
  const std::size_t rank = off.size();
  Overlap o{Shape(rank), Shape(rank), Shape(rank)};
  for (std::size_t d = 0; d < rank; ++d) {
    const std::size_t lo = std::max(off[d], roi.start[d]);
    const std::size_t hi = std::min(off[d] + dc.chunk[d], roi.stop[d]);
    o.box[d] = hi - lo;
    o.in_chunk[d] = lo - off[d];
    o.in_roi[d] = lo - roi.start[d];
  }
  return o;
}

std::vector<hsize_t> hsizes(const Shape& s) {
  return std::vector<hsize_t>(s.begin(), s.end());
}

// Records the first failure of a parallel loop; the loop skips work once one is recorded.
struct FirstError {
  std::atomic<bool> failed{false};
  std::optional<Error> error;
  void set(Error e) {
#pragma omp critical(bioforest_first_error)
    if (!error) {
      error = std::move(e);
      failed = true;
    }
  }
  void rethrow() {
    if (error) throw *error;
  }
};

std::string chunk_str(const Shape& off) {
  return shape_str(off);
}

// --- reading ----------------------------------------------------------------------------------

// Chunks move in batches: the calling thread does all HDF5 calls (reading or writing the
// stored bytes of a batch is a few pread/pwrite calls), then the threads (de)compress the
// batch with no locks at all. Waiting on each other chunk by chunk (omp ordered or a critical
// around every HDF5 call) collapses on oversubscribed nodes, where a spinning thread starves
// the one it waits for.
constexpr std::size_t kBatchBytes = std::size_t(128) << 20;

std::size_t batch_size(const DirectChunks& dc) {
  const std::size_t by_memory = std::max<std::size_t>(1, kBatchBytes / dc.chunk_bytes());
  return std::min<std::size_t>(by_memory, std::size_t(64) * std::size_t(omp_get_max_threads()));
}

// A chunk's stored bytes as read from the file; empty `packed` when never written.
struct StoredChunk {
  Bytes packed;
  std::uint32_t filter_mask = 0;
};

void read_stored(hid_t dset, const Shape& off, StoredChunk& c, const Where& where) {
  const auto hoff = hsizes(off);
  unsigned fmask = 0;
  haddr_t addr = HADDR_UNDEF;
  hsize_t nbytes = 0;
  c.packed.resize(0);
  check(H5Dget_chunk_info_by_coord(dset, hoff.data(), &fmask, &addr, &nbytes), ErrorCategory::input,
        where.file, where.dataset, "cannot locate chunk " + chunk_str(off));
  if (addr == HADDR_UNDEF || nbytes == 0) return;  // never written: the fill value
  c.packed.resize(nbytes);
  check(H5Dread_chunk(dset, H5P_DEFAULT, hoff.data(), &c.filter_mask, c.packed.data()),
        ErrorCategory::input, where.file, where.dataset, "cannot read chunk " + chunk_str(off));
}

// Sets every element of a chunk buffer to the dataset's fill value.
void fill_elements(const DirectChunks& dc, unsigned char* p, std::size_t n) {
  if (std::all_of(dc.fill.begin(), dc.fill.end(), [](unsigned char b) { return b == 0; })) {
    std::memset(p, 0, n);
    return;
  }
  for (std::size_t i = 0; i < n; i += dc.elem)
    std::memcpy(p + i, dc.fill.data(), dc.elem);
}

void fill_chunk(const DirectChunks& dc, Bytes& raw) {
  raw.resize(dc.chunk_bytes());
  fill_elements(dc, raw.data(), raw.size());
}

// A chunk's elements (decompressed, or the fill value when never written) into `raw`.
// Undoes HDF5's shuffle filter: byte b of every element was stored in the b-th plane.
void unshuffle(const DirectChunks& dc, Bytes& raw, Bytes& tmp) {
  const std::size_t n = raw.size() / dc.elem;
  tmp.resize(raw.size());
  for (std::size_t b = 0; b < dc.elem; ++b) {
    const unsigned char* plane = raw.data() + b * n;
    for (std::size_t i = 0; i < n; ++i)
      tmp.data()[i * dc.elem + b] = plane[i];
  }
  raw.swap(tmp);
}

void unpack_chunk(const DirectChunks& dc, const Shape& off, StoredChunk& c, Bytes& raw, Bytes& tmp,
                  io::detail::DeflateCodec& codec, const Where& where) {
  raw.resize(dc.chunk_bytes());
  if (c.packed.empty()) {
    fill_chunk(dc, raw);
    return;
  }
  if (dc.deflate && !(c.filter_mask & dc.deflate_bit)) {
    if (!codec.decompress(c.packed.data(), c.packed.size(), raw.data(), raw.size()))
      throw Error(ErrorCategory::input, "corrupt gzip chunk at " + chunk_str(off), where.file,
                  where.dataset);
  } else {
    if (c.packed.size() != raw.size())
      throw Error(ErrorCategory::input,
                  "chunk " + chunk_str(off) + " has " + std::to_string(c.packed.size()) +
                      " bytes, expected " + std::to_string(raw.size()),
                  where.file, where.dataset);
    raw.swap(c.packed);
  }
  if (dc.shuffle && dc.elem > 1 && !(c.filter_mask & dc.shuffle_bit)) unshuffle(dc, raw, tmp);
}

void read_direct(hid_t dset, const DirectChunks& dc, const Roi& roi, void* out,
                 const Where& where) {
  const auto chunks = chunks_in(dc, roi);
  const Shape roi_shape = roi.shape();
  auto* dst = static_cast<unsigned char*>(out);
  const std::size_t batch = batch_size(dc);
  std::vector<StoredChunk> stored(std::min(batch, chunks.size()));
  for (std::size_t first = 0; first < chunks.size(); first += batch) {
    const std::size_t n = std::min(batch, chunks.size() - first);
    for (std::size_t i = 0; i < n; ++i)
      read_stored(dset, chunks[first + i], stored[i], where);
    FirstError err;
    // Uncompressed, unshuffled chunks are only copied: one thread is as fast, and idle ones
    // would spin at the barrier while this one reads the next batch.
#pragma omp parallel if (n > 1 && (dc.deflate || dc.shuffle))
    {
      Bytes raw, tmp;
      io::detail::DeflateCodec codec(dc.level);
#pragma omp for schedule(dynamic, 1)
      for (long i = 0; i < long(n); ++i) {
        if (err.failed) continue;
        try {
          const Shape& off = chunks[first + std::size_t(i)];
          unpack_chunk(dc, off, stored[std::size_t(i)], raw, tmp, codec, where);
          const Overlap o = overlap(dc, off, roi);
          copy_box(raw.data(), dc.chunk, o.in_chunk, dst, roi_shape, o.in_roi, o.box, dc.elem);
        } catch (Error& e) {
          err.set(std::move(e));
        } catch (std::exception& e) {
          err.set(Error(ErrorCategory::input, e.what(), where.file, where.dataset));
        }
      }
    }
    err.rethrow();
  }
}

// One H5Dread of the hyperslab straight into the caller's buffer.
void read_hyperslab(hid_t dset, DType dtype, const Roi& roi, void* out, const Where& where) {
  const auto start = hsizes(roi.start), count = hsizes(roi.shape());
  Handle fspace = checked(H5Dget_space(dset), H5Sclose, ErrorCategory::input, where.file,
                          where.dataset, "cannot get the dataspace");
  Handle mspace;
  if (count.empty()) {
    mspace = checked(H5Screate(H5S_SCALAR), H5Sclose, ErrorCategory::input, where.file,
                     where.dataset, "cannot make a dataspace");
  } else {
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                              nullptr),
          ErrorCategory::input, where.file, where.dataset, "cannot select " + roi.str());
    mspace = checked(H5Screate_simple(int(count.size()), count.data(), nullptr), H5Sclose,
                     ErrorCategory::input, where.file, where.dataset, "cannot make a dataspace");
  }
  check(H5Dread(dset, native_type(dtype), mspace.get(), fspace.get(), H5P_DEFAULT, out),
        ErrorCategory::input, where.file, where.dataset, "cannot read " + roi.str());
}

// --- writing ----------------------------------------------------------------------------------

// Gathers chunk `off` from the block `in` (which covers `roi` and all of the chunk that lies
// inside the dataset); edge chunks are padded with zeros up to the full chunk, as HDF5 stores
// them.
void gather_chunk(const DirectChunks& dc, const Roi& roi, const unsigned char* in, const Shape& off,
                  Bytes& raw) {
  raw.resize(dc.chunk_bytes());
  const Overlap o = overlap(dc, off, roi);
  if (o.box != dc.chunk) std::memset(raw.data(), 0, raw.size());
  copy_box(in, roi.shape(), o.in_roi, raw.data(), dc.chunk, o.in_chunk, o.box, dc.elem);
}

// One chunk to store: its elements come from `chunk` (a whole chunk buffer) when that is not
// empty, else they are gathered from the block `block` covering `roi`.
struct ChunkJob {
  Shape off;
  Bytes chunk;
};

// The elements of a job as a whole chunk in `out`, compressed if the dataset is.
void pack_chunk(const DirectChunks& dc, const Roi& roi, const unsigned char* block, ChunkJob& job,
                Bytes& raw, Bytes& out, io::detail::DeflateCodec& codec, const Where& where) {
  const std::size_t n = dc.chunk_bytes();
  const unsigned char* elements = job.chunk.data();
  if (job.chunk.empty()) {
    Bytes& dst = dc.deflate ? raw : out;  // uncompressed chunks are gathered in place
    gather_chunk(dc, roi, block, job.off, dst);
    elements = dst.data();
  }
  if (!dc.deflate) return;  // stored from job.chunk (or `out`, gathered above) as they are
  out.resize(codec.bound(n));
  const std::size_t len = codec.compress(elements, n, out.data(), out.size());
  if (len == 0)
    throw Error(ErrorCategory::output, "cannot compress chunk " + chunk_str(job.off), where.file,
                where.dataset);
  out.resize(len);
}

// Stores whole chunks: compressed in parallel a batch at a time, written by this thread in
// the order of `jobs`, so the file's bytes do not depend on the thread count. Uncompressed
// chunks are only copies, bound by memory bandwidth: they are gathered on this thread, where a
// parallel region would mostly add idle threads spinning at its barrier.
void write_chunks(hid_t dset, const DirectChunks& dc, const Roi& roi, const void* block,
                  std::vector<ChunkJob>& jobs, const Where& where) {
  const auto* src = static_cast<const unsigned char*>(block);
  const std::size_t batch = dc.deflate ? batch_size(dc) : 1;
  std::vector<Bytes> packed(std::min(batch, jobs.size()));
  Bytes raw;
  io::detail::DeflateCodec serial_codec(dc.level);
  for (std::size_t first = 0; first < jobs.size(); first += batch) {
    const std::size_t n = std::min(batch, jobs.size() - first);
    if (n == 1) {
      pack_chunk(dc, roi, src, jobs[first], raw, packed[0], serial_codec, where);
    } else {
      FirstError err;
#pragma omp parallel
      {
        Bytes tmp;
        io::detail::DeflateCodec codec(dc.level);
#pragma omp for schedule(dynamic, 1)
        for (long i = 0; i < long(n); ++i) {
          if (err.failed) continue;
          try {
            pack_chunk(dc, roi, src, jobs[first + std::size_t(i)], tmp, packed[std::size_t(i)],
                       codec, where);
          } catch (Error& e) {
            err.set(std::move(e));
          } catch (std::exception& e) {
            err.set(Error(ErrorCategory::output, e.what(), where.file, where.dataset));
          }
        }
      }
      err.rethrow();
    }
    for (std::size_t i = 0; i < n; ++i) {
      const ChunkJob& job = jobs[first + i];
      // Uncompressed chunks that waited in a buffer are stored from it, without a copy.
      const Bytes& bytes = !dc.deflate && !job.chunk.empty() ? job.chunk : packed[i];
      const auto hoff = hsizes(job.off);
      check(H5Dwrite_chunk(dset, H5P_DEFAULT, 0, hoff.data(), bytes.size(), bytes.data()),
            ErrorCategory::output, where.file, where.dataset,
            "cannot write chunk " + chunk_str(job.off));
    }
  }
}

void write_hyperslab(hid_t dset, DType dtype, const Roi& roi, const void* in, const Where& where) {
  const auto start = hsizes(roi.start), count = hsizes(roi.shape());
  Handle fspace = checked(H5Dget_space(dset), H5Sclose, ErrorCategory::output, where.file,
                          where.dataset, "cannot get the dataspace");
  Handle mspace;
  if (count.empty()) {
    mspace = checked(H5Screate(H5S_SCALAR), H5Sclose, ErrorCategory::output, where.file,
                     where.dataset, "cannot make a dataspace");
  } else {
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                              nullptr),
          ErrorCategory::output, where.file, where.dataset, "cannot select " + roi.str());
    mspace = checked(H5Screate_simple(int(count.size()), count.data(), nullptr), H5Sclose,
                     ErrorCategory::output, where.file, where.dataset, "cannot make a dataspace");
  }
  check(H5Dwrite(dset, native_type(dtype), mspace.get(), fspace.get(), H5P_DEFAULT, in),
        ErrorCategory::output, where.file, where.dataset, "cannot write " + roi.str());
}

}  // namespace

void read_region(hid_t dset, DType dtype, const Roi& roi, void* out, const Where& where) {
  if (roi.size() == 0 && roi.rank() > 0) return;
  if (auto dc = direct_chunks(dset, dtype)) return read_direct(dset, *dc, roi, out, where);
  read_hyperslab(dset, dtype, roi, out, where);
}

// --- ChunkWriter ------------------------------------------------------------------------------

namespace {
// Chunks a block covers only partly: zero-filled buffers that later blocks complete.
constexpr std::size_t kMaxPendingBytes = std::size_t(1) << 30;
}  // namespace

struct ChunkWriter::State {
  hid_t dset;
  DType dtype;
  std::string file, dataset;
  std::optional<DirectChunks> dc;
  Shape grid;              // chunks per axis
  std::vector<bool> done;  // by linear chunk index: stored, later writes must merge
  struct Pending {
    Shape off;
    Bytes raw;
    std::size_t covered = 0;  // elements written so far
  };
  std::map<std::size_t, Pending> pending;  // by linear chunk index (= grid order)
  std::size_t pending_bytes = 0;
  // Buffers of stored pending chunks, reused for the next ones: blocks that cut through chunks
  // keep hundreds of them in flight, and fresh allocations would each fault in zeroed pages.
  std::vector<Bytes> spare;

  Where where() const { return {file, dataset}; }

  std::size_t linear(const Shape& off) const {
    std::size_t lin = 0;
    for (std::size_t d = 0; d < grid.size(); ++d)
      lin = lin * grid[d] + off[d] / dc->chunk[d];
    return lin;
  }
  // Elements of the chunk at `off` inside the dataset (edge chunks are partial).
  std::size_t valid_elements(const Shape& off) const {
    std::size_t n = 1;
    for (std::size_t d = 0; d < off.size(); ++d)
      n *= std::min(dc->chunk[d], dc->shape[d] - off[d]);
    return n;
  }
  void store(std::vector<ChunkJob>& jobs, const Roi& roi, const void* block) {
    write_chunks(dset, *dc, roi, block, jobs, where());
    for (auto& j : jobs) {
      done[linear(j.off)] = true;
      if (!j.chunk.empty()) spare.push_back(std::move(j.chunk));
    }
  }
  // A chunk stored earlier gets more data: HDF5 reads, merges and rewrites it.
  void merge(const Shape& off, const Roi& roi, const unsigned char* block) {
    const Overlap o = overlap(*dc, off, roi);
    std::vector<unsigned char> part(product(o.box) * dc->elem);
    copy_box(block, roi.shape(), o.in_roi, part.data(), o.box, Shape(o.box.size(), 0), o.box,
             dc->elem);
    Roi target{off, off};
    for (std::size_t d = 0; d < off.size(); ++d) {
      target.start[d] += o.in_chunk[d];
      target.stop[d] = target.start[d] + o.box[d];
    }
    write_hyperslab(dset, dtype, target, part.data(), where());
  }
};

ChunkWriter::ChunkWriter(hid_t dset, DType dtype, std::string file, std::string dataset)
    : s_(std::make_unique<State>()) {
  s_->dset = dset;
  s_->dtype = dtype;
  s_->file = std::move(file);
  s_->dataset = std::move(dataset);
  s_->dc = direct_chunks(dset, dtype);
  if (s_->dc && s_->dc->shuffle) s_->dc.reset();  // we do not shuffle: HDF5 writes those
  if (!s_->dc) return;
  std::size_t n = 1;
  for (std::size_t d = 0; d < s_->dc->shape.size(); ++d) {
    s_->grid.push_back((s_->dc->shape[d] + s_->dc->chunk[d] - 1) / s_->dc->chunk[d]);
    n *= s_->grid.back();
  }
  s_->done.assign(n, false);
}

ChunkWriter::~ChunkWriter() = default;

void ChunkWriter::write(const Roi& roi, const void* block) {
  State& s = *s_;
  if (roi.size() == 0 && roi.rank() > 0) return;
  if (!s.dc) return write_hyperslab(s.dset, s.dtype, roi, block, s.where());
  const auto* src = static_cast<const unsigned char*>(block);
  std::vector<ChunkJob> whole;      // covered by this block alone, gathered from it
  std::vector<ChunkJob> completed;  // finished by this block in pending buffers
  for (const Shape& off : chunks_in(*s.dc, roi)) {
    const std::size_t lin = s.linear(off);
    if (s.done[lin]) {
      s.merge(off, roi, src);
      continue;
    }
    const Overlap o = overlap(*s.dc, off, roi);
    const std::size_t n = product(o.box);
    auto it = s.pending.find(lin);
    if (it == s.pending.end() && n == s.valid_elements(off)) {
      whole.push_back({off, {}});
      continue;
    }
    if (it == s.pending.end()) {
      it = s.pending.emplace(lin, State::Pending{off, {}, 0}).first;
      if (!s.spare.empty()) {
        it->second.raw.swap(s.spare.back());
        s.spare.pop_back();
      }
      it->second.raw.resize(s.dc->chunk_bytes());  // uninitialised: filled once, here
      fill_elements(*s.dc, it->second.raw.data(), it->second.raw.size());
      s.pending_bytes += it->second.raw.size();
    }
    State::Pending& p = it->second;
    copy_box(src, roi.shape(), o.in_roi, p.raw.data(), s.dc->chunk, o.in_chunk, o.box, s.dc->elem);
    p.covered += n;
    if (p.covered >= s.valid_elements(off)) {
      completed.push_back({off, std::move(p.raw)});
      s.pending_bytes -= s.dc->chunk_bytes();
      s.pending.erase(it);
    }
  }
  s.store(whole, roi, block);
  s.store(completed, roi, block);
  if (s.pending_bytes > kMaxPendingBytes) flush();
}

void ChunkWriter::flush() {
  State& s = *s_;
  if (!s.dc || s.pending.empty()) return;
  std::vector<ChunkJob> jobs;
  for (auto& [lin, p] : s.pending)
    jobs.push_back({p.off, std::move(p.raw)});
  s.pending.clear();
  s.pending_bytes = 0;
  s.store(jobs, Roi{}, nullptr);
}

Shape choose_chunks(const Shape& shape, std::size_t elem_size, std::size_t target_bytes,
                    const std::vector<bool>& unit_axes) {
  Shape chunk(shape.size());
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const bool unit = d < unit_axes.size() && unit_axes[d];
    chunk[d] = unit ? 1 : std::max<std::size_t>(shape[d], 1);
  }
  while (product(chunk) * elem_size > target_bytes) {
    auto it = std::max_element(chunk.begin(), chunk.end());
    if (*it <= 1) break;
    *it = (*it + 1) / 2;
  }
  return chunk;
}

void check_filters_available(hid_t dset, const Where& where) {
  Handle dcpl(H5Dget_create_plist(dset), H5Pclose);
  const int n = H5Pget_nfilters(dcpl.get());
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, cd[8] = {};
    std::size_t ncd = 8;
    char name[256] = {};
    const H5Z_filter_t id =
        H5Pget_filter2(dcpl.get(), unsigned(i), &flags, &ncd, cd, sizeof name, name, nullptr);
    if (id < 0 || H5Zfilter_avail(id) > 0) continue;
    H5Eclear2(H5E_DEFAULT);
    throw Error(ErrorCategory::input,
                "compressed with HDF5 filter " + std::to_string(id) + " (" + name +
                    "), which is not installed here; install the plugin (e.g. "
                    "hdf5-plugin-lzf or hdf5-filter-plugin-blosc-serial) or set "
                    "HDF5_PLUGIN_PATH",
                where.file, where.dataset);
  }
}

std::string compression_name(hid_t dcpl) {
  const int n = H5Pget_nfilters(dcpl);
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, cd[8] = {};
    std::size_t ncd = 8;
    char name[256] = {};
    switch (H5Pget_filter2(dcpl, unsigned(i), &flags, &ncd, cd, sizeof name, name, nullptr)) {
      case H5Z_FILTER_DEFLATE:
        return "gzip";
      case H5Z_FILTER_SZIP:
        return "szip";
      case H5Z_FILTER_NBIT:
        return "nbit";
      case H5Z_FILTER_SCALEOFFSET:
        return "scaleoffset";
      case 32000:
        return "lzf";
      case 32001:
        return "blosc";
      case 32004:
        return "lz4";
      case 32008:
        return "bitshuffle";
      case 32015:
        return "zstd";
      case H5Z_FILTER_SHUFFLE:
      case H5Z_FILTER_FLETCHER32:
        continue;
      default:
        return name[0] ? std::string(name) : "filter";
    }
  }
  return "none";
}

}  // namespace bioforest::h5::detail
