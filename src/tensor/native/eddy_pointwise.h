// eddy's native pointwise kernels (included once, by eddy_native.cc): the step of every recurrent cell forward and
// backward (the wasm kernels' contract: rows of B, H units, gates in PyTorch's order), the softmax cross-entropy of
// rows of logits with its gradient, and the Adam update. Float32 SIMD with the Cephes exponential; each matches the
// TypeScript reference (`src/cells/*Cell.ts`, `softmaxCrossEntropy`, `adam`) to float32 rounding, as the property
// tests check. Expects `vf`, `VL`, `vload` and `vstore` from the including file.
#pragma once
#include <cmath>
#include <cstring>

// ---- LSTM -----------------------------------------------------------------------------------------------------

typedef int32_t vi __attribute__((vector_size(VL * 4)));

// e^x for float32 (Cephes expf: x = n·ln2 + r, |r| <= ln2/2, degree-6 polynomial, 2^n built in the exponent bits).
static inline vf vexp(vf x) {
  const vf lo = vf{} - 87.3f, hi = vf{} + 88.3f;
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const vf n = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;  // round to nearest
  vf r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  vf p = vf{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.f;
  const vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  vf scale;  // 2^n: the bits of e read as floats (memcpy, not a pointer cast, which breaks strict aliasing)
  std::memcpy(&scale, &e, sizeof scale);
  return p * scale;
}
static inline vf vsigmoid(vf x) { return 1.f / (1.f + vexp(-x)); }
static inline vf vtanh(vf x) { return 1.f - 2.f / (vexp(x + x) + 1.f); }
static inline float sexp(float x) { vf v = vf{} + x; return vexp(v)[0]; }
static inline float ssigmoid(float x) { return 1.f / (1.f + sexp(-x)); }
static inline float stanh(float x) { return 1.f - 2.f / (sexp(x + x) + 1.f); }

// Units [j0, j1) of one row (j0 a multiple of VL, j1 = H or a multiple of VL: each unit goes to a vector or to the
// scalar tail exactly as in the whole row, so a row computed in ranges has the bits of the row computed at once):
// i, f, g, o = σ, σ, tanh, σ of x + y + b (x, y: the row's gates [4H]); c = f·cp + i·g; h = o·tanh(c); a, aux cached.
// h, c, aux, cp point at the row's [H] (c may be cp).
static inline void lstmUnits(float* h, float* c, float* a, float* aux, const float* x, const float* y, const float* cp, const float* b, int H, int j0, int j1) {
  int j = j0;
  for (; j + VL <= j1; j += VL) {
    const vf i = vsigmoid(vload(x + j) + vload(y + j) + vload(b + j));
    const vf f = vsigmoid(vload(x + H + j) + vload(y + H + j) + vload(b + H + j));
    const vf g = vtanh(vload(x + 2 * H + j) + vload(y + 2 * H + j) + vload(b + 2 * H + j));
    const vf o = vsigmoid(vload(x + 3 * H + j) + vload(y + 3 * H + j) + vload(b + 3 * H + j));
    vstore(a + j, i); vstore(a + H + j, f); vstore(a + 2 * H + j, g); vstore(a + 3 * H + j, o);
    const vf cv = f * vload(cp + j) + i * g;
    const vf tc = vtanh(cv);
    vstore(c + j, cv); vstore(aux + j, tc); vstore(h + j, o * tc);
  }
  for (; j < j1; j++) {
    const float i = ssigmoid(x[j] + y[j] + b[j]), f = ssigmoid(x[H + j] + y[H + j] + b[H + j]);
    const float g = stanh(x[2 * H + j] + y[2 * H + j] + b[2 * H + j]), o = ssigmoid(x[3 * H + j] + y[3 * H + j] + b[3 * H + j]);
    a[j] = i; a[H + j] = f; a[2 * H + j] = g; a[3 * H + j] = o;
    const float cv = f * cp[j] + i * g, tc = stanh(cv);
    c[j] = cv; aux[j] = tc; h[j] = o * tc;
  }
}

// The LSTM step of B rows: gates gx + gh + bhh (rows [B, 4H]), c from cPrev, h; act [B, 4H], aux [B, H] cached.
static void lstmForward(float* h, float* c, float* act, float* aux, const float* gx, const float* gh, const float* cp, const float* b, int B, int H) {
  for (int r = 0; r < B; r++) {
    const long g4 = long(r) * 4 * H, o1 = long(r) * H;
    lstmUnits(h + o1, c + o1, act + g4, aux + o1, gx + g4, gh + g4, cp + o1, b, H, 0, H);
  }
}

// Gate gradients into dgx and dgh (the same values; dgh may be dgx), dcPrev = dc_t · f, dhPrev = 0.
static void lstmBackward(float* dgx, float* dgh, float* dhp, float* dcp, const float* dh, const float* dc, const float* act, const float* aux, const float* cp, int B, int H) {
  const int hv = H - H % VL;
  for (int r = 0; r < B; r++) {
    const long g4 = long(r) * 4 * H, o1 = long(r) * H;
    const float* a = act + g4;
    float *x = dgx + g4, *y = dgh + g4;
    int j = 0;
    for (; j < hv; j += VL) {
      const vf i = vload(a + j), f = vload(a + H + j), g = vload(a + 2 * H + j), o = vload(a + 3 * H + j);
      const vf tc = vload(aux + o1 + j), dhv = vload(dh + o1 + j);
      const vf dct = dhv * o * (1.f - tc * tc) + vload(dc + o1 + j);
      const vf di = dct * g * i * (1.f - i), df = dct * vload(cp + o1 + j) * f * (1.f - f);
      const vf dg = dct * i * (1.f - g * g), dO = dhv * tc * o * (1.f - o);
      vstore(x + j, di); vstore(x + H + j, df); vstore(x + 2 * H + j, dg); vstore(x + 3 * H + j, dO);
      vstore(y + j, di); vstore(y + H + j, df); vstore(y + 2 * H + j, dg); vstore(y + 3 * H + j, dO);
      vstore(dcp + o1 + j, dct * f);
      vstore(dhp + o1 + j, vf{});
    }
    for (; j < H; j++) {
      const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = aux[o1 + j], dhv = dh[o1 + j];
      const float dct = dhv * o * (1.f - tc * tc) + dc[o1 + j];
      const float di = dct * g * i * (1.f - i), df = dct * cp[o1 + j] * f * (1.f - f), dg = dct * i * (1.f - g * g), dO = dhv * tc * o * (1.f - o);
      x[j] = di; x[H + j] = df; x[2 * H + j] = dg; x[3 * H + j] = dO;
      y[j] = di; y[H + j] = df; y[2 * H + j] = dg; y[3 * H + j] = dO;
      dcp[o1 + j] = dct * f;
      dhp[o1 + j] = 0.f;
    }
  }
}

// ---- GRU (gates r, z, n; b_hn inside the reset product) -------------------------------------------------------

// Units [j0, j1) of one row (ranges as lstmUnits): r = σ(x_r + y_r + b_r), z = σ(x_z + y_z + b_z), aux = y_n + b_n,
// n = tanh(x_n + r·aux), h = (1 - z)·n + z·hp; a caches [r, z, n] [3H]; h, aux, hp point at the row's [H].
static inline void gruUnits(float* h, float* a, float* aux, const float* x, const float* y, const float* hp, const float* b, int H, int j0, int j1) {
  int j = j0;
  for (; j + VL <= j1; j += VL) {
    const vf rg = vsigmoid(vload(x + j) + vload(y + j) + vload(b + j));
    const vf z = vsigmoid(vload(x + H + j) + vload(y + H + j) + vload(b + H + j));
    const vf hn = vload(y + 2 * H + j) + vload(b + 2 * H + j);
    const vf n = vtanh(vload(x + 2 * H + j) + rg * hn);
    const vf hpv = vload(hp + j);
    vstore(a + j, rg); vstore(a + H + j, z); vstore(a + 2 * H + j, n);
    vstore(aux + j, hn);
    vstore(h + j, (1.f - z) * n + z * hpv);
  }
  for (; j < j1; j++) {
    const float rg = ssigmoid(x[j] + y[j] + b[j]), z = ssigmoid(x[H + j] + y[H + j] + b[H + j]);
    const float hn = y[2 * H + j] + b[2 * H + j], n = stanh(x[2 * H + j] + rg * hn), hpv = hp[j];
    a[j] = rg; a[H + j] = z; a[2 * H + j] = n;
    aux[j] = hn;
    h[j] = (1.f - z) * n + z * hpv;
  }
}

// The GRU step of B rows (b_hn inside the reset product); act caches [r, z, n] [B, 3H]; h may be hPrev.
static void gruForward(float* h, float* act, float* aux, const float* gx, const float* gh, const float* hp, const float* b, int B, int H) {
  for (int r = 0; r < B; r++) {
    const long g3 = long(r) * 3 * H, o1 = long(r) * H;
    gruUnits(h + o1, act + g3, aux + o1, gx + g3, gh + g3, hp + o1, b, H, 0, H);
  }
}

// dgx = [dr, dz, dn], dgh = [dr, dz, dn·r] (written after dgx), dhPrev = dh·z, where dn = dh·(1 - z)·(1 - n²),
// dz = dh·(hPrev - n)·z·(1 - z), dr = dn·aux·r·(1 - r).
static void gruBackward(float* dgx, float* dgh, float* dhp, const float* dh, const float* act, const float* aux, const float* hp, int B, int H) {
  const int hv = H - H % VL;
  for (int r = 0; r < B; r++) {
    const long g3 = long(r) * 3 * H, o1 = long(r) * H;
    const float* a = act + g3;
    float *x = dgx + g3, *y = dgh + g3;
    int j = 0;
    for (; j < hv; j += VL) {
      const vf rg = vload(a + j), z = vload(a + H + j), n = vload(a + 2 * H + j);
      const vf d = vload(dh + o1 + j), hpv = vload(hp + o1 + j);
      const vf dn = d * (1.f - z) * (1.f - n * n);
      const vf dz = d * (hpv - n) * z * (1.f - z);
      const vf dr = dn * vload(aux + o1 + j) * rg * (1.f - rg);
      vstore(x + j, dr); vstore(x + H + j, dz); vstore(x + 2 * H + j, dn);
      vstore(y + j, dr); vstore(y + H + j, dz); vstore(y + 2 * H + j, dn * rg);
      vstore(dhp + o1 + j, d * z);
    }
    for (; j < H; j++) {
      const float rg = a[j], z = a[H + j], n = a[2 * H + j], d = dh[o1 + j], hpv = hp[o1 + j];
      const float dn = d * (1.f - z) * (1.f - n * n), dz = d * (hpv - n) * z * (1.f - z), dr = dn * aux[o1 + j] * rg * (1.f - rg);
      x[j] = dr; x[H + j] = dz; x[2 * H + j] = dn;
      y[j] = dr; y[H + j] = dz; y[2 * H + j] = dn * rg;
      dhp[o1 + j] = d * z;
    }
  }
}

// ---- vanilla RNN (tanh or relu) --------------------------------------------------------------------------------

// Units [j0, j1) of one row (ranges as lstmUnits): h = act = f(x + y + b) for f = tanh or relu.
template <bool RELU>
static inline void rnnUnits(float* h, float* act, const float* x, const float* y, const float* b, int j0, int j1) {
  int j = j0;
  for (; j + VL <= j1; j += VL) {
    const vf s = vload(x + j) + vload(y + j) + vload(b + j);
    vf v;
    if constexpr (RELU) v = s > 0.f ? s : vf{};
    else v = vtanh(s);
    vstore(act + j, v);
    vstore(h + j, v);
  }
  for (; j < j1; j++) {
    const float s = x[j] + y[j] + b[j];
    const float v = RELU ? (s > 0.f ? s : 0.f) : stanh(s);
    act[j] = v;
    h[j] = v;
  }
}

// The vanilla RNN step of B rows: h = act = f(gx + gh + b).
template <bool RELU>
static void rnnForward(float* h, float* act, const float* gx, const float* gh, const float* b, int B, int H) {
  for (int r = 0; r < B; r++) {
    const long o1 = long(r) * H;
    rnnUnits<RELU>(h + o1, act + o1, gx + o1, gh + o1, b, 0, H);
  }
}

// dgx = dgh = dh·f'(a) (1 - h² for tanh, [h > 0] for relu), dhPrev = 0.
template <bool RELU>
static void rnnBackward(float* dgx, float* dgh, float* dhp, const float* dh, const float* act, int B, int H) {
  const long n = long(B) * H;
  const long nv = n - n % VL;
  long i = 0;
  for (; i < nv; i += VL) {
    const vf v = vload(act + i), d = vload(dh + i);
    vf da;
    if constexpr (RELU) da = v > 0.f ? d : vf{};
    else da = d * (1.f - v * v);
    vstore(dgx + i, da);
    vstore(dgh + i, da);
    vstore(dhp + i, vf{});
  }
  for (; i < n; i++) {
    const float v = act[i];
    const float da = RELU ? (v > 0.f ? dh[i] : 0.f) : dh[i] * (1.f - v * v);
    dgx[i] = da;
    dgh[i] = da;
    dhp[i] = 0.f;
  }
}

// ---- softmax cross-entropy ---------------------------------------------------------------------------------------

// Loss (summed in double) of N rows of logits [N, V] against targets [N] (negative: ignored, zero gradient);
// dlogits (may be null) = scale·(softmax - onehot). As `softmaxCrossEntropy` in `src/tensor/softmax.ts`.
static double softmaxXent(float* dl, const float* logits, const int32_t* targets, long N, int V, float scale) {
  double loss = 0;
  const int vv = V - V % VL;
  for (long r = 0; r < N; r++) {
    const float* l = logits + r * V;
    float* d = dl ? dl + r * V : nullptr;
    const int t = targets[r];
    if (t < 0) {
      if (d) std::memset(d, 0, sizeof(float) * V);
      continue;
    }
    float mx = -INFINITY;
    for (int j = 0; j < V; j++) mx = l[j] > mx ? l[j] : mx;
    vf acc{};
    int j = 0;
    const vf m = vf{} + mx;
    for (; j < vv; j += VL) acc += vexp(vload(l + j) - m);
    double sum = 0;
    for (int k = 0; k < VL; k++) sum += acc[k];
    for (; j < V; j++) sum += sexp(l[j] - mx);
    const double logZ = double(mx) + std::log(sum);
    loss += logZ - double(l[t]);
    if (d) {  // scale·exp(l - max)/sum: exp(l - logZ) with logZ rounded to float32 would lose ~|logZ|·2^-24
      const float k = float(double(scale) / sum);
      const vf kv = vf{} + k;
      for (j = 0; j < vv; j += VL) vstore(d + j, kv * vexp(vload(l + j) - m));
      for (; j < V; j++) d[j] = k * sexp(l[j] - mx);
      d[t] -= scale;
    }
  }
  return loss;
}

// ---- Adam --------------------------------------------------------------------------------------------------------

// One Adam / AdamW update of n parameters (the formulas of `src/train/adam.ts`, coefficients computed there):
// g = grad + l2·p; m = β1·m + c1·g; v = β2·v + c2·g²; p = p·decay - stepSize·m / (√v / bc2Sqrt + eps).
struct AdamCoefs {
  float beta1, beta2, c1, c2, stepSize, bc2Sqrt, eps, decay, l2;
};
static void adamUpdate(float* p, const float* g, float* m, float* v, long n, const AdamCoefs& k) {
  const long nv = n - n % VL;
  long i = 0;
  for (; i < nv; i += VL) {
    const vf pv = vload(p + i);
    const vf gv = vload(g + i) + k.l2 * pv;
    const vf mv = k.beta1 * vload(m + i) + k.c1 * gv;
    const vf vv = k.beta2 * vload(v + i) + k.c2 * gv * gv;
    vstore(m + i, mv);
    vstore(v + i, vv);
    vf root;
    for (int l = 0; l < VL; l++) root[l] = std::sqrt(vv[l]);
    vstore(p + i, pv * k.decay - (k.stepSize * mv) / (root / k.bc2Sqrt + k.eps));
  }
  for (; i < n; i++) {
    const float gv = g[i] + k.l2 * p[i];
    m[i] = k.beta1 * m[i] + k.c1 * gv;
    v[i] = k.beta2 * v[i] + k.c2 * gv * gv;
    p[i] = p[i] * k.decay - (k.stepSize * m[i]) / (std::sqrt(v[i]) / k.bc2Sqrt + k.eps);
  }
}
