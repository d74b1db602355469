// SPDX-License-Identifier: BSD-3-Clause
#include "tiff_contiguous.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "bioforest/core/error.hpp"

namespace bioforest::io::detail {

namespace {

// TIFF field types.
constexpr std::uint16_t kAscii = 2, kShort = 3, kLong = 4, kLong8 = 16;

bool host_is_little_endian() {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

// Appends plain integers in host byte order: the header declares the host's order ("II" or
// "MM"), so the pixel data needs no swapping either.
class Bytes {
 public:
  template <class T>
  void put(T v) {
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    data_.insert(data_.end(), p, p + sizeof(T));
  }
  void put_raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    data_.insert(data_.end(), b, b + n);
  }
  void pad_to_even() {
    if (data_.size() % 2) data_.push_back(std::byte{0});
  }
  std::size_t size() const { return data_.size(); }
  const std::byte* data() const { return data_.data(); }
  std::vector<std::byte>& vec() { return data_; }

 private:
  std::vector<std::byte> data_;
};

// pwrite until done: one call may store less than asked (signals, writes above 2 GiB).
void write_all_at(int fd, std::uint64_t at, const std::byte* p, std::size_t n,
                  const std::string& name) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      throw_output(name, std::string("cannot write the TIFF file: ") +
                             (w < 0 ? std::strerror(errno) : "no space written"));
    p += w;
    at += static_cast<std::uint64_t>(w);
    n -= static_cast<std::size_t>(w);
  }
}

// One IFD entry whose value is either inline or stored after the IFD ("out of line").
struct Entry {
  std::uint16_t tag, type;
  std::uint64_t count;
  std::vector<std::byte> value;  // count values of `type`, host order
};

template <class T>
Entry entry(std::uint16_t tag, std::uint16_t type, const std::vector<T>& values) {
  Entry e{tag, type, values.size(), std::vector<std::byte>(values.size() * sizeof(T))};
  std::memcpy(e.value.data(), values.data(), e.value.size());
  return e;
}

Entry ascii(std::uint16_t tag, const std::string& s) {
  Entry e{tag, kAscii, s.size() + 1, std::vector<std::byte>(s.size() + 1, std::byte{0})};
  std::memcpy(e.value.data(), s.data(), s.size());
  return e;
}

// Serialises one IFD that starts at file offset `at`; `next` is the next IFD's offset or 0.
void put_ifd(Bytes& out, std::uint64_t at, const std::vector<Entry>& entries, std::uint64_t next,
             bool big) {
  const std::size_t slot = big ? 8 : 4;
  const std::size_t header = (big ? 8 : 2) + entries.size() * (big ? 20 : 12) + slot;
  std::uint64_t extra = at + header;  // where out-of-line values go
  Bytes tail;
  if (big)
    out.put<std::uint64_t>(entries.size());
  else
    out.put<std::uint16_t>(static_cast<std::uint16_t>(entries.size()));
  for (const Entry& e : entries) {
    out.put<std::uint16_t>(e.tag);
    out.put<std::uint16_t>(e.type);
    if (big)
      out.put<std::uint64_t>(e.count);
    else
      out.put<std::uint32_t>(static_cast<std::uint32_t>(e.count));
    if (e.value.size() <= slot) {
      std::byte inline_value[8] = {};
      std::memcpy(inline_value, e.value.data(), e.value.size());
      out.put_raw(inline_value, slot);
    } else {
      const std::uint64_t off = extra + tail.size();
      if (big)
        out.put<std::uint64_t>(off);
      else
        out.put<std::uint32_t>(static_cast<std::uint32_t>(off));
      tail.put_raw(e.value.data(), e.value.size());
      tail.pad_to_even();
    }
  }
  if (big)
    out.put<std::uint64_t>(next);
  else
    out.put<std::uint32_t>(static_cast<std::uint32_t>(next));
  out.put_raw(tail.data(), tail.size());
}

