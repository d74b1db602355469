#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Regenerates the small TIFF/PNG/JPEG fixtures of tests/unit/io/test_tiff.cpp and
test_png_jpeg.cpp with Debian's python3-tifffile and python3-pil. Pixel values follow
formulas the C++ tests recompute; run from this folder: /usr/bin/python3 make_fixtures.py"""
import numpy as np
import tifffile
from PIL import Image


def grid(shape, weights, mod):
    """value = sum(index_i * weight_i) % mod over the axes of `shape`."""
    idx = np.indices(shape)
    return sum(i * w for i, w in zip(idx, weights)) % mod


# Plain tiled stack (tifffile's JSON description is not ImageJ/OME: pages -> z).
zyx = grid((3, 40, 50), (1000, 50, 1), 65536).astype(np.uint16)
tifffile.imwrite("tiled_zyx_u16_deflate.tif", zyx, tile=(16, 16), compression="zlib",
                 photometric="minisblack")

# RGB stored planar (one sample plane after the other) and contiguous+tiled.
cyx = grid((3, 30, 40), (60, 2, 1), 256).astype(np.uint8)
tifffile.imwrite("rgb_planar_u8.tif", cyx, photometric="rgb", planarconfig="separate",
                 rowsperstrip=7)
tifffile.imwrite("rgb_contig_tiled_u8.tif", np.ascontiguousarray(cyx.transpose(1, 2, 0)),
                 photometric="rgb", tile=(16, 16))

# ImageJ hyperstack, TZCYX = 2 x 3 x 2 x 20 x 30.
tzcyx = grid((2, 3, 2, 20, 30), (100, 30, 7, 3, 1), 256).astype(np.uint8)
tifffile.imwrite("imagej_tzcyx_u8.tif", tzcyx, imagej=True, metadata={"axes": "TZCYX"})

# OME-TIFF whose DimensionOrder is XYZCT (z fastest), not the XYCZT we write.
tczyx = grid((2, 2, 3, 20, 30), (1000, 500, 100, 40, 1), 65536).astype(np.uint16)
tifffile.imwrite("ome_tczyx_u16.ome.tif", tczyx, ome=True, metadata={"axes": "TCZYX"})

# BigTIFF float32 stack in strips of 7 rows.
f32 = (grid((2, 20, 30), (600, 30, 1), 100000).astype(np.float32) * 0.25 - 10)
tifffile.imwrite("bigtiff_f32.tif", f32, bigtiff=True, rowsperstrip=7)

# Unsupported sample format: IEEE half floats.
tifffile.imwrite("float16.tif", np.ones((8, 8), np.float16))

# tifffile writes the IFD before the pixels: cutting the file loses strips, not the IFD.
tifffile.imwrite("truncated_u8.tif", grid((64, 64), (64, 1), 256).astype(np.uint8))
data = open("truncated_u8.tif", "rb").read()
open("truncated_u8.tif", "wb").write(data[: len(data) // 2])

# PNG kinds libpng expands: palette, 1-bit, interlaced, 16-bit gray, palette with alpha.
yx8 = grid((20, 30), (3, 1), 256).astype(np.uint8)
Image.fromarray(yx8).convert("P", palette=Image.ADAPTIVE, colors=16).save("palette.png")
Image.fromarray(yx8 > 40).save("bilevel.png")
rgb = np.stack([yx8, 255 - yx8, yx8 // 2], axis=-1)
Image.fromarray(rgb).save("rgb.png")
Image.fromarray(yx8).convert("P", palette=Image.ADAPTIVE, colors=16).save("palette_trns.png",
                                                                        transparency=0)
Image.fromarray(grid((20, 30), (1000, 7), 65536).astype(np.uint16)).save("gray16.png")

# JPEG: gray and colour, and a truncated one.
Image.fromarray(yx8).save("gray.jpg", quality=95)
Image.fromarray(rgb).save("rgb.jpg", quality=95)
data = open("rgb.jpg", "rb").read()
open("truncated.jpg", "wb").write(data[: len(data) * 2 // 3])

# Reference sums of what PIL decodes (hard-coded in test_png_jpeg.cpp).
for name in ["palette.png", "bilevel.png", "rgb.png", "palette_trns.png", "gray16.png", "gray.jpg",
             "rgb.jpg"]:
    im = Image.open(name)
    a = np.array(im.convert("RGBA" if "transparency" in im.info else "RGB") if im.mode == "P" else im).astype(np.int64)
    if im.mode == "1":
        a = a * 255
    print(name, im.mode, a.shape, int(a.sum()), int((a * np.arange(a.size).reshape(a.shape) % 7).sum()))
