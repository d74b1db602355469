// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/memory_image.hpp"

namespace bioforest::io {

namespace {

class MemoryReader final : public ImageReader {
 public:
  MemoryReader(Image image, const std::string& name, ImageInfo info)
      : ImageReader(name, std::move(info)), image_(std::move(image)) {}

 protected:
  Image read_region(const Roi& roi) override { return image_.crop(roi); }

 private:
  Image image_;
};

}  // namespace

std::unique_ptr<ImageReader> memory_image(Image image, const std::string& name) {
  ImageInfo info;
  info.shape = image.shape();
  info.dtype = image.dtype();
  info.axes = image.axes();
  info.axes_from_metadata = true;
  info.format = "memory";
  info.compression = "none";
  return std::make_unique<MemoryReader>(std::move(image), name, std::move(info));
}

}  // namespace bioforest::io
