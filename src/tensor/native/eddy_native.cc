// eddy's optional native kernels: the three matrix multiplies of `Backend` (NN, NT, TN) and the LSTM step forward
// and backward, in C++ vectorised for the machine that builds them (-march=native at `npm install`), the multiplies
// on up to two threads, over bound ArrayBuffers (wasm backends' memories) addressed by byte offsets. Nothing here
// allocates per call once its scratch has grown.
//
// One kernel family does all three layouts: C'(i, j) (+)= Σk A'(i, k) · B'(k, j), where A' is read as broadcast
// scalars through any strides and B' along contiguous rows (j), with an MR × 2·VL register tile of accumulators.
//   NN: A' = A [M,K], B' = B [K,N]                    C' = C
//   TN: A' = Aᵀ (A [K,M], packed into MR-row slivers), B' = B [K,N]   C' = C
//   NT: A' = B [N,K] (a weight, read in place), B' = Aᵀ (A [M,K] transposed into scratch)   C' = Cᵀ
// NT with few rows (a streaming step, M <= 4) is a set of dot products along contiguous rows instead; "NT by rows"
// (op 3) is that for any M: every row of C gets the bits of the 1-row product, whatever M (a batched streaming step
// equals stepping each row alone), at about half the speed of the blocked kernel from M = 32 on.
// The pointwise jobs (cell steps, the one-hot gather) split their rows the same way when they are large (a keyed
// tick's 256-row steps); rows never interact, so the split changes no result. A one-row streaming step (streamStep)
// runs every layer and the head in one call, each layer split over the threads by hidden units, with the bits of
// the same step done kernel by kernel.
// Both threads take chunks of one job from a shared counter; the calling thread never waits for a chunk nobody
// has started, so a descheduled helper thread costs nothing but its own chunk.
#include <node_api.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
constexpr int VL = 16;
#define EDDY_ISA "avx512"
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int VL = 8;
#define EDDY_ISA "avx2-fma"
#elif defined(__AVX__)
constexpr int VL = 8;
#define EDDY_ISA "avx"
#else
constexpr int VL = 4;
#define EDDY_ISA "generic"
#endif

typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4), may_alias));

static inline vf vload(const float* p) { return *reinterpret_cast<const vfu*>(p); }
static inline void vstore(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }
static inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
typedef int32_t vi __attribute__((vector_size(VL * 4)));
// Lane l of the result is lane l ^ S of v.
template <int S>
static inline vf swapLanes(vf v) {
  vi m;
  for (int l = 0; l < VL; l++) m[l] = l ^ S;
  return __builtin_shuffle(v, m);
}
// The sum of v's lanes in one fixed tree order (halves, quarters, ...): the same bits wherever it is called.
static inline float hsum(vf v) {
  if constexpr (VL >= 16) v += swapLanes<8>(v);
  if constexpr (VL >= 8) v += swapLanes<4>(v);
  v += swapLanes<2>(v);
  v += swapLanes<1>(v);
  return v[0];
}

// Two vectors whose lanes hold partial sums of elements in segments of 2·H lanes (p's elements, then q's) to one
// whose segments of H lanes hold lane l + lane l + H of each segment: one level of `hsum` for several elements.
template <int H>
static inline vf combine(vf p, vf q) {
  constexpr int per = VL / (2 * H);  // elements in p (and in q)
  vi lo, hi;
  for (int l = 0; l < VL; l++) {
    const int e = l / H, i = l % H;
    const int src = e < per ? e * 2 * H : VL + (e - per) * 2 * H;
    lo[l] = src + i;
    hi[l] = src + H + i;
  }
  return __builtin_shuffle(p, q, lo) + __builtin_shuffle(p, q, hi);
}

// Lane e of the result is hsum(v[e]), bit for bit (the same pairs added in the same order), for VL vectors at once
// by a transpose-and-add network: far fewer instructions than VL separate hsums. Overwrites v.
static inline vf hsumGroup(vf* v) {
  int n = VL;
  if constexpr (VL >= 16) {
    for (int i = 0; i < n / 2; i++) v[i] = combine<8>(v[2 * i], v[2 * i + 1]);
    n /= 2;
  }
  if constexpr (VL >= 8) {
    for (int i = 0; i < n / 2; i++) v[i] = combine<4>(v[2 * i], v[2 * i + 1]);
    n /= 2;
  }
  for (int i = 0; i < n / 2; i++) v[i] = combine<2>(v[2 * i], v[2 * i + 1]);
  n /= 2;
  return combine<1>(v[0], v[1]);
}

// Register tile: MR rows of C' by NR = 2·VL columns (16 accumulators with AVX-512's 32 registers, 12 with AVX2's 16).
constexpr int MR = VL == 16 ? 8 : 6;
constexpr int NR = 2 * VL;
// Cache blocking: KC values of k per pass (a KC × NR sliver of B' stays in L1), MC rows of A' per packed block.
constexpr int KC = 256;
constexpr int MC = 96;

// C'(i, j) (+)= Σk A'(i, k) B'(k, j) over one MR' × NR tile; B' rows hold NR readable floats (edge slivers padded).
template <int R>
static inline void tile(int kc, const float* __restrict a, long rsA, long csA, const float* __restrict b, long ldb,
                        float* __restrict c, long rsC, long csC, int nr, bool acc) {
  vf c0[R], c1[R];
  for (int r = 0; r < R; r++) c0[r] = c1[r] = vf{};
  for (int k = 0; k < kc; k++) {
    const vf b0 = vload(b + k * ldb), b1 = vload(b + k * ldb + VL);
    const float* ak = a + k * csA;
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const float s = ak[r * rsA];
      c0[r] += b0 * s;
      c1[r] += b1 * s;
    }
  }
  if (csC == 1 && nr == NR) {
    for (int r = 0; r < R; r++) {
      float* cr = c + r * rsC;
      if (acc) {
        vstore(cr, vload(cr) + c0[r]);
        vstore(cr + VL, vload(cr + VL) + c1[r]);
      } else {
        vstore(cr, c0[r]);
        vstore(cr + VL, c1[r]);
      }
    }
    return;
  }
  for (int r = 0; r < R; r++) {
    float t[NR];
    vstore(t, c0[r]);
    vstore(t + VL, c1[r]);
    float* cr = c + r * rsC;
    for (int j = 0; j < nr; j++) cr[j * csC] = (acc ? cr[j * csC] : 0.f) + t[j];
  }
}

static void tileAny(int rows, int kc, const float* a, long rsA, long csA, const float* b, long ldb, float* c, long rsC, long csC, int nr, bool acc) {
  switch (rows) {
    case 1: return tile<1>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
    case 2: return tile<2>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
    case 3: return tile<3>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
    case 4: return tile<4>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
    case 5: return tile<5>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
    case 6: return tile<6>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
    default:
      if constexpr (MR >= 8) {
        if (rows == 7) return tile<7>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
        return tile<8>(kc, a, rsA, csA, b, ldb, c, rsC, csC, nr, acc);
      }
  }
}

// One product C'[M', N'] (+)= A'[M', K] B'[K, N'] as described at the top (strides in floats).
struct Outer {
  int M, N, K;
  const float* a;
  long rsA, csA;
  const float* b;
  long ldb;
  float* c;
  long rsC, csC;
  bool acc;
};

// Per-thread scratch: packed A' slivers and one zero-padded edge sliver of B'.
struct Scratch {
  std::vector<float> apack, bedge;
};

// Rows [i0, i1) and columns [j0, j1) of an Outer product (i0, j0 on tile boundaries).
static void outerBlock(const Outer& g, int i0, int i1, int j0, int j1, Scratch& s) {
  const bool pack = g.csA != 1;  // A' strided along k (TN): pack into slivers [k][MR] per block
  if (pack && s.apack.size() < size_t(MC) * KC) s.apack.resize(size_t(MC) * KC);
  if (s.bedge.size() < size_t(KC) * NR) s.bedge.resize(size_t(KC) * NR);
  for (int pc = 0; pc < g.K; pc += KC) {
    const int kc = std::min(KC, g.K - pc);
    const bool acc = g.acc || pc > 0;
    for (int ic = i0; ic < i1; ic += MC) {
      const int mc = std::min(MC, i1 - ic);
      const float* ablk = g.a + ic * g.rsA + pc * g.csA;
      long rsA = g.rsA, csA = g.csA, sliver = 0;
      if (pack) {
        // sliver q holds rows ic + q·MR .. +MR as [k][MR]; rows past mc are zero
        float* dst = s.apack.data();
        for (int q = 0; q < mc; q += MR) {
          const int rows = std::min(MR, mc - q);
          for (int k = 0; k < kc; k++) {
            const float* src = ablk + q * g.rsA + k * g.csA;
            float* d = dst + (q / MR) * (MR * kc) + k * MR;
            for (int r = 0; r < rows; r++) d[r] = src[r * g.rsA];
            for (int r = rows; r < MR; r++) d[r] = 0.f;
          }
        }
        ablk = dst;
        rsA = 1;
        csA = MR;
        sliver = long(MR) * kc;
      }
      for (int jr = j0; jr < j1; jr += NR) {
        const int nr = std::min(NR, j1 - jr);
        const float* bs = g.b + long(pc) * g.ldb + jr;
        long ldb = g.ldb;
        if (nr < NR) {
          float* e = s.bedge.data();
          for (int k = 0; k < kc; k++) {
            std::memcpy(e + k * NR, bs + k * g.ldb, sizeof(float) * nr);
            std::memset(e + k * NR + nr, 0, sizeof(float) * (NR - nr));
          }
          bs = e;
          ldb = NR;
        }
        for (int ir = 0; ir < mc; ir += MR) {
          const int rows = std::min(MR, mc - ir);
          const float* at = pack ? ablk + (ir / MR) * sliver : ablk + ir * rsA;
          tileAny(rows, kc, at, rsA, csA, bs, ldb, g.c + long(ic + ir) * g.rsC + long(jr) * g.csC, g.rsC, g.csC, nr, acc);
        }
      }
    }
  }
}

