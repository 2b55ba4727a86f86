# Exact ColBERT MaxSim kernels, exported as plain C-ABI functions.
#
#   score(p) = sum_i max_j <q_i, d_j>     (i over query vectors, j over the kept
#                                          token vectors of passage p; fp32 math)
#
# Built twice by kernels/build.py (`mojo build --emit object`): once for the
# build machine's CPU (symbols end in `_native`) and once with
# `--target-cpu x86-64-v3` (build.py rewrites the `_native"` suffix of the
# @export names to `_v3"`), then both objects are linked into one shared
# library that depends only on libc.  No Python bindings, no Mojo runtime.
#
# Every pointer travels as a plain integer address (C: intptr_t / int64_t).
# The caller keeps the arrays alive and C-contiguous during the call.
#
# Shape of the algorithm (per call):
#   * the query [nq][128] is transposed into a stack buffer qt[128][V], V the
#     smallest of 8/16/32/64 >= nq, zero padded; one V-lane vector then holds
#     one column of query values (at nq <= 8 an 8-lane half register: packing
#     two tokens into one 16-lane register was measured slower, 65 against 75
#     GFLOP/s on float16);
#   * a passage is walked in blocks of B tokens; each block is copied once,
#     sequentially, into a stack buffer (fp16 -> fp32 on the way);
#   * for each of the 128 dims every token element of the block is broadcast
#     and FMA'd against the query column into B accumulators of V lanes, while
#     the block two ahead is prefetched one line at a time -- continuing into
#     the next candidate's passage, so random ids keep the stream going;
#   * after the block, lane-wise max (and argmax, strict `>` so the first max
#     wins) into a running vector; tails use blocks of B/2, B/4, ..., 1;
#   * the score is the sum of the first nq lanes of the running max.
#
# The residual-coded variant (`kayak_maxsim_rq`) scores passages stored as a
# centroid code plus an n-bit residual per dimension without ever holding their
# vectors: each block of tokens is decoded straight into the same stack buffer
# (centroid row + residual values, 16 dimensions per register permute of the
# bucket weights) and scored by the same loop; each token's dot products are
# then scaled by its 1/norm, so no store waits for a square root.

from std.memory import Pointer, bitcast, stack_allocation
from std.sys import CompilationTarget, llvm_intrinsic, prefetch, PrefetchOptions, size_of
from std.math import iota, sqrt

comptime DIM = 128
comptime ABI_VERSION = 4  # 2: kayak_nearest_f32 added; 3: kayak_maxsim_rq added; 4: kayak_probe added
comptime F32 = DType.float32
comptime I32 = DType.int32
comptime F32P = Pointer[Float32, MutUntrackedOrigin]
comptime I32P = Pointer[Int32, MutUntrackedOrigin]
comptime I64P = Pointer[Int64, MutUntrackedOrigin]
comptime U8P = Pointer[UInt8, MutUntrackedOrigin]

# Status codes returned by the exported functions.
comptime OK = 0
comptime ERR_NQ = -1  # nq outside 1..64, or m < 0
comptime ERR_ROW = -2  # a row index outside 0..n_pass-1
comptime ERR_SPAN = -3  # a passage span outside 0..n_vec (or negative)
comptime ERR_CODE = -4  # a centroid code outside 0..k-1
comptime ERR_BITS = -5  # residual bits other than 2 or 4
comptime ERR_STRIDE = -6  # a coded row shorter than its code and residual


def _block_tokens[L: Int]() -> Int:
    """Tokens per block: keep the accumulators well inside the register file."""
    comptime if CompilationTarget.has_avx512f():
        # 32 zmm registers of 16 fp32 lanes.
        if L <= 8:
            return 16
        if L <= 32:
            return 8
        return 4
    else:
        # 16 ymm registers of 8 fp32 lanes.
        if L <= 8:
            return 8
        if L <= 16:
            return 4
        if L <= 32:
            return 2
        return 1