std::vector<Entry> page_entries(const ContiguousTiffSpec& s, std::size_t page,
                                std::uint64_t data_at) {
  const std::uint64_t row = std::uint64_t(s.width) * (s.bits / 8);
  const std::uint32_t n_strips = (s.height + s.rows_per_strip - 1) / s.rows_per_strip;
  std::vector<std::uint64_t> offsets(n_strips);
  std::vector<std::uint32_t> counts(n_strips);
  for (std::uint32_t k = 0; k < n_strips; ++k) {
    const std::uint32_t rows = std::min(s.rows_per_strip, s.height - k * s.rows_per_strip);
    offsets[k] = data_at + std::uint64_t(k) * s.rows_per_strip * row;
    counts[k] = static_cast<std::uint32_t>(rows * row);
  }
  std::vector<Entry> e;  // sorted by tag, as TIFF requires
  e.push_back(entry<std::uint32_t>(254, kLong, {0}));
  e.push_back(entry<std::uint32_t>(256, kLong, {s.width}));
  e.push_back(entry<std::uint32_t>(257, kLong, {s.height}));
  e.push_back(entry<std::uint16_t>(258, kShort, {s.bits}));
  e.push_back(entry<std::uint16_t>(259, kShort, {1}));  // no compression
  e.push_back(entry<std::uint16_t>(262, kShort, {1}));  // min-is-black
  if (page == 0 && !s.description.empty()) e.push_back(ascii(270, s.description));
  if (s.bigtiff) {
    e.push_back(entry(273, kLong8, offsets));
  } else {
    std::vector<std::uint32_t> o32(offsets.begin(), offsets.end());
    e.push_back(entry(273, kLong, o32));
  }
  e.push_back(entry<std::uint16_t>(277, kShort, {1}));
  e.push_back(entry<std::uint32_t>(278, kLong, {s.rows_per_strip}));
  e.push_back(entry(279, kLong, counts));
  e.push_back(entry<std::uint16_t>(284, kShort, {1}));  // contiguous
  if (page == 0 && !s.software.empty()) e.push_back(ascii(305, s.software));
  e.push_back(entry<std::uint16_t>(339, kShort, {s.sample_format}));
  return e;
}

}  // namespace

ContiguousTiff::ContiguousTiff(int fd, ContiguousTiffSpec spec) : fd_(fd), spec_(std::move(spec)) {
  const bool big = spec_.bigtiff;
  page_bytes_ = std::uint64_t(spec_.width) * spec_.height * (spec_.bits / 8);
  data_at_ = big ? 16 : 8;
  data_end_ = data_at_ + page_bytes_ * spec_.pages;
  first_ifd_ = data_end_ + (data_end_ % 2);  // IFDs start on a word boundary

  Bytes header;
  header.put_raw(host_is_little_endian() ? "II" : "MM", 2);
  if (big) {
    header.put<std::uint16_t>(43);
    header.put<std::uint16_t>(8);  // offset size
    header.put<std::uint16_t>(0);
    header.put<std::uint64_t>(first_ifd_);
  } else {
    header.put<std::uint16_t>(42);
    header.put<std::uint32_t>(static_cast<std::uint32_t>(first_ifd_));
  }
  write_at(0, header.data(), header.size());
}

void ContiguousTiff::write_at(std::uint64_t offset, const void* data, std::size_t n) const {
  write_all_at(fd_, offset, static_cast<const std::byte*>(data), n, spec_.name);
}

void ContiguousTiff::finish() const {
  const bool big = spec_.bigtiff;
  // IFDs one after another; each one's size is known only once serialised, so each is built
  // with the next one's offset patched in afterwards. The padding byte before them (odd data
  // size) is never written: a hole reads as 0.
  Bytes ifds;
  std::uint64_t at = first_ifd_;
  std::size_t prev_next_field = 0;  // position in `ifds` of the previous IFD's next-offset
  for (std::size_t p = 0; p < spec_.pages; ++p) {
    if (p > 0) {
      auto& v = ifds.vec();
      if (big) {
        std::memcpy(v.data() + prev_next_field, &at, 8);
      } else {
        const auto a32 = static_cast<std::uint32_t>(at);
        std::memcpy(v.data() + prev_next_field, &a32, 4);
      }
    }
    const auto entries = page_entries(spec_, p, page_offset(p));
    const std::size_t start = ifds.size();
    put_ifd(ifds, at, entries, 0, big);
    prev_next_field = start + (big ? 8 : 2) + entries.size() * (big ? 20 : 12);
    ifds.pad_to_even();
    at = first_ifd_ + ifds.size();
  }
  write_at(first_ifd_, ifds.data(), ifds.size());
}

}  // namespace bioforest::io::detail
