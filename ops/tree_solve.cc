// The O(N) solve of a symmetric tree-structured linear system (Hines 1984): the implicit step of the cable
// equation of a multi-compartment cell.
//
//   BrainsimTreeSolve(d (*, N), b (*, N), g (*, N), parent (*, N) int32) -> x (*, N)
//
// The matrix has diagonal d and, between node i > 0 and its parent p = parent[i] < i, the entries
// A[i, p] = A[p, i] = -g[i] (parent[0] = -1; g[0] is ignored). Gaussian elimination from the last node to the
// root, then substitution from the root: exact, no fill-in, since every parent precedes its children. Leading
// dimensions are a batch (batch.h); each batch entry is one independent system. The pure-JAX reference is
// brainsim.ops.tree_solve.tree_solve_reference (the same operations in the same order).
#include <cstdint>
#include <string>
#include <vector>

#include "batch.h"
#include "dispatch.h"
#include "export.h"
#include "xla/ffi/api/ffi.h"

namespace brainsim {
namespace {

constexpr const char* kOp = "brainsim tree_solve";

template <typename T>
void SolveOne(const T* d, const T* b, const T* g, const int32_t* parent, int64_t n, T* diag, T* x) {
  for (int64_t i = 0; i < n; ++i) {
    diag[i] = d[i];
    x[i] = b[i];
  }
  for (int64_t i = n - 1; i > 0; --i) {  // eliminate node i from its parent's row
    const int32_t p = parent[i];
    const T f = g[i] / diag[i];
    diag[p] -= g[i] * f;
    x[p] += f * x[i];
  }
  x[0] = x[0] / diag[0];
  for (int64_t i = 1; i < n; ++i) x[i] = (x[i] + g[i] * x[parent[i]]) / diag[i];
}

template <typename T>
ffi::Error Solve(ffi::AnyBuffer d, ffi::AnyBuffer b, ffi::AnyBuffer g, ffi::AnyBuffer parent,
                 ffi::Result<ffi::AnyBuffer> x) {
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(b, kOp, "b"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(g, kOp, "g"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(parent, kOp, "parent"));
  const int64_t n = LastDim(*x);
  if (LastDim(d) != n || LastDim(b) != n || LastDim(g) != n || LastDim(parent) != n || n < 1) {
    return ffi::Error::InvalidArgument(std::string(kOp) + ": d, b, g and parent need the same last dimension");
  }
  Batch batch(x->dimensions(), 1);
  Batched<const T> db, bb, gb;
  Batched<const int32_t> pb;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, d, 1, "d", &db));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, b, 1, "b", &bb));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, g, 1, "g", &gb));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, parent, 1, "parent", &pb));
  T* out = static_cast<T*>(x->untyped_data());
  thread_local std::vector<T> diag;
  diag.resize(n);
  const int32_t* checked = nullptr;
  for (int64_t r = 0; r < batch.size(); ++r) {
    const int32_t* par = pb[r];
    if (par != checked) {  // a malformed parent array would read out of bounds: refuse it
      for (int64_t i = 1; i < n; ++i) {
        if (par[i] < 0 || par[i] >= i) {
          return ffi::Error::InvalidArgument(std::string(kOp) + ": parent[i] must satisfy 0 <= parent[i] < i");
        }
      }
      checked = par;
    }
    SolveOne(db[r], bb[r], gb[r], par, n, diag.data(), out + r * n);
  }
  return ffi::Error::Success();
}

}  // namespace

ffi::Error TreeSolve(ffi::AnyBuffer d, ffi::AnyBuffer b, ffi::AnyBuffer g, ffi::AnyBuffer parent,
                     ffi::Result<ffi::AnyBuffer> x) {
  return DispatchValue(d.element_type(), kOp, [&](auto t) { return Solve<decltype(t)>(d, b, g, parent, x); });
}

}  // namespace brainsim

BRAINSIM_BEGIN_EXPORTS

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimTreeSolve, brainsim::TreeSolve,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // d
                                  .Arg<xla::ffi::AnyBuffer>()  // b
                                  .Arg<xla::ffi::AnyBuffer>()  // g
                                  .Arg<xla::ffi::AnyBuffer>()  // parent
                                  .Ret<xla::ffi::AnyBuffer>());

BRAINSIM_END_EXPORTS