// C[M, N] (+)= A[M, K] · B[N, K]ᵀ by dot products along contiguous rows, for rows [j0, j1) of B, in tiles of
// DI rows of A by DJ rows of B. Every element C(i, j) is computed by the same arithmetic whatever the tile, M, the
// split between threads or the block: VL lanes of fused multiply-adds over k < kv, `hsum`, then k >= kv in order.
// So row i of an M-row product has the bits of the 1-row product of A's row i: a batched streaming step equals
// stepping each row alone (keyedRecurrent's promise).
constexpr int DI = VL == 16 ? 4 : 2;
constexpr int DJ = 4;

// a · b + c, fused, for the row-exact dot tiles: written out so that every tile shape gets the same rounding (GCC's
// contraction of `s += x * w` differed between tile shapes on AVX2, so a row of a batch lost the bits of the row alone).
static inline vf vfma(vf a, vf b, vf c) {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_fmadd_ps(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(c)));
#elif defined(__FMA__) && defined(__AVX2__)
  return reinterpret_cast<vf>(_mm256_fmadd_ps(reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(c)));
#else
  return a * b + c;
#endif
}

template <int R, int S>
static inline void dotTile(int K, const float* __restrict a, const float* __restrict b, float* __restrict c, int N, bool acc) {
  const int kv = K - K % VL;
  vf s[R][S];
  for (int r = 0; r < R; r++)
    for (int q = 0; q < S; q++) s[r][q] = vf{};
  for (int k = 0; k < kv; k += VL) {
    vf x[R];
    for (int r = 0; r < R; r++) {
      x[r] = vload(a + long(r) * K + k);
      __asm__("" : "+v"(x[r]));  // keep the row in a register (GCC would otherwise reload it for every product)
    }
#pragma GCC unroll 4
    for (int q = 0; q < S; q++) {
      vf w = vload(b + long(q) * K + k);
      __asm__("" : "+v"(w));  // one load of B's row per chunk, not one per product
      for (int r = 0; r < R; r++) s[r][q] = vfma(x[r], w, s[r][q]);
    }
  }
  float sums[R * S];
  if constexpr (R * S % VL == 0) {
    for (int g = 0; g < R * S; g += VL) {
      vf v[VL];
      for (int e = 0; e < VL; e++) v[e] = s[(g + e) / S][(g + e) % S];
      vstore(sums + g, hsumGroup(v));
    }
  } else {
    for (int e = 0; e < R * S; e++) sums[e] = hsum(s[e / S][e % S]);
  }
  for (int r = 0; r < R; r++)
    for (int q = 0; q < S; q++) {
      const float *ar = a + long(r) * K, *bq = b + long(q) * K;
      float t = sums[r * S + q];
      for (int k = kv; k < K; k++) t = __builtin_fmaf(ar[k], bq[k], t);
      float* cij = c + long(r) * N + q;
      *cij = acc ? *cij + t : t;
    }
}

// R rows of A against rows [j, j1) of B: whole tiles of DJ rows inlined in one loop, then the rest.
template <int R>
static void dotRowBand(int K, const float* a, const float* B, float* c, int N, int j, int j1, bool acc) {
  for (; j + DJ <= j1; j += DJ) dotTile<R, DJ>(K, a, B + long(j) * K, c + j, N, acc);
  switch (j1 - j) {
    case 1: return dotTile<R, 1>(K, a, B + long(j) * K, c + j, N, acc);
    case 2: return dotTile<R, 2>(K, a, B + long(j) * K, c + j, N, acc);
    case 3: return dotTile<R, 3>(K, a, B + long(j) * K, c + j, N, acc);
    default: return;
  }
}

static void dotRowBandAny(int rows, int K, const float* a, const float* B, float* c, int N, int j, int j1, bool acc) {
  switch (rows) {
    case 1: return dotRowBand<1>(K, a, B, c, N, j, j1, acc);
    case 2: return dotRowBand<2>(K, a, B, c, N, j, j1, acc);
    case 3: if constexpr (DI >= 3) return dotRowBand<3>(K, a, B, c, N, j, j1, acc);
      [[fallthrough]];
    default: return dotRowBand<DI>(K, a, B, c, N, j, j1, acc);
  }
}

// Rows of B per block: the block (rows · K floats) stays in L2 while every row of A passes over it.
static inline int dotBlockRows(int K) { return std::max(DJ, (32768 / std::max(K, 1)) / DJ * DJ); }

static void dotNT(int M, int K, const float* A, const float* B, float* C, int N, int j0, int j1, bool acc) {
  const int jb = dotBlockRows(K);
  for (int b0 = j0; b0 < j1; b0 += jb) {
    const int b1 = std::min(j1, b0 + jb);
    for (int i = 0; i < M; i += DI) dotRowBandAny(std::min(DI, M - i), K, A + long(i) * K, B, C + long(i) * N, N, b0, b1, acc);
  }
}

// C[M, N] (+)= A[M, K] · Wᵀ for lower-precision weights W [N, K] (streaming steps, few rows), rows [j0, j1) of W:
// bf16 (kind 1: the high half of a float32) or int8 (kind 2: w = q · scale[j]). Accumulated in float32.
typedef int8_t vbu __attribute__((vector_size(VL), aligned(1), may_alias));
typedef uint32_t vu __attribute__((vector_size(VL * 4)));
typedef int32_t vi32 __attribute__((vector_size(VL * 4)));
typedef uint32_t vuu __attribute__((vector_size(VL * 4), aligned(1), may_alias));  // unaligned 32-bit lanes
// One bf16 weight as a float (its bits are the high half of a float32).
static inline float bf16At(const uint16_t* w, long k) {
  const uint32_t u = uint32_t(w[k]) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
// VL int8 weights from `w + k` as floats (intrinsics where GCC's generic vector conversions would go element by
// element).
static inline vf loadQ8(const int8_t* w, long k) {
#if defined(__AVX512F__)
  return reinterpret_cast<vf>(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k)))));
#elif defined(__AVX2__)
  return reinterpret_cast<vf>(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + k)))));
#else
  return __builtin_convertvector(__builtin_convertvector(*reinterpret_cast<const vbu*>(w + k), vi32), vf);
#endif
}
// int8 rows (w = q · scale[j]), four at a time, VL weights widened a load.
static void dotNTint8(int M, int K, const float* A, const int8_t* W, const float* scales, float* C, int N, int j0, int j1, bool acc) {
  const int kv = K - K % VL;
  const auto row = [&](int j) { return W + long(j) * K; };
  for (int i = 0; i < M; i++) {
    const float* a = A + long(i) * K;
    float* c = C + long(i) * N;
    int j = j0;
    for (; j + 4 <= j1; j += 4) {
      const int8_t *b0 = row(j), *b1 = row(j + 1), *b2 = row(j + 2), *b3 = row(j + 3);
      vf s0{}, s1{}, s2{}, s3{};
      for (int k = 0; k < kv; k += VL) {
        const vf x = vload(a + k);
        s0 = vfma(x, loadQ8(b0, k), s0);
        s1 = vfma(x, loadQ8(b1, k), s1);
        s2 = vfma(x, loadQ8(b2, k), s2);
        s3 = vfma(x, loadQ8(b3, k), s3);
      }
      float t[4] = {hsum(s0), hsum(s1), hsum(s2), hsum(s3)};
      const int8_t* bs[4] = {b0, b1, b2, b3};
      for (int q = 0; q < 4; q++) {
        for (int k = kv; k < K; k++) t[q] = __builtin_fmaf(a[k], float(bs[q][k]), t[q]);
        if (scales) t[q] *= scales[j + q];
        c[j + q] = acc ? c[j + q] + t[q] : t[q];
      }
    }
    for (; j < j1; j++) {
      const int8_t* b = row(j);
      vf s{};
      for (int k = 0; k < kv; k += VL) s = vfma(vload(a + k), loadQ8(b, k), s);
      float t = hsum(s);
      for (int k = kv; k < K; k++) t = __builtin_fmaf(a[k], float(b[k]), t);
      if (scales) t *= scales[j];
      c[j] = acc ? c[j] + t : t;
    }
  }
}