@always_inline
def _block[
    dt: DType, L: Int, NB: Int, ARG: Bool, DECODED: Bool
](
    qt: F32P,
    src: Pointer[Scalar[dt], MutUntrackedOrigin],
    pf: Pointer[Scalar[dt], MutUntrackedOrigin],
    buf: F32P,
    t0: Int,
    mut best: SIMD[F32, L],
    mut barg: SIMD[I32, L],
    inv: F32P,
):
    """Scores NB consecutive tokens starting at `src` (token index t0): copied
    into `buf`, while the NB tokens at `pf` are prefetched, spread over the
    dot-product loop.  DECODED (coded rows): the tokens are already in `buf`,
    nothing is copied or prefetched (`src`, `pf` unused), and token t's dot
    products are multiplied by inv[t], its 1/norm, before the max."""
    comptime ESZ = size_of[Scalar[dt]]()

    # One sequential pass: copy (and widen) into the stack buffer.
    comptime if not DECODED:
        comptime for e in range(0, NB * DIM, 16):
            buf.unsafe_store(e, src.unsafe_load[width=16](e).cast[F32]())

    # Prefetch NL cache lines: PPC lines every KC values of k.
    comptime NL = (NB * DIM * ESZ) // 64
    comptime KC = DIM // NL if NL < DIM else 1
    comptime PPC = NL // DIM if NL >= DIM else 1

    var acc = Array[SIMD[F32, L], NB](fill=0)
    for kc in range(0, DIM, KC):
        comptime if not DECODED:
            comptime for j in range(PPC):
                prefetch[PrefetchOptions().for_read().low_locality()](
                    pf.unsafe_offset(((kc // KC) * PPC + j) * (64 // ESZ))
                )
        comptime for kk in range(KC):
            var k = kc + kk
            var qv = qt.unsafe_load[width=L](k * L)
            comptime for t in range(NB):
                acc[t] = SIMD[F32, L](buf[unsafe_offset = t * DIM + k]).fma(qv, acc[t])

    comptime for t in range(NB):
        comptime if DECODED:
            acc[t] = acc[t] * inv[unsafe_offset=t]
        comptime if ARG:
            var gt = acc[t].gt(best)
            best = gt.select(acc[t], best)
            barg = gt.select(SIMD[I32, L](Int32(t0 + t)), barg)
        else:
            best = max(best, acc[t])


@always_inline
def _ahead[
    dt: DType
](
    base: Pointer[Scalar[dt], MutUntrackedOrigin],
    n: Int,
    nbase: Pointer[Scalar[dt], MutUntrackedOrigin],
    t: Int,
) -> Pointer[Scalar[dt], MutUntrackedOrigin]:
    """Address of token t of the current passage, continuing into the next one."""
    if t < n:
        return base.unsafe_offset(t * DIM)
    return nbase.unsafe_offset((t - n) * DIM)


def _run[
    dt: DType, L: Int, ARG: Bool
](
    q: F32P,
    nq: Int,
    vec: Pointer[Scalar[dt], MutUntrackedOrigin],
    n_vec: Int,
    starts: I64P,
    lengths: I64P,
    n_pass: Int,
    rows: I64P,
    m: Int,
    budget: Int,
    out_s: F32P,
    out_a: I32P,
) -> Int:
    comptime B = _block_tokens[L]()
    comptime PF_TOKENS = 2 * B  # prefetch distance, continuing across passages

    var qt = stack_allocation[DIM * L, Float32, alignment=64]()
    _transpose_query[L](q, nq, qt)
    var buf = stack_allocation[B * DIM, Float32, alignment=64]()

    for r in range(m):
        var p = Int(rows[unsafe_offset=r])
        if p < 0 or p >= n_pass:
            return ERR_ROW
        var s = Int(starts[unsafe_offset=p])
        var n = Int(lengths[unsafe_offset=p])
        if budget > 0 and budget < n:
            n = budget
        if n <= 0:
            # Empty passage: score 0, argmax -1.
            out_s[unsafe_offset=r] = 0
            comptime if ARG:
                for i in range(nq):
                    out_a[unsafe_offset = r * nq + i] = -1
            continue
        if s < 0 or s > n_vec - n:
            return ERR_SPAN
        var base = vec.unsafe_offset(s * DIM)

        # Where the prefetch stream goes after this passage (prefetches never fault,
        # but keep the address inside the array all the same).
        var nbase = base
        if r + 1 < m:
            var pn = Int(rows[unsafe_offset = r + 1])
            if pn >= 0 and pn < n_pass:
                var sn = Int(starts[unsafe_offset=pn])
                if sn >= 0 and sn < n_vec:
                    nbase = vec.unsafe_offset(sn * DIM)
        if r == 0:
            _block_prefetch[dt, PF_TOKENS](base)

        var best = SIMD[F32, L](-Float32.MAX)  # -inf
        var barg = SIMD[I32, L](-1)
        var t = 0
        while t + B <= n:
            _block[dt, L, B, ARG, False](
                qt, base.unsafe_offset(t * DIM), _ahead(base, n, nbase, t + PF_TOKENS),
                buf, t, best, barg, buf,
            )
            t += B
        # Tail: blocks of B/2, B/4, ..., 1 tokens.
        comptime for sh in range(1, 5):
            comptime NB = B >> sh
            comptime if NB >= 1:
                if t + NB <= n:
                    _block[dt, L, NB, ARG, False](
                        qt, base.unsafe_offset(t * DIM), _ahead(base, n, nbase, t + PF_TOKENS),
                        buf, t, best, barg, buf,
                    )
                    t += NB

        _finish[L, ARG](best, barg, nq, r, out_s, out_a)
    return OK


def _transpose_query[V: Int](q: F32P, nq: Int, qt: F32P):
    """The query [nq][DIM] as qt[DIM][V] (lane i = query i), zero padded beyond nq."""
    for k in range(DIM):
        for l in range(V):
            var v: Float32 = 0
            if l < nq:
                v = q[unsafe_offset = l * DIM + k]
            qt[unsafe_offset = k * V + l] = v


@always_inline
def _finish[
    L: Int, ARG: Bool
](best: SIMD[F32, L], barg: SIMD[I32, L], nq: Int, r: Int, out_s: F32P, out_a: I32P):
    """Writes candidate r's score (the sum of the first nq lanes of the running
    max) and, with ARG, each query vector's best token."""
    var live = iota[I32, L]().lt(SIMD[I32, L](Int32(nq)))
    out_s[unsafe_offset=r] = live.select(best, 0).reduce_add()
    comptime if ARG:
        for i in range(nq):
            out_a[unsafe_offset = r * nq + i] = barg[i]


@always_inline
def _block_prefetch[dt: DType, NT: Int](p: Pointer[Scalar[dt], MutUntrackedOrigin]):
    comptime for off in range(0, NT * DIM * size_of[Scalar[dt]](), 64):
        prefetch[PrefetchOptions().for_read().low_locality()](
            p.unsafe_offset(off // size_of[Scalar[dt]]())
        )


def _dispatch[
    dt: DType
](
    q: Int,
    nq: Int,
    vec: Int,
    n_vec: Int,
    starts: Int,
    lengths: Int,
    n_pass: Int,
    rows: Int,
    m: Int,
    budget: Int,
    out_scores: Int,
    out_argmax: Int,
) -> Int:
    if nq < 1 or nq > 64 or m < 0:
        return ERR_NQ
    if m == 0:
        return OK
    var qp = F32P(unsafe_from_address=q)
    var vp = Pointer[Scalar[dt], MutUntrackedOrigin](unsafe_from_address=vec)
    var sp = I64P(unsafe_from_address=starts)
    var lp = I64P(unsafe_from_address=lengths)
    var rp = I64P(unsafe_from_address=rows)
    var op = F32P(unsafe_from_address=out_scores)
    var ap = I32P(unsafe_from_address=out_argmax)
    if out_argmax != 0:
        if nq <= 8:
            return _run[dt, 8, True](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
        if nq <= 16:
            return _run[dt, 16, True](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
        if nq <= 32:
            return _run[dt, 32, True](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
        return _run[dt, 64, True](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
    if nq <= 8:
        return _run[dt, 8, False](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
    if nq <= 16:
        return _run[dt, 16, False](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
    if nq <= 32:
        return _run[dt, 32, False](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)
    return _run[dt, 64, False](qp, nq, vp, n_vec, sp, lp, n_pass, rp, m, budget, op, ap)


# ---------------------------------------------------------------------------
# Exported C ABI.  C prototypes (all pointers as intptr_t addresses):
#
#   int64_t kayak_maxsim_f32_native(
#       const float *q, int64_t nq,              /* [nq][128], 1 <= nq <= 64   */
#       const float *vec, int64_t n_vec,         /* [n_vec][128] token vectors */
#       const int64_t *starts, const int64_t *lengths, int64_t n_pass,
#       const int64_t *rows, int64_t m,          /* candidate passage ids      */
#       int64_t doc_budget,                      /* 0 = all tokens             */
#       float *out_scores,                       /* [m]                        */
#       int32_t *out_argmax);                    /* [m][nq] or NULL            */
#   int64_t kayak_maxsim_f16_native(... same, vec is const _Float16 * ...);
#   int64_t kayak_maxsim_info_native(void);      /* ABI_VERSION*1000 + SIMD bits */
#
# Return 0 on success, < 0 on bad arguments (see the ERR_* codes above).
# The `_v3` twins have the same prototypes.
# ---------------------------------------------------------------------------


@export("kayak_maxsim_f32_native")
def kayak_maxsim_f32(
    q: Int,
    nq: Int,
    vec: Int,
    n_vec: Int,
    starts: Int,
    lengths: Int,
    n_pass: Int,
    rows: Int,
    m: Int,
    budget: Int,
    out_scores: Int,
    out_argmax: Int,
) abi("C") -> Int:
    return _dispatch[F32](
        q, nq, vec, n_vec, starts, lengths, n_pass, rows, m, budget, out_scores, out_argmax
    )


@export("kayak_maxsim_f16_native")
def kayak_maxsim_f16(
    q: Int,
    nq: Int,
    vec: Int,
    n_vec: Int,
    starts: Int,
    lengths: Int,
    n_pass: Int,
    rows: Int,
    m: Int,
    budget: Int,
    out_scores: Int,
    out_argmax: Int,
) abi("C") -> Int:
    return _dispatch[DType.float16](
        q, nq, vec, n_vec, starts, lengths, n_pass, rows, m, budget, out_scores, out_argmax
    )


# ---------------------------------------------------------------------------
# Residual-coded passages: token j of the index is a row of `stride` bytes, its
# centroid code (int32, little-endian) then its packed residual; the token is
# that centroid plus, per dimension d, the residual value of its bucket b,
# shift[d] + scale[d] * w[b], buckets packed PB to a byte (PB = 8 / nbits;
# dimension d in byte d // PB, at bit (d % PB) * nbits).  table = w padded to
# 16, scale[128], shift[128] (the codec's kernel_table).
#
#   int64_t kayak_maxsim_rq_native(
#       const float *q, int64_t nq,              /* [nq][128], 1 <= nq <= 64    */
#       const uint8_t *coded, int64_t stride,    /* n_vec rows of stride bytes: */
#       int64_t n_vec,                           /*   int32 code, 128/PB bytes  */
#       const float *cent, int64_t k,            /* [k][128] centroids          */
#       const float *table, int64_t nbits,       /* [16 + 2*128]; 2 or 4        */
#       const int64_t *starts, const int64_t *lengths, int64_t n_pass,
#       const int64_t *rows, int64_t m, int64_t doc_budget,
#       float *out_scores, int32_t *out_argmax); /* as kayak_maxsim_f32         */
# ---------------------------------------------------------------------------


@always_inline
def _lookup[NBITS: Int](w: SIMD[F32, 16], idx: SIMD[I32, 16]) -> SIMD[F32, 16]:
    """w[idx[l]] in every lane l, idx in 0 .. 2^NBITS - 1: one register permute
    (two 8-lane permutes and a select per half on AVX2, whose vpermps indexes
    8 entries)."""
    comptime if CompilationTarget.has_avx512f():
        return llvm_intrinsic["llvm.x86.avx512.permvar.sf.512", SIMD[F32, 16]](w, idx)
    else:
        var lo = w.slice[8, offset=0]()
        var a = idx.slice[8, offset=0]()
        var b = idx.slice[8, offset=8]()
        var ra = llvm_intrinsic["llvm.x86.avx2.permps", SIMD[F32, 8]](lo, a)
        var rb = llvm_intrinsic["llvm.x86.avx2.permps", SIMD[F32, 8]](lo, b)
        comptime if NBITS == 4:
            var hi = w.slice[8, offset=8]()
            ra = a.ge(8).select(llvm_intrinsic["llvm.x86.avx2.permps", SIMD[F32, 8]](hi, a), ra)
            rb = b.ge(8).select(llvm_intrinsic["llvm.x86.avx2.permps", SIMD[F32, 8]](hi, b), rb)
        return ra.join(rb)


@always_inline
def _token_group[
    PB: Int, E: Int
](src: U8P, cr: F32P, table: F32P, wv: SIMD[F32, 16]) -> SIMD[F32, 16]:
    """Dimensions E .. E+15 of a coded token whose residual bytes are at `src`
    and centroid row at `cr`: centroid + shift + scale * weight[bucket]."""
    comptime NBITS = 8 // PB
    # The 16 buckets of dimensions E .. E+15 sit in one 64-bit (4-bit) or
    # 32-bit (2-bit) little-endian word, dimension E+l at bit l*NBITS.
    var idx: SIMD[I32, 16]
    comptime if NBITS == 4:
        var word = src.unsafe_offset(E // 2).unsafe_bitcast[UInt64]()[]
        var lanes = iota[DType.uint32, 16]()
        # Lanes 0-7 read the low half, 8-15 the high half: 32-bit shifts on one register.
        var halves = bitcast[DType.uint32, 16](SIMD[DType.uint64, 8](word)).shuffle[
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1
        ]()
        idx = ((halves >> ((lanes & 7) * 4)) & 15).cast[I32]()
    else:
        var word = src.unsafe_offset(E // 4).unsafe_bitcast[UInt32]()[]
        idx = ((SIMD[DType.uint32, 16](word) >> (iota[DType.uint32, 16]() * 2)) & 3).cast[I32]()
    var r = _lookup[NBITS](wv, idx).fma(table.unsafe_load[width=16](16 + E), table.unsafe_load[width=16](16 + DIM + E))
    return r + cr.unsafe_load[width=16](E)


@always_inline
def _decode[
    PB: Int, NB: Int
](coded: U8P, stride: Int, cent: F32P, k: Int, table: F32P, row0: Int, dst: F32P, inv: F32P) -> Bool:
    """Decodes token rows row0 .. row0+NB-1 into dst[NB][DIM] as fp32 vectors,
    and inv[t] = 1/norm of token t (applied to its dot products, so no store
    waits for a square root); False when a code lies outside 0..k-1.  `table`
    holds the codec's 16 (padded) bucket weights, then each dimension's scale,
    then its shift: a residual value is shift + scale * weight[bucket]."""
    var wv = table.unsafe_load[width=16](0)
    comptime for t in range(NB):
        var row = coded.unsafe_offset((row0 + t) * stride)
        var c = Int(row.unsafe_bitcast[Int32]()[])
        if c < 0 or c >= k:
            return False
        var cr = cent.unsafe_offset(c * DIM)
        var ss = SIMD[F32, 16](0)
        comptime for e in range(0, DIM, 16):
            var x = _token_group[PB, e](row.unsafe_offset(4), cr, table, wv)
            ss = x.fma(x, ss)
            dst.unsafe_store(t * DIM + e, x)
        inv[unsafe_offset=t] = 1 / max(sqrt(ss.reduce_add()), Float32(1e-12))
    return True


@always_inline
def _rq_block[
    PB: Int, L: Int, NB: Int, ARG: Bool
](
    qt: F32P,
    coded: U8P,
    stride: Int,
    cent: F32P,
    k: Int,
    table: F32P,
    row0: Int,
    buf: F32P,
    t0: Int,
    mut best: SIMD[F32, L],
    mut barg: SIMD[I32, L],
) -> Bool:
    """Decodes NB tokens straight into the scoring buffer and scores them."""
    var inv = stack_allocation[16, Float32, alignment=64]()
    if not _decode[PB, NB](coded, stride, cent, k, table, row0, buf, inv):
        return False
    _block[F32, L, NB, ARG, True](qt, buf, buf, buf, t0, best, barg, inv)
    return True


def _run_rq[
    PB: Int, L: Int, ARG: Bool
](
    q: F32P,
    nq: Int,
    coded: U8P,
    stride: Int,
    n_vec: Int,
    cent: F32P,
    k: Int,
    table: F32P,
    starts: I64P,
    lengths: I64P,
    n_pass: Int,
    rows: I64P,
    m: Int,
    budget: Int,
    out_s: F32P,
    out_a: I32P,
) -> Int:
    comptime B = _block_tokens[L]()
    var qt = stack_allocation[DIM * L, Float32, alignment=64]()
    _transpose_query[L](q, nq, qt)
    var buf = stack_allocation[B * DIM, Float32, alignment=64]()
    for r in range(m):
        var p = Int(rows[unsafe_offset=r])
        if p < 0 or p >= n_pass:
            return ERR_ROW
        var s = Int(starts[unsafe_offset=p])
        var n = Int(lengths[unsafe_offset=p])
        if budget > 0 and budget < n:
            n = budget
        if n <= 0:
            out_s[unsafe_offset=r] = 0
            comptime if ARG:
                for i in range(nq):
                    out_a[unsafe_offset = r * nq + i] = -1
            continue
        if s < 0 or s > n_vec - n:
            return ERR_SPAN
        var best = SIMD[F32, L](-Float32.MAX)
        var barg = SIMD[I32, L](-1)
        var t = 0
        while t + B <= n:
            if not _rq_block[PB, L, B, ARG](qt, coded, stride, cent, k, table, s + t, buf, t, best, barg):
                return ERR_CODE
            t += B
        comptime for sh in range(1, 5):
            comptime NB = B >> sh
            comptime if NB >= 1:
                if t + NB <= n:
                    if not _rq_block[PB, L, NB, ARG](
                        qt, coded, stride, cent, k, table, s + t, buf, t, best, barg
                    ):
                        return ERR_CODE
                    t += NB
        _finish[L, ARG](best, barg, nq, r, out_s, out_a)
    return OK


def _dispatch_rq[
    PB: Int
](
    q: F32P, nq: Int, coded: U8P, stride: Int, n_vec: Int, cent: F32P, k: Int, table: F32P,
    starts: I64P, lengths: I64P, n_pass: Int, rows: I64P, m: Int, budget: Int, out_s: F32P, out_a: I32P,
    arg: Bool,
) -> Int:
    if arg:
        if nq <= 8:
            return _run_rq[PB, 8, True](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
        if nq <= 16:
            return _run_rq[PB, 16, True](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
        if nq <= 32:
            return _run_rq[PB, 32, True](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
        return _run_rq[PB, 64, True](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
    if nq <= 8:
        return _run_rq[PB, 8, False](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
    if nq <= 16:
        return _run_rq[PB, 16, False](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
    if nq <= 32:
        return _run_rq[PB, 32, False](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)
    return _run_rq[PB, 64, False](q, nq, coded, stride, n_vec, cent, k, table, starts, lengths, n_pass, rows, m, budget, out_s, out_a)


@export("kayak_maxsim_rq_native")
def kayak_maxsim_rq(
    q: Int,
    nq: Int,
    coded: Int,
    stride: Int,
    n_vec: Int,
    cent: Int,
    k: Int,
    table: Int,
    nbits: Int,
    starts: Int,
    lengths: Int,
    n_pass: Int,
    rows: Int,
    m: Int,
    budget: Int,
    out_scores: Int,
    out_argmax: Int,
) abi("C") -> Int:
    if nq < 1 or nq > 64 or m < 0 or k < 1:
        return ERR_NQ
    if nbits != 2 and nbits != 4:
        return ERR_BITS
    if stride < 4 + DIM * nbits // 8:
        return ERR_STRIDE
    if m == 0:
        return OK
    var qp = F32P(unsafe_from_address=q)
    var cp = U8P(unsafe_from_address=coded)
    var ctp = F32P(unsafe_from_address=cent)
    var tp = F32P(unsafe_from_address=table)
    var sp = I64P(unsafe_from_address=starts)
    var lp = I64P(unsafe_from_address=lengths)
    var rp = I64P(unsafe_from_address=rows)
    var op = F32P(unsafe_from_address=out_scores)
    var ap = I32P(unsafe_from_address=out_argmax)
    if nbits == 4:
        return _dispatch_rq[2](qp, nq, cp, stride, n_vec, ctp, k, tp, sp, lp, n_pass, rp, m, budget, op, ap, out_argmax != 0)
    return _dispatch_rq[4](qp, nq, cp, stride, n_vec, ctp, k, tp, sp, lp, n_pass, rp, m, budget, op, ap, out_argmax != 0)


# Stage 1 of the centroid plan: read the probed inverted lists once. For query
# vector i its probed centroids come best first with their gains (similarity
# above the imputed floor, so descending and >= 0); a passage on several of
# them counts its best one, i.e. the first list it is met on, and the sum over
# the query vectors is its approximate score. One pass per list entry: a stamp
# per passage (seen[r] == i + 1: met already for query vector i) replaces
# NumPy's per-vector max-scatter, gather, add and reset.
#
#   int64_t kayak_probe_native(
#       const int64_t *offsets, int64_t k,       /* [k+1] list offsets          */
#       const int32_t *rows, int64_t n_rows,     /* [offsets[k]] passage rows   */
#       const int64_t *order, const float *gains,/* [nq][n_probe] best first    */
#       int64_t nq, int64_t n_probe, int64_t n,  /* n passages                  */
#       float *total, int32_t *seen);            /* [n] each, zeroed by caller  */
#
# Returns the list entries read (>= 0), or ERR_CODE for a centroid outside
# 0..k-1 or lists out of order, ERR_ROW for a row outside 0..n-1.


@export("kayak_probe_native")
def kayak_probe(
    offsets: Int,
    k: Int,
    rows: Int,
    n_rows: Int,
    order: Int,
    gains: Int,
    nq: Int,
    n_probe: Int,
    n: Int,
    total: Int,
    seen: Int,
) abi("C") -> Int:
    if nq < 0 or n_probe < 0 or n < 0 or k < 1:
        return ERR_NQ
    var op = I64P(unsafe_from_address=offsets)
    var rp = I32P(unsafe_from_address=rows)
    var cp = I64P(unsafe_from_address=order)
    var gp = F32P(unsafe_from_address=gains)
    var tp = F32P(unsafe_from_address=total)
    var sp = I32P(unsafe_from_address=seen)
    var lookups = 0
    for i in range(nq):
        var stamp = Int32(i + 1)
        for p in range(n_probe):
            var c = Int(cp[unsafe_offset = i * n_probe + p])
            if c < 0 or c >= k:
                return ERR_CODE
            var lo = Int(op[unsafe_offset=c])
            var hi = Int(op[unsafe_offset = c + 1])
            if lo < 0 or hi < lo or hi > n_rows:
                return ERR_CODE
            var g = gp[unsafe_offset = i * n_probe + p]
            for e in range(lo, hi):
                var r = Int(rp[unsafe_offset=e])
                if r < 0 or r >= n:
                    return ERR_ROW
                if sp[unsafe_offset=r] != stamp:
                    sp[unsafe_offset=r] = stamp
                    tp[unsafe_offset=r] = tp[unsafe_offset=r] + g
            lookups += hi - lo
    return lookups


# Nearest centroid of each of n token vectors: the argmax of MaxSim with the
# tokens as the "query" (taken 32 at a time) and all k centroids as one passage,
# so k-means assignment runs on the same register-blocked loop as search.
#
#   int64_t kayak_nearest_f32_native(
#       const float *x, int64_t n,               /* [n][128] token vectors      */
#       const float *cent, int64_t k,            /* [k][128] centroids, k >= 1  */
#       int32_t *out_codes);                     /* [n]                         */


@export("kayak_nearest_f32_native")
def kayak_nearest_f32(x: Int, n: Int, cent: Int, k: Int, out_codes: Int) abi("C") -> Int:
    comptime LANES = 32
    if n < 0 or k < 1:
        return ERR_NQ
    # One passage spanning all k centroids: starts = 0, lengths = k, rows = 0.
    var one = stack_allocation[3, Int64, alignment=64]()
    one[unsafe_offset=0] = 0
    one[unsafe_offset=1] = Int64(k)
    one[unsafe_offset=2] = 0
    var sp = I64P(unsafe_from_address=Int(one))
    var score = stack_allocation[1, Float32, alignment=64]()
    var cp = F32P(unsafe_from_address=cent)
    var i = 0
    while i < n:
        var nb = min(LANES, n - i)
        var rc = _run[F32, LANES, True](
            F32P(unsafe_from_address=x + i * DIM * 4), nb, cp, k,
            sp, sp.unsafe_offset(1), 1, sp.unsafe_offset(2), 1, 0,
            F32P(unsafe_from_address=Int(score)),
            I32P(unsafe_from_address=out_codes + i * 4),
        )
        if rc != OK:
            return rc
        i += LANES
    return OK


@export("kayak_maxsim_info_native")
def kayak_maxsim_info() abi("C") -> Int:
    comptime if CompilationTarget.has_avx512f():
        return ABI_VERSION * 1000 + 512
    else:
        return ABI_VERSION * 1000 + 256
