// SPDX-License-Identifier: BSD-3-Clause
#include <catch2/catch.hpp>

#include "bioforest/core/error.hpp"
#include "bioforest/core/roi.hpp"

using namespace bioforest;

TEST_CASE("Roi geometry: shape, size, intersection, halo, shifts", "[core][roi]") {
  const Roi r{{2, 3}, {6, 8}};
  CHECK(r.shape() == Shape{4, 5});
  CHECK(r.size() == 20);
  CHECK_FALSE(r.empty());
  CHECK(Roi::whole({4, 5}) == Roi{{0, 0}, {4, 5}});
  CHECK(r.intersect(Roi{{4, 0}, {10, 4}}) == Roi{{4, 3}, {6, 4}});
  CHECK(r.intersect(Roi{{7, 0}, {9, 2}}).empty());        // disjoint: empty, not negative
  CHECK(r.grow({3, 1}, {7, 20}) == Roi{{0, 2}, {7, 9}});  // clipped at 0 and at the bounds
  CHECK(r.shifted({1, 2}) == Roi{{3, 5}, {7, 10}});
  CHECK(r.relative_to({2, 1}) == Roi{{0, 2}, {4, 7}});
  CHECK(Roi::whole({10, 10}).contains(r));
  CHECK_FALSE(r.contains(Roi::whole({10, 10})));
  CHECK(r.str() == "[(2,3),(6,8))");
}

TEST_CASE("parse_roi reads ilastik's cutout syntax, None and negative indices", "[core][roi]") {
  const Shape shape{10, 20, 3};
  CHECK(parse_roi("[(1,2,None),(5,None,2)]", shape) == Roi{{1, 2, 0}, {5, 20, 2}});
  CHECK(parse_roi(" [ (0, -5, 0) , (None, None, None) ] ", shape) == Roi{{0, 15, 0}, {10, 20, 3}});
  CHECK(parse_roi("[(0,0,0),(100,100,100)]", shape) == Roi::whole(shape));  // clipped
  for (const char* bad : {"[(1,2),(5,6)]", "[(5,0,0),(5,20,3)]", "(1,2,3)", "[(a,0,0),(1,1,1)]"}) {
    INFO(bad);
    try {
      parse_roi(bad, shape);
      FAIL("no error");
    } catch (const Error& e) {
      CHECK(e.category() == ErrorCategory::usage);
    }
  }
}