// bf16 weights, 2·VL a load: each 32-bit lane holds a pair (w[k], w[k+1]) of the row; the pair shifted left by 16
// is w[k] as a float, masked to its high half w[k+1]: two integer operations instead of a widening conversion
// (a shuffle) per VL weights, and half the bytes of float32. The row of A is split once into its even and odd
// elements to meet them. Four rows of W at a time, each with an even and an odd accumulator; the last K % (2·VL)
// elements one by one. Accumulated in float32.
static void dotNTbf16(int M, int K, const float* A, const uint16_t* W, float* C, int N, int j0, int j1, bool acc) {
  const int kp = K / (2 * VL) * (2 * VL);
  thread_local std::vector<float> split;
  if (split.size() < size_t(kp)) split.resize(kp);
  float* xe = split.data();
  float* xo = xe + kp / 2;
  const auto pair = [](const uint16_t* w, int k) { return *reinterpret_cast<const vuu*>(w + k); };
  const auto even = [](vu u) { return (vf)(u << 16); };
  const auto odd = [](vu u) { return (vf)(u & 0xffff0000u); };
  for (int i = 0; i < M; i++) {
    const float* a = A + long(i) * K;
    float* c = C + long(i) * N;
    for (int k = 0; k < kp / 2; k++) {
      xe[k] = a[2 * k];
      xo[k] = a[2 * k + 1];
    }
    const auto finish = [&](int j, vf e, vf o) {
      const uint16_t* b = W + long(j) * K;
      float t = hsum(e + o);
      for (int k = kp; k < K; k++) t = __builtin_fmaf(a[k], bf16At(b, k), t);
      c[j] = acc ? c[j] + t : t;
    };
    int j = j0;
    for (; j + 4 <= j1; j += 4) {
      const uint16_t *b0 = W + long(j) * K, *b1 = b0 + K, *b2 = b1 + K, *b3 = b2 + K;
      vf e0{}, e1{}, e2{}, e3{}, o0{}, o1{}, o2{}, o3{};
      for (int k = 0; k < kp; k += 2 * VL) {
        const vf x0 = vload(xe + k / 2), x1 = vload(xo + k / 2);
        const vu u0 = pair(b0, k), u1 = pair(b1, k), u2 = pair(b2, k), u3 = pair(b3, k);
        e0 = vfma(x0, even(u0), e0);
        o0 = vfma(x1, odd(u0), o0);
        e1 = vfma(x0, even(u1), e1);
        o1 = vfma(x1, odd(u1), o1);
        e2 = vfma(x0, even(u2), e2);
        o2 = vfma(x1, odd(u2), o2);
        e3 = vfma(x0, even(u3), e3);
        o3 = vfma(x1, odd(u3), o3);
      }
      finish(j, e0, o0);
      finish(j + 1, e1, o1);
      finish(j + 2, e2, o2);
      finish(j + 3, e3, o3);
    }
    for (; j < j1; j++) {
      const uint16_t* b = W + long(j) * K;
      vf e{}, o{};
      for (int k = 0; k < kp; k += 2 * VL) {
        const vu u = pair(b, k);
        e = vfma(vload(xe + k / 2), even(u), e);
        o = vfma(vload(xo + k / 2), odd(u), o);
      }
      finish(j, e, o);
    }
  }
}

static void dotNTq(int kind, int M, int K, const float* A, const void* W, const float* scales, float* C, int N, int j0, int j1, bool acc) {
  if (kind == 1) dotNTbf16(M, K, A, static_cast<const uint16_t*>(W), C, N, j0, j1, acc);
  else dotNTint8(M, K, A, static_cast<const int8_t*>(W), scales, C, N, j0, j1, acc);
}

// ---- threads ------------------------------------------------------------------------------------------------

// A job split into n chunks along one dimension; chunk q covers [q·step, min((q+1)·step, total)).
struct Job {
  int kind;  // 0 outer split by rows of C', 1 outer split by columns of C', 2 dotNT split by rows of B, 3 read-sum,
             // 4 dotNTq (lower-precision weights) split by rows of W
  Outer g;
  int total, step;
  // dotNT
  int M, N, K;
  const float *A, *B;
  float* C;
  bool acc;
  // dotNTq
  int qkind;
  const void* W;
  const float* scales;
  // rows (kind 5): fn over rows [lo, hi) of a pointwise job (a cell step, the one-hot gather)
  void (*rows)(const Job&, int lo, int hi);
  float* p[10];
  const long* floats;
  const int32_t* ids;
  int H, V;
  // the fused streaming step (kind 5 with ctx: its rows are hidden units)
  const void* ctx;
};

struct Pool;
static void runChunk(Pool& p, const Job& job, int q, Scratch& s);

struct Pool {
  // ticket: generation (high 32 bits) | next chunk (bits 16..31) | chunk count (bits 0..15)
  std::atomic<uint64_t> ticket{0};
  std::atomic<int> completed{0};
  std::atomic<bool> sleeping{false}, stop{false};
  std::mutex m;
  std::condition_variable cv;
  Job job{};
  std::thread worker;
  bool running = false;
  int threads = 1;
  Scratch main, helper;
  std::vector<float> at, ct;  // Aᵀ and Cᵀ for NT
  double spinSeconds = 0.0002;

  // Claims the next chunk of the current job; -1 when none is left.
  int claim() {
    uint64_t t = ticket.load(std::memory_order_acquire);
    for (;;) {
      const int next = int((t >> 16) & 0xffff), n = int(t & 0xffff);
      if (next >= n) return -1;
      if (ticket.compare_exchange_weak(t, t + (uint64_t(1) << 16), std::memory_order_acq_rel, std::memory_order_acquire)) return next;
    }
  }

  void workerLoop() {
    uint64_t seenGen = ticket.load() >> 32;
    while (!stop.load(std::memory_order_acquire)) {
      const auto t0 = std::chrono::steady_clock::now();
      int spins = 0;
      while ((ticket.load(std::memory_order_acquire) >> 32) == seenGen && !stop.load(std::memory_order_relaxed)) {
        cpuRelax();
        if (++spins % 256 == 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > spinSeconds) {
          std::unique_lock<std::mutex> lk(m);
          sleeping.store(true);
          cv.wait(lk, [&] { return (ticket.load() >> 32) != seenGen || stop.load(); });
          sleeping.store(false);
        }
      }
      if (stop.load()) break;
      seenGen = ticket.load() >> 32;
      for (int q; (q = claim()) >= 0;) {
        runChunk(*this, job, q, helper);
        completed.fetch_add(1, std::memory_order_release);
      }
    }
  }

  void setThreads(int n) {
    n = std::max(1, std::min(2, n));
    if (n == threads) return;
    if (running) {
      stop.store(true);
      { std::lock_guard<std::mutex> lk(m); cv.notify_all(); }
      worker.join();
      running = false;
      stop.store(false);
    }
    threads = n;
    if (n > 1) {
      worker = std::thread([this] { workerLoop(); });
      running = true;
    }
  }

  // Runs every chunk of `j`, on both threads when there are two and the job has more than one chunk.
  void run(const Job& j, int chunks) {
    if (threads == 1 || chunks <= 1) {
      for (int q = 0; q < chunks; q++) runChunk(*this, j, q, main);
      return;
    }
    job = j;
    completed.store(0, std::memory_order_relaxed);
    const uint64_t gen = (ticket.load() >> 32) + 1;
    ticket.store((gen << 32) | uint64_t(chunks), std::memory_order_seq_cst);
    if (sleeping.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lk(m);
      cv.notify_all();
    }
    int mine = 0;
    for (int q; (q = claim()) >= 0; mine++) runChunk(*this, job, q, main);
    // Wait for the helper's chunks: spin briefly (they usually end together), then yield the core, so that a
    // helper descheduled by the machine's other work (a loaded, shared machine) gets to run instead of this
    // thread spinning away its time slice.
    for (int spins = 0; completed.load(std::memory_order_acquire) != chunks - mine; spins++) {
      if (spins < 4096) cpuRelax();
      else std::this_thread::yield();
    }
  }

  ~Pool() { setThreads(1); }
};

static void runChunk(Pool&, const Job& j, int q, Scratch& s) {
  const int lo = q * j.step, hi = std::min(j.total, lo + j.step);
  if (lo >= hi) return;
  if (j.kind == 0) outerBlock(j.g, lo, hi, 0, j.g.N, s);
  else if (j.kind == 1) outerBlock(j.g, 0, j.g.M, lo, hi, s);
  else if (j.kind == 2) dotNT(j.M, j.K, j.A, j.B, j.C, j.N, lo, hi, j.acc);
  else if (j.kind == 4) dotNTq(j.qkind, j.M, j.K, j.A, j.W, j.scales, j.C, j.N, lo, hi, j.acc);
  else if (j.kind == 5) j.rows(j, lo, hi);
  else {  // read-sum of A[lo, hi) into C[q] (the bandwidth probe)
    vf s0{}, s1{};
    for (long i = lo; i < hi; i += 2 * VL) {
      s0 += vload(j.A + i);
      s1 += vload(j.A + i + VL);
    }
    j.C[q] = hsum(s0 + s1);
  }
}

