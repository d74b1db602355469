// SPDX-License-Identifier: BSD-3-Clause
#include "bioforest/io/provenance.hpp"

namespace bioforest::io {

namespace {
Provenance& slot() {
  static Provenance p;
  return p;
}
}  // namespace

const Provenance& process_provenance() {
  return slot();
}
void set_process_provenance(Provenance p) {
  slot() = std::move(p);
}
void set_spec_digest(std::string sha256) {
  slot().spec_sha256 = std::move(sha256);
}

}  // namespace bioforest::io
