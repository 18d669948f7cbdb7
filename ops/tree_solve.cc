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
//
//   BrainsimCableStep(v (*, N), GI (*, 2, N), c (*, N), ga (*, N), parent (*, N) int32; k) -> v_new (*, N)
//
// The whole implicit step of the cable equation in one pass: with G = GI[0], I = GI[1] and L the weighted
// Laplacian of the tree (the conductance ga[i] between node i and its parent), solves
// (diag(c + G) + L) x = I - G v - L v and returns v + k x (k = 1 backward Euler, 2 Crank-Nicolson; v_new may be
// v's buffer). G and I come stacked so that XLA computes them in one kernel. The right-hand side and the diagonal are assembled while
// eliminating (each node's own terms, then the edge to its parent), so a time step of a cell is the channels'
// fused XLA kernels plus this one call. The pure-JAX reference is brainsim.ops.tree_solve.cable_step_reference.
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

// v_new = v + k x with (diag(c + G) + L) x = I - (G + L) v; diag and x are scratch (n each); out may alias v.
template <typename T>
void CableOne(const T* v, const T* G, const T* I, const T* c, const T* ga, const int32_t* parent, int64_t n, T k,
              T* diag, T* x, T* out) {
  for (int64_t i = 0; i < n; ++i) {
    diag[i] = c[i] + G[i];
    x[i] = I[i] - G[i] * v[i];
  }
  for (int64_t i = n - 1; i > 0; --i) {  // node i is complete (its children are done): its edge, then eliminate it
    const int32_t p = parent[i];
    const T gi = ga[i];
    const T flow = gi * (v[p] - v[i]);  // axial current from the parent into i
    const T di = diag[i] + gi;
    const T xi = x[i] + flow;
    const T inv = T(1) / di;
    const T f = gi * inv;
    diag[i] = inv;  // the substitution multiplies by it: no division on its dependency chain
    x[i] = xi;
    diag[p] += gi - gi * f;
    x[p] += f * xi - flow;
  }
  x[0] = x[0] / diag[0];
  for (int64_t i = 1; i < n; ++i) x[i] = (x[i] + ga[i] * x[parent[i]]) * diag[i];
  for (int64_t i = 0; i < n; ++i) out[i] = v[i] + k * x[i];
}

// CableOne for `rows` cells of one tree at once, node by node with the cells in the inner loop: each cell's
// elimination is a dependency chain as long as the tree is deep (a division on it per node), and interleaving
// independent cells hides its latency. ptrs holds, per cell, v, G, I, c and ga; diag and x are scratch of
// rows * n, node-major; out (rows, n) may alias v. Same operations per cell as CableOne.
template <typename T>
void CableMany(const T* const* ptrs, const int32_t* parent, int64_t n, int64_t rows, T k, T* diag, T* x, T* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const T *v = ptrs[5 * r], *G = ptrs[5 * r + 1], *I = ptrs[5 * r + 2], *c = ptrs[5 * r + 3];
    for (int64_t i = 0; i < n; ++i) {
      diag[i * rows + r] = c[i] + G[i];
      x[i * rows + r] = I[i] - G[i] * v[i];
    }
  }
  for (int64_t i = n - 1; i > 0; --i) {
    const int32_t p = parent[i];
    T* di_row = diag + i * rows;
    T* xi_row = x + i * rows;
    T* dp_row = diag + p * rows;
    T* xp_row = x + p * rows;
    for (int64_t r = 0; r < rows; ++r) {
      const T* v = ptrs[5 * r];
      const T gi = ptrs[5 * r + 4][i];
      const T flow = gi * (v[p] - v[i]);
      const T di = di_row[r] + gi;
      const T xi = xi_row[r] + flow;
      const T inv = T(1) / di;
      const T f = gi * inv;
      di_row[r] = inv;
      xi_row[r] = xi;
      dp_row[r] += gi - gi * f;
      xp_row[r] += f * xi - flow;
    }
  }
  for (int64_t r = 0; r < rows; ++r) x[r] = x[r] / diag[r];
  for (int64_t i = 1; i < n; ++i) {
    const T* xp_row = x + parent[i] * rows;
    T* xi_row = x + i * rows;
    const T* di_row = diag + i * rows;
    for (int64_t r = 0; r < rows; ++r) xi_row[r] = (xi_row[r] + ptrs[5 * r + 4][i] * xp_row[r]) * di_row[r];
  }
  for (int64_t r = 0; r < rows; ++r) {
    const T* v = ptrs[5 * r];
    for (int64_t i = 0; i < n; ++i) out[r * n + i] = v[i] + k * x[i * rows + r];
  }
}