// Σ buf[0, n) read on the pool's threads, one half each (n a multiple of 2·VL; the bandwidth probe).
static float readSum(Pool& p, const float* buf, long n) {
  float partial[2] = {0, 0};
  Job j{};
  j.kind = 3;
  j.A = buf;
  j.C = partial;
  j.total = int(n);
  const int chunks = p.threads;
  j.step = int((n / chunks + 2 * VL - 1) / (2 * VL) * (2 * VL));
  p.run(j, chunks);
  return partial[0] + partial[1];
}

// Below this many multiply-adds a product runs on the calling thread alone (waking the helper costs more).
// Measured on the 2-core machines, interleaved in one process (W1 of the bench): one thread 44 ms per step; two
// for products >= 2^24 (the window's weight gradient and the head) 40 ms; >= 2^22 (also the 32 x 1024 x 256
// products of every time step) 37 ms; every product 37 ms. Tunable for measurement with `tune` (not public API).
static double PARALLEL_MACS = double(1 << 22);
// Streaming steps (few rows): two threads each keep their half of a weight in their own L2 from step to step
// (W2 LSTM: 19.5 µs on one thread, 12.5 on two; W1b's 512 x 128 steps gain nothing at 2^15).
static double PARALLEL_DOT_MACS = double(1 << 17);
// Pointwise jobs (cell steps, the one-hot gather) from this many elements of [B, H] (or [M, N]) use both threads:
// W4's 256 x 256 LSTM steps (about 0.2 ms each) do, a streaming step (B = 1) or W1's 32 x 256 do not.
static double PARALLEL_ROWS = double(1 << 15);

// Runs `rows` over [0, B) in one chunk, or split in two by rows when there are two threads and B·H is large.
// Rows of these jobs never interact, so the split changes no result.
static void runRows(Pool& p, Job& j, int B, int H) {
  j.kind = 5;
  j.total = B;
  const int chunks = p.threads > 1 && B >= 2 && double(B) * H >= PARALLEL_ROWS ? p.threads : 1;
  j.step = (B + chunks - 1) / chunks;
  p.run(j, chunks);
}

static void outer(Pool& p, const Outer& g) {
  Job j{};
  j.g = g;
  const int tilesM = (g.M + MR - 1) / MR, tilesN = (g.N + NR - 1) / NR;
  const bool par = p.threads > 1 && double(g.M) * g.N * g.K >= PARALLEL_MACS && std::max(tilesM, tilesN) > 1;
  const int chunks = par ? p.threads : 1;
  if (tilesM >= tilesN) {
    j.kind = 0;
    j.total = g.M;
    j.step = ((tilesM + chunks - 1) / chunks) * MR;
  } else {
    j.kind = 1;
    j.total = g.N;
    j.step = ((tilesN + chunks - 1) / chunks) * NR;
  }
  p.run(j, chunks);
}

// dst[j, i] (+)= src[i, j] for src [rows, cols] with row strides ls, ld (floats), in cache-sized blocks.
static void transpose(const float* src, int rows, int cols, long ls, float* dst, long ld, bool acc) {
  constexpr int TB = 16;
  for (int i0 = 0; i0 < rows; i0 += TB)
    for (int j0 = 0; j0 < cols; j0 += TB) {
      const int i1 = std::min(rows, i0 + TB), j1 = std::min(cols, j0 + TB);
      for (int j = j0; j < j1; j++) {
        float* d = dst + long(j) * ld;
        if (acc)
          for (int i = i0; i < i1; i++) d[i] += src[long(i) * ls + j];
        else
          for (int i = i0; i < i1; i++) d[i] = src[long(i) * ls + j];
      }
    }
}

static void gemm(Pool& p, int op, int M, int N, int K, const float* A, const float* B, float* C, bool acc) {
  if (op == 0) {  // NN
    outer(p, Outer{M, N, K, A, K, 1, B, N, C, N, 1, acc});
  } else if (op == 2) {  // TN: A [K, M]
    outer(p, Outer{M, N, K, A, 1, M, B, N, C, N, 1, acc});
  } else if (M <= 4 || op == 3) {  // NT with few rows, or NT by rows (op 3, for any M): dot products (see dotNT)
    Job j{};
    j.kind = 2;
    j.M = M; j.N = N; j.K = K; j.A = A; j.B = B; j.C = C; j.acc = acc;
    j.total = N;
    const int chunks = p.threads > 1 && double(M) * N * K >= PARALLEL_DOT_MACS && N >= 8 ? p.threads : 1;
    j.step = ((N + chunks - 1) / chunks + 3) / 4 * 4;
    p.run(j, chunks);
  } else {  // NT: Cᵀ[N, M] = B[N, K] · Aᵀ[K, M] into scratch (rows padded to whole tiles), then transposed into C
    const int mp = (M + NR - 1) / NR * NR;
    if (p.at.size() < size_t(K) * mp) p.at.resize(size_t(K) * mp);
    if (p.ct.size() < size_t(N) * mp) p.ct.resize(size_t(N) * mp);
    float* at = p.at.data();
    float* ct = p.ct.data();
    transpose(A, M, K, K, at, mp, false);
    for (int k = 0; k < K; k++) std::memset(at + long(k) * mp + M, 0, sizeof(float) * (mp - M));
    outer(p, Outer{N, mp, K, B, K, 1, at, mp, ct, mp, 1, false});
    transpose(ct, N, M, mp, C, N, acc);
  }
}

// The one-hot input projection out[i, k] = W[k, ids[i]] + bias[k] for rows [i0, i1) of out [M, N], W [N, V]: for
// 64 columns of out at a time, T [V, 64] = those rows of W transposed, plus bias (in L1), then each row of out
// copies its id's row of T: W is read along its rows, out written along its rows (a column read per element
// costs a cache line each). Fewer than V/8 rows read their columns instead. Values are W + bias exactly.
static void gatherColumnRows(float* out, const float* W, const float* bias, const int32_t* ids, int i0, int i1, int N, int V) {
  if (8L * (i1 - i0) < V) {  // few rows (a streaming step): read their columns, cheaper than transposing all of W
    for (int i = i0; i < i1; i++) {
      const float* w = W + ids[i];
      float* o = out + long(i) * N;
      for (int k = 0; k < N; k++) o[k] = w[long(k) * V] + bias[k];
    }
    return;
  }
  constexpr int KB = 64;
  thread_local std::vector<float> table;
  if (table.size() < size_t(V) * KB) table.resize(size_t(V) * KB);
  float* T = table.data();
  for (int k0 = 0; k0 < N; k0 += KB) {
    const int kn = std::min(N - k0, KB);
    for (int k = 0; k < kn; k++) {
      const float* w = W + long(k0 + k) * V;
      const float b = bias[k0 + k];
      for (int v = 0; v < V; v++) T[v * KB + k] = w[v] + b;
    }
    for (int i = i0; i < i1; i++) {
      const float* t = T + long(ids[i]) * KB;
      float* o = out + long(i) * N + k0;
      for (int k = 0; k < kn; k++) o[k] = t[k];
    }
  }
}

// Its gradient W[k, ids[i]] += A[i, k] for rows [k0, k1) of W [N, V], A [M, N]: for 64 rows of W at a
// time, T [V, 64] = those rows transposed (in L1), then every row i of A in order added into T's row ids[i], then
// T written back. Each element of W receives its additions in the order of i, as the reference's loop: the same
// bits. Fewer than V/8 rows of A add into W's columns directly. Threads split W's rows (no element is shared).
static void scatterAddColumnRange(float* W, const float* A, const int32_t* ids, int M, int N, int V, int k0, int k1) {
  if (8L * M < V) {
    for (int i = 0; i < M; i++) {
      float* w = W + ids[i];
      const float* a = A + long(i) * N;
      for (int k = k0; k < k1; k++) w[long(k) * V] += a[k];
    }
    return;
  }
  constexpr int KB = 64;
  thread_local std::vector<float> table;
  if (table.size() < size_t(V) * KB) table.resize(size_t(V) * KB);
  float* T = table.data();
  for (int kb = k0; kb < k1; kb += KB) {
    const int kn = std::min(k1 - kb, KB);
    for (int k = 0; k < kn; k++) {
      const float* w = W + long(kb + k) * V;
      for (int v = 0; v < V; v++) T[v * KB + k] = w[v];
    }
    for (int i = 0; i < M; i++) {
      float* t = T + long(ids[i]) * KB;
      const float* a = A + long(i) * N + kb;
      for (int k = 0; k < kn; k++) t[k] += a[k];
    }
    for (int k = 0; k < kn; k++) {
      float* w = W + long(kb + k) * V;
      for (int v = 0; v < V; v++) w[v] = T[v * KB + k];
    }
  }
}

#include "eddy_pointwise.h"

// ---- the fused streaming step ----------------------------------------------------------------------------------

