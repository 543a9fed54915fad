r"""Spatial weights on a grid of cells: stencils (fixed band, distance decay), k nearest cells,
and the neighbourhood sums :math:`\sum_j w_{ij} x_j` of one map or of a batch of maps.

A *stencil* holds the weight of each cell offset :math:`(d_r, d_c)` around a cell, its centre
being the cell itself; the sum over it is a correlation of the map with the stencil, with cells
outside the map absent (``scipy.ndimage`` for small stencils, FFT for large ones).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage, signal, sparse

__all__ = [
    "band_stencil",
    "decay_stencil",
    "knn_matrix",
    "matrix_sums",
    "neighbour_sum",
    "stencil_sums",
]

_FFT_MIN_STENCIL = 64  # stencil cells above which an FFT beats a direct correlation


def band_stencil(cell_size: float, distance: float | None = None) -> np.ndarray:
    """Binary stencil of the cells whose centres are within ``distance`` of a cell's centre.

    Parameters
    ----------
    cell_size : float
        Cell side in metres.
    distance : float, optional
        Band in metres; default ``cell_size * sqrt(2)`` (the 3 x 3 block). Offsets
        :math:`(d_r, d_c)` are included when :math:`s \\sqrt{d_r^2 + d_c^2} \\le` distance
        (with a relative tolerance of 1e-9 so that exact multiples are included).

    Returns
    -------
    ndarray of bool, shape ``(2r + 1, 2r + 1)`` with ``r = floor(distance / cell_size)``.
    """
    if distance is None:
        distance = cell_size * math.sqrt(2.0)
    if not (cell_size > 0 and distance >= 0):
        raise ValueError("cell_size must be > 0 and distance >= 0")
    reach = distance / cell_size
    r = int(math.floor(reach + 1e-9))
    dr, dc = np.mgrid[-r : r + 1, -r : r + 1]
    return (dr**2 + dc**2) <= reach**2 * (1 + 1e-9)


def neighbour_sum(values: np.ndarray, stencil: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each cell's stencil, cells outside the array counting as absent.

    ``out[i] = sum_k stencil[k] * values[i + k - centre]`` (a correlation with zero padding), for
    arrays of any dimension; the stencil must have odd sizes. Integer-valued input gives an
    exactly integer-valued output also on the FFT path (rounded).
    """
    values = np.asarray(values, dtype=float)
    st = np.asarray(stencil, dtype=float)
    if any(s % 2 == 0 for s in st.shape) or st.ndim != values.ndim:
        raise ValueError("stencil needs odd sizes and the dimension of values")
    if np.count_nonzero(st) <= _FFT_MIN_STENCIL:
        return ndimage.correlate(values, st, mode="constant", cval=0.0)
    flipped = st[tuple(slice(None, None, -1) for _ in range(st.ndim))]
    out = signal.fftconvolve(values, flipped, mode="same")
    if np.all(values == np.round(values)) and np.all(st == np.round(st)):
        out = np.round(out)
    return out


def decay_stencil(cell_size: float, bandwidth: float) -> np.ndarray:
    """Bisquare distance-decay weights :math:`(1 - d^2/h^2)^2` for :math:`d < h`, by offset.

    The centre (the cell itself) has weight 1; ``bandwidth`` :math:`h` must exceed the cell
    size, or the cell would have no neighbour.
    """
    if not bandwidth > cell_size > 0:
        raise ValueError("the decay bandwidth must exceed the cell size")
    r = int(math.ceil(bandwidth / cell_size))
    dr, dc = np.mgrid[-r : r + 1, -r : r + 1]
    d2 = (dr**2 + dc**2) * cell_size**2 / bandwidth**2
    return np.where(d2 < 1.0, (1.0 - d2) ** 2, 0.0)


def knn_matrix(mask: np.ndarray, k: int) -> sparse.csr_array:
    """Binary weights of each cell to itself and its ``k`` nearest cells of ``mask``.

    Cells are the flat indices of ``mask`` (rows of cells outside it are empty); distance is
    between cell centres, ties broken as :class:`scipy.spatial.cKDTree` does (on a full grid
    the 4 and the 8 nearest are unique).
    """
    from scipy.spatial import cKDTree

    mask = np.asarray(mask, bool)
    ids = np.flatnonzero(mask.ravel())
    if not 0 < k < ids.size:
        raise ValueError("k must be at least 1 and fewer than the cells")
    rows, cols = np.divmod(ids, mask.shape[1])
    xy = np.column_stack([cols, rows]).astype(float)
    _, nb = cKDTree(xy).query(xy, k=k + 1)
    # the cell itself is among the k + 1 nearest (distance 0): keep it, as Gi* does
    src = np.repeat(ids, k + 1)
    data = np.ones(src.size)
    n = mask.size
    w = sparse.csr_array((data, (src, ids[nb.ravel()])), shape=(n, n))
    return (w != 0).astype(float)


def stencil_sums(values: np.ndarray, stencil: np.ndarray) -> np.ndarray:
    """Neighbourhood sums of one map or of a batch of maps (leading axis) with a stencil."""
    st = np.asarray(stencil, float)
    values = np.asarray(values, float)
    if values.ndim == st.ndim + 1:
        st = st[None]
    return neighbour_sum(values, st)


def matrix_sums(values: np.ndarray, matrix: sparse.csr_array) -> np.ndarray:
    """Neighbourhood sums with a cells x cells weights matrix, for one map or a batch."""
    v = np.asarray(values, float)
    flat = v.reshape(-1, matrix.shape[0])
    return (matrix @ flat.T).T.reshape(v.shape)