// Refuses a parent array that would read out of bounds (checked once per distinct array of a call).
inline ffi::Error CheckParents(const int32_t* par, int64_t n, const char* op) {
  for (int64_t i = 1; i < n; ++i) {
    if (par[i] < 0 || par[i] >= i) {
      return ffi::Error::InvalidArgument(std::string(op) + ": parent[i] must satisfy 0 <= parent[i] < i");
    }
  }
  return ffi::Error::Success();
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

constexpr const char* kCableOp = "brainsim cable_step";

template <typename T>
ffi::Error Cable(ffi::AnyBuffer v, ffi::AnyBuffer GI, ffi::AnyBuffer c, ffi::AnyBuffer ga, ffi::AnyBuffer parent,
                 double k, ffi::Result<ffi::AnyBuffer> out) {
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(GI, kCableOp, "GI"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(c, kCableOp, "c"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<T>(ga, kCableOp, "ga"));
  BRAINSIM_RETURN_IF_ERROR(CheckType<int32_t>(parent, kCableOp, "parent"));
  const int64_t n = LastDim(*out);
  const auto gi_dims = GI.dimensions();
  if (LastDim(v) != n || LastDim(GI) != n || LastDim(c) != n || LastDim(ga) != n || LastDim(parent) != n || n < 1 ||
      gi_dims.size() < 2 || gi_dims[gi_dims.size() - 2] != 2) {
    return ffi::Error::InvalidArgument(std::string(kCableOp) + ": v, c, ga and parent need shape (*, N) and GI "
                                       "(*, 2, N)");
  }
  Batch batch(out->dimensions(), 1);
  Batched<const T> vb, gib, cb, gb;
  Batched<const int32_t> pb;
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, v, 1, "v", &vb));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, GI, 2, "GI", &gib));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, c, 1, "c", &cb));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, ga, 1, "ga", &gb));
  BRAINSIM_RETURN_IF_ERROR(Bind(batch, parent, 1, "parent", &pb));
  T* dst = static_cast<T*>(out->untyped_data());
  const int64_t rows = batch.size();
  bool shared_parents = true;
  for (int64_t r = 1; r < rows && shared_parents; ++r) shared_parents = pb[r] == pb[0];
  if (rows > 1 && shared_parents) {  // cells of one tree: node-major, the cells' chains interleaved
    BRAINSIM_RETURN_IF_ERROR(CheckParents(pb[0], n, kCableOp));
    thread_local std::vector<T> scratch;
    thread_local std::vector<const T*> ptrs;
    scratch.resize(2 * rows * n);
    ptrs.resize(5 * rows);
    for (int64_t r = 0; r < rows; ++r) {
      ptrs[5 * r] = vb[r];
      ptrs[5 * r + 1] = gib[r];
      ptrs[5 * r + 2] = gib[r] + n;
      ptrs[5 * r + 3] = cb[r];
      ptrs[5 * r + 4] = gb[r];
    }
    CableMany(ptrs.data(), pb[0], n, rows, static_cast<T>(k), scratch.data(), scratch.data() + rows * n, dst);
    return ffi::Error::Success();
  }
  thread_local std::vector<T> scratch;
  scratch.resize(2 * n);
  const int32_t* checked = nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t* par = pb[r];
    if (par != checked) {
      BRAINSIM_RETURN_IF_ERROR(CheckParents(par, n, kCableOp));
      checked = par;
    }
    CableOne(vb[r], gib[r], gib[r] + n, cb[r], gb[r], par, n, static_cast<T>(k), scratch.data(), scratch.data() + n,
             dst + r * n);
  }
  return ffi::Error::Success();
}

}  // namespace

ffi::Error CableStep(ffi::AnyBuffer v, ffi::AnyBuffer GI, ffi::AnyBuffer c, ffi::AnyBuffer ga, ffi::AnyBuffer parent,
                     double k, ffi::Result<ffi::AnyBuffer> out) {
  return DispatchValue(v.element_type(), kCableOp,
                       [&](auto t) { return Cable<decltype(t)>(v, GI, c, ga, parent, k, out); });
}

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

XLA_FFI_DEFINE_HANDLER_SYMBOL(BrainsimCableStep, brainsim::CableStep,
                              xla::ffi::Ffi::Bind()
                                  .Arg<xla::ffi::AnyBuffer>()  // v
                                  .Arg<xla::ffi::AnyBuffer>()  // GI
                                  .Arg<xla::ffi::AnyBuffer>()  // c
                                  .Arg<xla::ffi::AnyBuffer>()  // ga
                                  .Arg<xla::ffi::AnyBuffer>()  // parent
                                  .Attr<double>("k")
                                  .Ret<xla::ffi::AnyBuffer>());

BRAINSIM_END_EXPORTS