// One layer of a one-row streaming step, for the units one thread takes: the gate rows of those units (G blocks
// of H rows: gates in PyTorch's order) of gx = W_ih x + b_ih (a one-hot x: column `id` of W_ih) and gh = W_hh h,
// then the cell's pointwise step of those units. Each gate row is computed by the arithmetic of the unfused step
// (`dotNT`'s per-element dot products, the gather's W + b, the bias added after the product, the cell's
// unit ranges), so the fused step has the bits of the unfused one, which has the bits of any row of a batch.
// The new h goes to hNew (the other thread still reads h for its products); c is updated in place (a unit's c is
// read and written by the thread that owns the unit).
struct StreamLayer {
  int cell, G, H, K;  // cell: 0 lstm, 1 gru, 2 rnn_tanh, 3 rnn_relu; K: the input's width (V for a one-hot input)
  int id;             // the token id of a one-hot input, or -1 for a dense input x [K]
  int q;              // the products' weights: 0 float32 (wih, whh), 1 bf16, 2 int8 (wihQ, whhQ; scales for int8)
  const float *x, *wih, *bih, *whh, *bhh, *h;
  const void *wihQ, *whhQ;
  const float *wihS, *whhS;
  float *c, *gx, *gh, *act, *aux, *hNew;
};

static void streamUnits(const StreamLayer& s, int u0, int u1) {
  const int G = s.G, H = s.H, GH = G * H;
  for (int g = 0; g < G; g++) {
    const int r0 = g * H + u0, r1 = g * H + u1;
    if (s.q) dotNTq(s.q, 1, H, s.h, s.whhQ, s.whhS, s.gh, GH, r0, r1, false);
    else dotNT(1, H, s.h, s.whh, s.gh, GH, r0, r1, false);
    if (s.id >= 0) {  // the gather reads the float32 weights (rounded in place when the products read packed ones)
      const float* w = s.wih + s.id;
      for (int k = r0; k < r1; k++) s.gx[k] = w[long(k) * s.K] + s.bih[k];
    } else {
      if (s.q) dotNTq(s.q, 1, s.K, s.x, s.wihQ, s.wihS, s.gx, GH, r0, r1, false);
      else dotNT(1, s.K, s.x, s.wih, s.gx, GH, r0, r1, false);
      for (int k = r0; k < r1; k++) s.gx[k] = s.gx[k] + s.bih[k];
    }
  }
  if (s.cell == 0) lstmUnits(s.hNew, s.c, s.act, s.aux, s.gx, s.gh, s.c, s.bhh, H, u0, u1);
  else if (s.cell == 1) gruUnits(s.hNew, s.act, s.aux, s.gx, s.gh, s.h, s.bhh, H, u0, u1);
  else if (s.cell == 2) rnnUnits<false>(s.hNew, s.act, s.gx, s.gh, s.bhh, u0, u1);
  else rnnUnits<true>(s.hNew, s.act, s.gx, s.gh, s.bhh, u0, u1);
}

// Runs one layer: split in two by hidden units (at a multiple of VL) when there are two threads and the layer's
// products are as large as a streaming product that is split (PARALLEL_DOT_MACS), then h = hNew.
static void streamLayer(Pool& p, const StreamLayer& s, float* h) {
  const double macs = double(s.G) * s.H * (s.H + (s.id >= 0 ? 0 : s.K));
  const int chunks = p.threads > 1 && macs >= PARALLEL_DOT_MACS && s.H >= 2 * VL ? p.threads : 1;
  Job j{};
  j.kind = 5;
  j.ctx = &s;
  j.total = s.H;
  j.step = ((s.H + chunks - 1) / chunks + VL - 1) / VL * VL;
  j.rows = [](const Job& j, int lo, int hi) { streamUnits(*static_cast<const StreamLayer*>(j.ctx), lo, hi); };
  p.run(j, chunks);
  std::memcpy(h, s.hNew, sizeof(float) * size_t(s.H));
}

// ---- N-API ----------------------------------------------------------------------------------------------------

// A bound buffer. The caller keeps the ArrayBuffer alive (the wasm backend holds its memory) and never grows it.
struct Bound {
  uint8_t* base;
  size_t length;
};

struct Instance {
  Pool pool;
  std::vector<Bound> bound;
};

static napi_value fail(napi_env env, const char* code, const char* msg) {
  napi_throw_error(env, code, msg);
  return nullptr;
}

static Instance* instance(napi_env env) {
  void* d = nullptr;
  napi_get_instance_data(env, &d);
  return static_cast<Instance*>(d);
}

// bind(buffer: ArrayBuffer) -> slot: later calls address it as (slot, byte offset). The caller keeps the buffer
// alive and never detaches or grows it (a wasm memory created at its maximum size).
static napi_value Bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  bool isAb = false;
  if (argc < 1 || napi_is_arraybuffer(env, argv[0], &isAb) != napi_ok || !isAb) return fail(env, "ERR_INVALID_ARG", "eddy native bind: expected an ArrayBuffer");
  Instance* in = instance(env);
  void* data = nullptr;
  size_t len = 0;
  napi_get_arraybuffer_info(env, argv[0], &data, &len);
  in->bound.push_back(Bound{static_cast<uint8_t*>(data), len});
  napi_value out;
  napi_create_int32(env, int32_t(in->bound.size() - 1), &out);
  return out;
}

// gemm(slot, op, M, N, K, aAddr, bAddr, cAddr, accumulate): op 0 NN, 1 NT, 2 TN, 3 NT by rows; addresses are 4-aligned byte
// offsets into the bound buffer `slot`.
static napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 9) return fail(env, "ERR_INVALID_ARG", "eddy native gemm: expected 9 arguments");
  int32_t slot, v[7];
  if (napi_get_value_int32(env, argv[0], &slot) != napi_ok) return fail(env, "ERR_INVALID_ARG", "eddy native gemm: slot must be an integer");
  for (int i = 0; i < 7; i++)
    if (napi_get_value_int32(env, argv[i + 1], &v[i]) != napi_ok) return fail(env, "ERR_INVALID_ARG", "eddy native gemm: arguments 2-8 must be integers");
  bool acc = false;
  napi_get_value_bool(env, argv[8], &acc);
  Instance* in = instance(env);
  const int op = v[0], M = v[1], N = v[2], K = v[3];
  if (slot < 0 || size_t(slot) >= in->bound.size()) return fail(env, "ERR_INVALID_ARG", "eddy native gemm: no such bound buffer");
  const Bound& bd = in->bound[size_t(slot)];
  if (op < 0 || op > 3 || M < 0 || N < 0 || K < 0) return fail(env, "ERR_INVALID_ARG", "eddy native gemm: bad op or size");
  const uint64_t sa = uint64_t(M) * K * 4, sb = uint64_t(N) * K * 4, sc = uint64_t(M) * N * 4;
  for (int i = 4; i < 7; i++)
    if (v[i] < 0 || (v[i] & 3) != 0) return fail(env, "ERR_INVALID_ARG", "eddy native gemm: addresses must be non-negative multiples of 4");
  if (uint64_t(v[4]) + sa > bd.length || uint64_t(v[5]) + sb > bd.length || uint64_t(v[6]) + sc > bd.length)
    return fail(env, "ERR_OUT_OF_RANGE", "eddy native gemm: an operand extends past the bound buffer");
  if (M == 0 || N == 0) return nullptr;
  float* C = reinterpret_cast<float*>(bd.base + v[6]);
  if (K == 0) {
    if (!acc) std::memset(C, 0, sc);
    return nullptr;
  }
  gemm(in->pool, op, M, N, K, reinterpret_cast<const float*>(bd.base + v[4]), reinterpret_cast<const float*>(bd.base + v[5]), C, acc);
  return nullptr;
}

// The operands of a cell job from row `lo` on (operands of `floats[k]` > 0 floats per row and unit advance by
// lo·floats[k]·H; a bias, floats[k] < 0, stays).
static void rowsFrom(const Job& j, int count, int lo, float** q) {
  for (int k = 0; k < count; k++) q[k] = j.floats[k] > 0 ? j.p[k] + long(lo) * j.floats[k] * j.H : j.p[k];
}

// Reads `count` int32 arguments (slot first, then byte addresses, then B, H) and resolves the addresses, each
// checked to hold `floats[k]`·B·H floats (or -floats[k]·H when negative) inside the bound buffer. Returns false after throwing.
static bool cellArgs(napi_env env, napi_callback_info info, const char* name, int count, const long* floats, float** out, int& B, int& H) {
  napi_value argv[16];
  size_t argc = 16;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (int(argc) < count + 3) { fail(env, "ERR_INVALID_ARG", name); return false; }
  int32_t v[16];
  for (int i = 0; i < count + 3; i++)
    if (napi_get_value_int32(env, argv[i], &v[i]) != napi_ok) { fail(env, "ERR_INVALID_ARG", name); return false; }
  Instance* in = instance(env);
  B = v[count + 1];
  H = v[count + 2];
  if (v[0] < 0 || size_t(v[0]) >= in->bound.size() || B < 0 || H < 0) { fail(env, "ERR_INVALID_ARG", name); return false; }
  const Bound& bd = in->bound[size_t(v[0])];
  for (int k = 0; k < count; k++) {
    const uint64_t bytes = floats[k] < 0 ? uint64_t(-floats[k]) * uint64_t(H) * 4 : uint64_t(floats[k]) * uint64_t(B) * uint64_t(H) * 4;
    if (v[k + 1] < 0 || (v[k + 1] & 3) != 0 || uint64_t(v[k + 1]) + bytes > bd.length) { fail(env, "ERR_OUT_OF_RANGE", name); return false; }
    out[k] = reinterpret_cast<float*>(bd.base + v[k + 1]);
  }
  return true;
}

