// SPDX-License-Identifier: BSD-3-Clause
#pragma once
// Private: reading and writing a box of an HDF5 dataset. For chunked datasets stored in native
// byte order with no filter or only deflate (what bioforest, ilastik and h5py write by
// default), chunks are moved with H5Dread_chunk / H5Dwrite_chunk and (de)compressed by zlib on
// several OpenMP threads, which is what makes us faster than h5py; anything else goes through
// one H5Dread / H5Dwrite of the hyperslab.

#include <hdf5.h>

#include <memory>
#include <string>
#include <vector>

#include "bioforest/core/dtype.hpp"
#include "bioforest/core/roi.hpp"

namespace bioforest::h5::detail {

/// Names for messages: the file and the dataset a region belongs to.
struct Where {
  const std::string& file;
  const std::string& dataset;
};

/// Reads `roi` of `dset` (elements of `dtype`) into `out`, C order of roi.shape(). Throws
/// Error{input}.
void read_region(hid_t dset, DType dtype, const Roi& roi, void* out, const Where& where);

/// Writes blocks of any shape, in any order, to `dset`. Chunks a block covers are compressed
/// and stored at once; chunks it covers only in part wait in memory (zero-filled) until later
/// blocks complete them or flush() is called, so each chunk is compressed once. A block that
/// touches a chunk already stored is merged into it by HDF5. Throws Error{output}.
class ChunkWriter {
 public:
  ChunkWriter(hid_t dset, DType dtype, std::string file, std::string dataset);
  ~ChunkWriter();
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  /// Writes `block` (C order of roi.shape()) to `roi`.
  void write(const Roi& roi, const void* block);
  /// Stores the chunks still waiting (their unwritten parts stay 0, the fill value).
  void flush();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// A chunk shape of about `target_bytes`: starts from `shape` (clipped to >= 1), sets the axes
/// flagged in `unit_axes` to 1, then halves the largest remaining axis until small enough.
Shape choose_chunks(const Shape& shape, std::size_t elem_size, std::size_t target_bytes,
                    const std::vector<bool>& unit_axes = {});

/// Throws Error{input} naming the plugin when a filter `dset` needs is not available here.
void check_filters_available(hid_t dset, const Where& where);

/// "gzip", "none", "lzf", "blosc", "szip", ... (shuffle and checksum filters are skipped).
std::string compression_name(hid_t dcpl);

}  // namespace bioforest::h5::detail