// lstmForward(slot, h, c, act, aux, gx, gh, cPrev, bhh, B, H): as the wasm kernel of that name.
static napi_value LstmForward(napi_env env, napi_callback_info info) {
  static const long floats[8] = {1, 1, 4, 1, 4, 4, 1, -4};  // per B·H; bhh [4H]
  float* p[8];
  int B, H;
  if (!cellArgs(env, info, "eddy native lstmForward: bad arguments or an operand outside the bound buffer", 8, floats, p, B, H)) return nullptr;
  Job j{};
  for (int k = 0; k < 8; k++) j.p[k] = p[k];
  j.floats = floats;
  j.H = H;
  j.rows = [](const Job& j, int lo, int hi) {
    float* q[8];
    rowsFrom(j, 8, lo, q);
    lstmForward(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], hi - lo, j.H);
  };
  runRows(instance(env)->pool, j, B, H);
  return nullptr;
}

// lstmBackward(slot, dgx, dgh, dhPrev, dcPrev, dh, dc, act, aux, cPrev, B, H): as the wasm kernel of that name.
static napi_value LstmBackward(napi_env env, napi_callback_info info) {
  static const long floats[9] = {4, 4, 1, 1, 1, 1, 4, 1, 1};
  float* p[9];
  int B, H;
  if (!cellArgs(env, info, "eddy native lstmBackward: bad arguments or an operand outside the bound buffer", 9, floats, p, B, H)) return nullptr;
  Job j{};
  for (int k = 0; k < 9; k++) j.p[k] = p[k];
  j.floats = floats;
  j.H = H;
  j.rows = [](const Job& j, int lo, int hi) {
    float* q[9];
    rowsFrom(j, 9, lo, q);
    lstmBackward(q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], hi - lo, j.H);
  };
  runRows(instance(env)->pool, j, B, H);
  return nullptr;
}

// gruForward(slot, h, act, aux, gx, gh, hPrev, bhh, B, H): as the wasm kernel of that name.
static napi_value GruForward(napi_env env, napi_callback_info info) {
  static const long floats[7] = {1, 3, 1, 3, 3, 1, -3};
  float* p[7];
  int B, H;
  if (!cellArgs(env, info, "eddy native gruForward: bad arguments or an operand outside the bound buffer", 7, floats, p, B, H)) return nullptr;
  Job j{};
  for (int k = 0; k < 7; k++) j.p[k] = p[k];
  j.floats = floats;
  j.H = H;
  j.rows = [](const Job& j, int lo, int hi) {
    float* q[7];
    rowsFrom(j, 7, lo, q);
    gruForward(q[0], q[1], q[2], q[3], q[4], q[5], q[6], hi - lo, j.H);
  };
  runRows(instance(env)->pool, j, B, H);
  return nullptr;
}

// gruBackward(slot, dgx, dgh, dhPrev, dh, act, aux, hPrev, B, H): as the wasm kernel of that name.
static napi_value GruBackward(napi_env env, napi_callback_info info) {
  static const long floats[7] = {3, 3, 1, 1, 3, 1, 1};
  float* p[7];
  int B, H;
  if (!cellArgs(env, info, "eddy native gruBackward: bad arguments or an operand outside the bound buffer", 7, floats, p, B, H)) return nullptr;
  Job j{};
  for (int k = 0; k < 7; k++) j.p[k] = p[k];
  j.floats = floats;
  j.H = H;
  j.rows = [](const Job& j, int lo, int hi) {
    float* q[7];
    rowsFrom(j, 7, lo, q);
    gruBackward(q[0], q[1], q[2], q[3], q[4], q[5], q[6], hi - lo, j.H);
  };
  runRows(instance(env)->pool, j, B, H);
  return nullptr;
}

// rnnTanhForward / rnnReluForward(slot, h, act, gx, gh, bhh, B, H): as the wasm kernels of those names.
template <bool RELU>
static napi_value RnnForward(napi_env env, napi_callback_info info) {
  static const long floats[5] = {1, 1, 1, 1, -1};
  float* p[5];
  int B, H;
  if (!cellArgs(env, info, "eddy native rnnForward: bad arguments or an operand outside the bound buffer", 5, floats, p, B, H)) return nullptr;
  Job j{};
  for (int k = 0; k < 5; k++) j.p[k] = p[k];
  j.floats = floats;
  j.H = H;
  j.rows = [](const Job& j, int lo, int hi) {
    float* q[5];
    rowsFrom(j, 5, lo, q);
    rnnForward<RELU>(q[0], q[1], q[2], q[3], q[4], hi - lo, j.H);
  };
  runRows(instance(env)->pool, j, B, H);
  return nullptr;
}

// rnnTanhBackward / rnnReluBackward(slot, dgx, dgh, dhPrev, dh, act, B, H): as the wasm kernels of those names.
template <bool RELU>
static napi_value RnnBackward(napi_env env, napi_callback_info info) {
  static const long floats[5] = {1, 1, 1, 1, 1};
  float* p[5];
  int B, H;
  if (!cellArgs(env, info, "eddy native rnnBackward: bad arguments or an operand outside the bound buffer", 5, floats, p, B, H)) return nullptr;
  Job j{};
  for (int k = 0; k < 5; k++) j.p[k] = p[k];
  j.floats = floats;
  j.H = H;
  j.rows = [](const Job& j, int lo, int hi) {
    float* q[5];
    rowsFrom(j, 5, lo, q);
    rnnBackward<RELU>(q[0], q[1], q[2], q[3], q[4], hi - lo, j.H);
  };
  runRows(instance(env)->pool, j, B, H);
  return nullptr;
}

// gatherColumns(slot, out, w, bias, ids, M, N, V): out [M, N] = W [N, V] column ids[i] + bias [N] for each row i,
// as the wasm kernel of that name (byte addresses after the slot); every id checked in [0, V).
static napi_value GatherColumns(napi_env env, napi_callback_info info) {
  const char* msg = "eddy native gatherColumns: bad arguments, an operand outside the bound buffer or an id outside [0, V)";
  napi_value argv[8];
  size_t argc = 8;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t v[8];
  if (argc < 8) return fail(env, "ERR_INVALID_ARG", msg);
  for (int i = 0; i < 8; i++)
    if (napi_get_value_int32(env, argv[i], &v[i]) != napi_ok) return fail(env, "ERR_INVALID_ARG", msg);
  Instance* in = instance(env);
  const int M = v[5], N = v[6], V = v[7];
  if (v[0] < 0 || size_t(v[0]) >= in->bound.size() || M < 0 || N < 0 || V < 1) return fail(env, "ERR_INVALID_ARG", msg);
  const Bound& bd = in->bound[size_t(v[0])];
  const uint64_t bytes[4] = {uint64_t(M) * uint64_t(N) * 4, uint64_t(N) * uint64_t(V) * 4, uint64_t(N) * 4, uint64_t(M) * 4};
  for (int k = 0; k < 4; k++)
    if (v[k + 1] < 0 || (v[k + 1] & 3) != 0 || uint64_t(v[k + 1]) + bytes[k] > bd.length) return fail(env, "ERR_OUT_OF_RANGE", msg);
  const int32_t* ids = reinterpret_cast<const int32_t*>(bd.base + v[4]);
  for (int i = 0; i < M; i++)
    if (ids[i] < 0 || ids[i] >= V) return fail(env, "ERR_OUT_OF_RANGE", msg);
  Job j{};
  j.p[0] = reinterpret_cast<float*>(bd.base + v[1]);
  j.p[1] = reinterpret_cast<float*>(bd.base + v[2]);
  j.p[2] = reinterpret_cast<float*>(bd.base + v[3]);
  j.ids = ids;
  j.H = N;
  j.V = V;
  j.rows = [](const Job& j, int lo, int hi) { gatherColumnRows(j.p[0], j.p[1], j.p[2], j.ids, lo, hi, j.H, j.V); };
  runRows(in->pool, j, M, N);
  return nullptr;
}

// scatterAddColumns(slot, w, a, ids, M, N, V): W [N, V] column ids[i] += A [M, N] row i, rows in order, as the
// wasm kernel of that name (byte addresses after the slot); every id checked in [0, V).
static napi_value ScatterAddColumns(napi_env env, napi_callback_info info) {
  const char* msg = "eddy native scatterAddColumns: bad arguments, an operand outside the bound buffer or an id outside [0, V)";
  napi_value argv[7];
  size_t argc = 7;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t v[7];
  if (argc < 7) return fail(env, "ERR_INVALID_ARG", msg);
  for (int i = 0; i < 7; i++)
    if (napi_get_value_int32(env, argv[i], &v[i]) != napi_ok) return fail(env, "ERR_INVALID_ARG", msg);
  Instance* in = instance(env);
  const int M = v[4], N = v[5], V = v[6];
  if (v[0] < 0 || size_t(v[0]) >= in->bound.size() || M < 0 || N < 0 || V < 1) return fail(env, "ERR_INVALID_ARG", msg);
  const Bound& bd = in->bound[size_t(v[0])];
  const uint64_t bytes[3] = {uint64_t(N) * uint64_t(V) * 4, uint64_t(M) * uint64_t(N) * 4, uint64_t(M) * 4};
  for (int k = 0; k < 3; k++)
    if (v[k + 1] < 0 || (v[k + 1] & 3) != 0 || uint64_t(v[k + 1]) + bytes[k] > bd.length) return fail(env, "ERR_OUT_OF_RANGE", msg);
  const int32_t* ids = reinterpret_cast<const int32_t*>(bd.base + v[3]);
  for (int i = 0; i < M; i++)
    if (ids[i] < 0 || ids[i] >= V) return fail(env, "ERR_OUT_OF_RANGE", msg);
  Job j{};
  j.p[0] = reinterpret_cast<float*>(bd.base + v[1]);
  j.p[1] = reinterpret_cast<float*>(bd.base + v[2]);
  j.ids = ids;
  j.M = M;
  j.H = N;
  j.V = V;
  // split by rows of W (runRows's "B" = N; its rows k are W's rows and A's columns)
  j.rows = [](const Job& j, int lo, int hi) { scatterAddColumnRange(j.p[0], j.p[1], j.ids, j.M, j.H, j.V, lo, hi); };
  runRows(in->pool, j, N, M);
  return nullptr;
}

// The data and length of a typed array argument of the expected type, or null after throwing (`name` in the message).
template <typename T>
static T* typedArg(napi_env env, napi_value v, napi_typedarray_type want, size_t& length, const char* name) {
  bool is = false;
  napi_typedarray_type type;
  void* data = nullptr;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
    fail(env, "ERR_INVALID_ARG", name);
    return nullptr;
  }
  return static_cast<T*>(data);
}

// softmaxXent(dlogits: Float32Array | null, logits: Float32Array, targets: Int32Array, N, V, scale) -> summed loss.
// Any arrays (not only bound buffers): the caller has checked the shapes; they are checked again here.
static napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const char* msg = "eddy native softmaxXent: expected (Float32Array | null, Float32Array, Int32Array, N, V, scale) of matching lengths";
  if (argc < 6) return fail(env, "ERR_INVALID_ARG", msg);
  int32_t N, V;
  double scale;
  if (napi_get_value_int32(env, argv[3], &N) != napi_ok || napi_get_value_int32(env, argv[4], &V) != napi_ok ||
      napi_get_value_double(env, argv[5], &scale) != napi_ok || N < 0 || V < 1)
    return fail(env, "ERR_INVALID_ARG", msg);
  napi_valuetype t0;
  napi_typeof(env, argv[0], &t0);
  size_t nd = 0, nl = 0, nt = 0;
  float* dl = nullptr;
  if (t0 != napi_null && !(dl = typedArg<float>(env, argv[0], napi_float32_array, nd, msg))) return nullptr;
  const float* l = typedArg<float>(env, argv[1], napi_float32_array, nl, msg);
  if (!l) return nullptr;
  const int32_t* tg = typedArg<int32_t>(env, argv[2], napi_int32_array, nt, msg);
  if (!tg) return nullptr;
  const size_t need = size_t(N) * size_t(V);
  if (nl < need || nt < size_t(N) || (dl && nd < need)) return fail(env, "ERR_OUT_OF_RANGE", msg);
  for (int32_t r = 0; r < N; r++)
    if (tg[r] >= V) return fail(env, "ERR_OUT_OF_RANGE", "eddy native softmaxXent: a target is >= V");
  napi_value out;
  napi_create_double(env, softmaxXent(dl, l, tg, N, V, float(scale)), &out);
  return out;
}

// adamUpdate(params, grads, m, v: Float32Array, coefs: Float64Array [beta1, beta2, c1, c2, stepSize, bc2Sqrt, eps,
// decay, l2]): one Adam update of every element, in place.
static napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const char* msg = "eddy native adamUpdate: expected (params, grads, m, v: Float32Array of one length, coefs: Float64Array [9])";
  if (argc < 5) return fail(env, "ERR_INVALID_ARG", msg);
  size_t n[4], nc = 0;
  float* a[4];
  for (int i = 0; i < 4; i++)
    if (!(a[i] = typedArg<float>(env, argv[i], napi_float32_array, n[i], msg))) return nullptr;
  const double* c = typedArg<double>(env, argv[4], napi_float64_array, nc, msg);
  if (!c) return nullptr;
  if (n[1] != n[0] || n[2] != n[0] || n[3] != n[0] || nc < 9) return fail(env, "ERR_INVALID_ARG", msg);
  const AdamCoefs k{float(c[0]), float(c[1]), float(c[2]), float(c[3]), float(c[4]), float(c[5]), float(c[6]), float(c[7]), float(c[8])};
  adamUpdate(a[0], a[1], a[2], a[3], long(n[0]), k);
  return nullptr;
}

// readBandwidth(bytes, reps) -> bytes read per second: sums a buffer of `bytes` (its own, filled once) `reps`
// times on the pool's threads (each thread its half), the weight-streaming limit of the bench's roofline.
static napi_value ReadBandwidth(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double bytes, reps;
  if (argc < 2 || napi_get_value_double(env, argv[0], &bytes) != napi_ok || napi_get_value_double(env, argv[1], &reps) != napi_ok ||
      !(bytes >= 4096 && bytes <= 1e9) || !(reps >= 1 && reps <= 1e6))
    return fail(env, "ERR_INVALID_ARG", "eddy native readBandwidth: expected bytes in [4096, 1e9] and reps in [1, 1e6]");
  Instance* in = instance(env);
  const long n = long(bytes / 4) / (2 * VL) * (2 * VL);
  std::vector<float> buf(size_t(n), 1.f);
  const auto t0 = std::chrono::steady_clock::now();
  volatile float sink = 0;
  for (int r = 0; r < int(reps); r++) sink = sink + readSum(in->pool, buf.data(), n);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  napi_value out;
  napi_create_double(env, double(n) * 4 * reps / s, &out);
  return out;
}

// gemmLowp(slot, kind, M, N, K, a, w, scales, c, accumulate): C[M, N] (+)= A[M, K] · Wᵀ with W [N, K] in bf16
// (kind 1) or int8 (kind 2, scales [N] at byte address `scales`; -1 for bf16), rows one by one (streaming steps), on the
// pool's threads for products of at least 2^17 multiply-adds (rows of W split, so results do not depend on them).
static napi_value GemmLowp(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  const char* msg = "eddy native gemmLowp: expected (slot, kind 1|2, M >= 1, N, K, a, w, scales, c, accumulate) inside the bound buffer";
  if (argc < 10) return fail(env, "ERR_INVALID_ARG", msg);
  int32_t v[9];
  for (int i = 0; i < 9; i++)
    if (napi_get_value_int32(env, argv[i], &v[i]) != napi_ok) return fail(env, "ERR_INVALID_ARG", msg);
  bool acc = false;
  napi_get_value_bool(env, argv[9], &acc);
  Instance* in = instance(env);
  const int slot = v[0], kind = v[1], M = v[2], N = v[3], K = v[4];
  if (slot < 0 || size_t(slot) >= in->bound.size() || (kind != 1 && kind != 2) || M < 1 || N < 0 || K < 0)
    return fail(env, "ERR_INVALID_ARG", msg);
  const Bound& bd = in->bound[size_t(slot)];
  const uint64_t esz = kind == 1 ? 2 : 1;
  const uint64_t need[4] = {uint64_t(M) * K * 4, uint64_t(N) * K * esz, uint64_t(N) * 4, uint64_t(M) * N * 4};
  const int32_t at[4] = {v[5], v[6], v[7], v[8]};
  for (int i = 0; i < 4; i++) {
    if (i == 2 && kind == 1) continue;
    const uint64_t align = i == 1 ? esz : 4;
    if (at[i] < 0 || uint64_t(at[i]) % align != 0 || uint64_t(at[i]) + need[i] > bd.length) return fail(env, "ERR_OUT_OF_RANGE", msg);
  }
  if (N == 0) return nullptr;
  Job j{};
  j.kind = 4;
  j.qkind = kind;
  j.M = M; j.N = N; j.K = K;
  j.A = reinterpret_cast<const float*>(bd.base + at[0]);
  j.W = bd.base + at[1];
  j.scales = kind == 2 ? reinterpret_cast<const float*>(bd.base + at[2]) : nullptr;
  j.C = reinterpret_cast<float*>(bd.base + at[3]);
  j.acc = acc;
  j.total = N;
  Pool& p = in->pool;
  const int chunks = p.threads > 1 && double(M) * N * K >= PARALLEL_DOT_MACS && N >= 8 ? p.threads : 1;
  j.step = ((N + chunks - 1) / chunks + 3) / 4 * 4;
  p.run(j, chunks);
  return nullptr;
}

// streamStep(slot, args: Int32Array): one streaming step of one row through every layer and the head, in one call
// (the layers as streamLayer, the head as gemm op 3 or gemmLowp and the bias added after it). args, byte addresses
// in the bound buffer: [cell 0 lstm | 1 gru | 2 rnn_tanh | 3 rnn_relu, L, H, onehot 0|1, x (the id as an int32 for
// a one-hot input, else floats [K0]), h [L, H], c [L, H] (-1 unless lstm), y [Y], Y (0: no head), head weight
// [Y, H], head bias [Y], scratch [3·G·H + 2·H], q (0 float32 weights, 1 bf16, 2 int8), head scales [Y] (int8),
// then per layer: wih [G·H, K] float32, bih [G·H], whh [G·H, H] (packed when q > 0), bhh [G·H], K, wih packed
// (q > 0 and a dense input), wih scales, whh scales (int8)]. h and c are updated in place; y receives the output.
static napi_value StreamStep(napi_env env, napi_callback_info info) {
  const char* msg = "eddy native streamStep: bad arguments, an operand outside the bound buffer or an id outside [0, V)";
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t slot = -1;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &slot) != napi_ok) return fail(env, "ERR_INVALID_ARG", msg);
  size_t n = 0;
  const int32_t* a = typedArg<int32_t>(env, argv[1], napi_int32_array, n, "eddy native streamStep: args must be an Int32Array");
  if (!a) return nullptr;
  Instance* in = instance(env);
  constexpr int HEAD = 14, PER_LAYER = 8, MAX_LAYERS = 8;
  if (slot < 0 || size_t(slot) >= in->bound.size() || n < size_t(HEAD + PER_LAYER)) return fail(env, "ERR_INVALID_ARG", msg);
  const int cell = a[0], L = a[1], H = a[2], onehot = a[3], Y = a[8], q = a[12];
  if (cell < 0 || cell > 3 || L < 1 || L > MAX_LAYERS || H < 1 || (onehot != 0 && onehot != 1) || Y < 0 || q < 0 || q > 2 ||
      n != size_t(HEAD + PER_LAYER * L))
    return fail(env, "ERR_INVALID_ARG", msg);
  const int G = cell == 0 ? 4 : cell == 1 ? 3 : 1;
  const uint64_t GH = uint64_t(G) * H;
  const uint64_t esz = q == 1 ? 2 : q == 2 ? 1 : 4;  // bytes a weight of the products
  const Bound& bd = in->bound[size_t(slot)];
  bool ok = true;
  auto bytesAt = [&](int32_t addr, uint64_t bytes, uint64_t align) -> uint8_t* {
    if (addr < 0 || uint64_t(addr) % align != 0 || uint64_t(addr) + bytes > bd.length) {
      ok = false;
      return nullptr;
    }
    return bd.base + addr;
  };
  auto at = [&](int32_t addr, uint64_t floats) { return reinterpret_cast<float*>(bytesAt(addr, floats * 4, 4)); };
  auto scalesAt = [&](int32_t addr, uint64_t rows) -> const float* { return q == 2 ? at(addr, rows) : nullptr; };
  const int K0 = a[HEAD + 4];
  float* x = at(a[4], onehot ? 1 : uint64_t(std::max(K0, 0)));
  float* h = at(a[5], uint64_t(L) * H);
  float* c = cell == 0 ? at(a[6], uint64_t(L) * H) : nullptr;
  float* y = Y > 0 ? at(a[7], uint64_t(Y)) : nullptr;
  const void* hw = Y > 0 ? bytesAt(a[9], uint64_t(Y) * H * esz, esz) : nullptr;
  const float* hb = Y > 0 ? at(a[10], uint64_t(Y)) : nullptr;
  const float* hs = Y > 0 ? scalesAt(a[13], uint64_t(Y)) : nullptr;
  float* scratch = at(a[11], 3 * GH + 2 * uint64_t(H));
  if (!ok) return fail(env, "ERR_OUT_OF_RANGE", msg);
  StreamLayer layers[MAX_LAYERS];
  for (int l = 0; l < L; l++) {
    const int32_t* e = a + HEAD + PER_LAYER * l;
    const int K = e[4];
    if (K < 1 || (l > 0 && K != H)) return fail(env, "ERR_INVALID_ARG", msg);
    StreamLayer& s = layers[l];
    s.cell = cell; s.G = G; s.H = H; s.K = K; s.q = q;
    s.wih = at(e[0], GH * K);
    s.bih = at(e[1], GH);
    s.bhh = at(e[3], GH);
    s.whh = nullptr; s.whhQ = nullptr; s.wihQ = nullptr; s.wihS = nullptr; s.whhS = nullptr;
    if (q) {
      s.whhQ = bytesAt(e[2], GH * H * esz, esz);
      s.whhS = scalesAt(e[7], GH);
      if (l > 0 || !onehot) {
        s.wihQ = bytesAt(e[5], GH * K * esz, esz);
        s.wihS = scalesAt(e[6], GH);
      }
    } else {
      s.whh = at(e[2], GH * H);
    }
    s.id = -1;
    s.x = l == 0 ? x : h + long(l - 1) * H;
    s.h = h + long(l) * H;
    s.c = c ? c + long(l) * H : nullptr;
    s.gx = scratch; s.gh = scratch + GH; s.act = scratch + 2 * GH; s.aux = scratch + 3 * GH; s.hNew = s.aux + H;
  }
  if (!ok) return fail(env, "ERR_OUT_OF_RANGE", msg);
  if (onehot) {
    const int32_t id = *reinterpret_cast<const int32_t*>(x);
    if (id < 0 || id >= layers[0].K) return fail(env, "ERR_OUT_OF_RANGE", msg);
    layers[0].id = id;
  }
  Pool& p = in->pool;
  for (int l = 0; l < L; l++) streamLayer(p, layers[l], h + long(l) * H);
  if (Y > 0) {
    Job j{};
    j.kind = q ? 4 : 2;
    j.qkind = q;
    j.M = 1; j.N = Y; j.K = H; j.A = h + long(L - 1) * H; j.C = y; j.acc = false;
    j.B = q ? nullptr : static_cast<const float*>(hw);
    j.W = hw;
    j.scales = hs;
    j.total = Y;
    const int chunks = p.threads > 1 && double(Y) * H >= PARALLEL_DOT_MACS && Y >= 8 ? p.threads : 1;
    j.step = ((Y + chunks - 1) / chunks + 3) / 4 * 4;
    p.run(j, chunks);
    for (int k = 0; k < Y; k++) y[k] = y[k] + hb[k];
  }
  return nullptr;
}

// setThreads(n): 1 or 2; returns the count in effect.
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok) return fail(env, "ERR_INVALID_ARG", "eddy native setThreads: expected an integer");
  Instance* in = instance(env);
  in->pool.setThreads(n);
  napi_value out;
  napi_create_int32(env, in->pool.threads, &out);
  return out;
}

// tune(minMacs, minDotMacs): the sizes from which products use both threads (for measurement).
static napi_value Tune(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double a, b;
  if (argc < 2 || napi_get_value_double(env, argv[0], &a) != napi_ok || napi_get_value_double(env, argv[1], &b) != napi_ok) return fail(env, "ERR_INVALID_ARG", "eddy native tune: expected two numbers");
  PARALLEL_MACS = a;
  PARALLEL_DOT_MACS = b;
  return nullptr;
}

// info(): { isa, vectorFloats, threads, hardwareThreads }
static napi_value Info(napi_env env, napi_callback_info) {
  Instance* in = instance(env);
  napi_value o, s, n1, n2, n3;
  napi_create_object(env, &o);
  napi_create_string_utf8(env, EDDY_ISA, NAPI_AUTO_LENGTH, &s);
  napi_create_int32(env, VL, &n1);
  napi_create_int32(env, in->pool.threads, &n2);
  napi_create_int32(env, int(std::thread::hardware_concurrency()), &n3);
  napi_set_named_property(env, o, "isa", s);
  napi_set_named_property(env, o, "vectorFloats", n1);
  napi_set_named_property(env, o, "threads", n2);
  napi_set_named_property(env, o, "hardwareThreads", n3);
  return o;
}

static void finalize(napi_env, void* data, void*) { delete static_cast<Instance*>(data); }

NAPI_MODULE_INIT() {
  Instance* in = new Instance();
  napi_set_instance_data(env, in, finalize, nullptr);
  napi_property_descriptor props[] = {
      {"bind", nullptr, Bind, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruForward", nullptr, GruForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gruBackward", nullptr, GruBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rnnTanhForward", nullptr, RnnForward<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rnnReluForward", nullptr, RnnForward<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rnnTanhBackward", nullptr, RnnBackward<false>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rnnReluBackward", nullptr, RnnBackward<true>, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxXent", nullptr, SoftmaxXent, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"readBandwidth", nullptr, ReadBandwidth, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gatherColumns", nullptr, GatherColumns, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scatterAddColumns", nullptr, ScatterAddColumns, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemmLowp", nullptr, GemmLowp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"streamStep", nullptr, StreamStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"tune", nullptr, Tune, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}
