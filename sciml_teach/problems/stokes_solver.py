"""Our own reference solver for steady Stokes flow on the unit square: finite differences on a
staggered (MAC) grid, one sparse solve of the coupled (u, v, p) system.

    mu (u_xx + u_yy) - p_x = f_u,   mu (v_xx + v_yy) - p_y = f_v,   u_x + v_y = 0

with the velocity given on all four walls. The grid has n x n cells of side h = 1/n (Harlow and
Welch 1965): p lives at cell centres, u on the vertical faces (x = i h, y = (j + 1/2) h), v on the
horizontal faces (x = (i + 1/2) h, y = j h). So every difference below is centred: p_x sits where
u sits, and the divergence of a cell uses its own four faces. A wall normal to a velocity
component holds that component's nodes (u at x = 0, 1); a wall parallel to it lies half a cell
from the nearest nodes, and a ghost node outside, u_ghost = 2 u_wall - u_inside, makes their mean
the wall value. Pressure is fixed only up to a constant (the *gauge*): one cell's continuity
equation, which the others already imply when no fluid crosses the walls, is replaced by
p = 0 there, and the returned p has mean zero. Second order in h (tests/test_stokes.py measures
it on a manufactured solution). The Stokes problem of Leng et al. 2024 (arXiv:2311.00860,
Sec. 4) uses a reference solution from a file the authors did not publish; this solver replaces
it. Introduced in notebooks/05_zero_coordinate_shift.ipynb (Stokes flow).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..checks import check_float, check_int

Pair = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]  # (x, y) -> (u, v)


@dataclass(frozen=True)
class StokesGrid:
    """A solution on the MAC grid; walls included, so u[0] is u on x = 0."""
    u: np.ndarray   # (n+1, n): u at x = i h, y = (j + 1/2) h
    v: np.ndarray   # (n, n+1): v at x = (i + 1/2) h, y = j h
    p: np.ndarray   # (n, n): p at the cell centres, mean zero

    @property
    def n(self) -> int:
        return self.p.shape[0]

    def centres(self) -> np.ndarray:
        """Cell-centre coordinates, (n, n, 2), index [i, j] at ((i + 1/2) h, (j + 1/2) h)."""
        c = (np.arange(self.n) + 0.5) / self.n
        return np.stack(np.meshgrid(c, c, indexing="ij"), axis=-1)

    def at_centres(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """u, v averaged from the two faces of each cell (second order) and p: (n, n) each."""
        return (self.u[:-1] + self.u[1:]) / 2, (self.v[:, :-1] + self.v[:, 1:]) / 2, self.p


def _momentum(c: int, n: int, mu: float, walls: Pair, forcing: Pair | None):
    """Rows of the momentum equation of component c (0: u, 1: v), in its own frame: node (a, b)
    sits at a h along axis c (a = 1..n-1) and (b + 1/2) h along the other axis (b = 0..n-1); its
    index in the component's block is (a - 1) n + b. Returns the triplets (rows local to the
    block, columns global: u block, v block, then p) and the right side."""
    h = 1.0 / n
    block, pressure = c * (n - 1) * n, 2 * (n - 1) * n  # where this block's and p's columns start
    a, b = np.meshgrid(np.arange(1, n), np.arange(n), indexing="ij")      # (n-1, n)
    own, other = a * h, (b + 0.5) * h

    def xy(o, t):                                       # own/other coordinates -> (x, y)
        return (o, t) if c == 0 else (t, o)

    row = (a - 1) * n + b
    k = mu / h**2
    rhs = np.zeros(a.shape) if forcing is None else forcing(*xy(own, other))[c].astype(float)
    diag = np.full(a.shape, -4 * k)
    rows, cols, vals = [row], [block + row], [diag]     # diag is filled in place below
    for da, db in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
        na, nb = a + da, b + db
        inside = (na >= 1) & (na <= n - 1) & (nb >= 0) & (nb <= n - 1)
        rows.append(row[inside]); cols.append(block + ((na - 1) * n + nb)[inside])
        vals.append(np.full(inside.sum(), k))
        m = (na == 0) | (na == n)                       # a wall normal to c holds the node
        rhs[m] -= k * walls(*xy(na[m] * h, other[m]))[c]
        m = (nb == -1) | (nb == n)                      # a parallel wall, half a cell away:
        diag[m] -= k                                    # u_ghost = 2 u_wall - u_inside
        rhs[m] -= 2 * k * walls(*xy(own[m], np.clip(nb[m], 0, 1) * 1.0))[c]
    # -p_c: (p(cell a) - p(cell a - 1)) / h, cells indexed i n + j
    cell = (lambda i, j: i * n + j) if c == 0 else (lambda i, j: j * n + i)
    rows += [row, row]
    cols += [pressure + cell(a, b), pressure + cell(a - 1, b)]
    vals += [np.full(a.shape, -1 / h), np.full(a.shape, 1 / h)]
    return rows, cols, vals, rhs


def _continuity(n: int, walls: Pair):
    """Rows of (u(i+1, j) - u(i, j) + v(i, j+1) - v(i, j)) / h = 0 for every cell (i, j); faces on
    a wall move to the right side. Cell (0, 0)'s row becomes the gauge p = 0."""
    h = 1.0 / n
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")         # (n, n)
    row, rhs = i * n + j, np.zeros((n, n))
    rows, cols, vals = [], [], []
    for c, (a, b) in enumerate([(i, j), (j, i)]):       # u faces along x, v faces along y
        offset = 0 if c == 0 else (n - 1) * n
        for da, sign in [(1, 1.0), (0, -1.0)]:
            face = a + da
            inside = (face >= 1) & (face <= n - 1)
            rows.append(row[inside]); cols.append(offset + ((face - 1) * n + b)[inside])
            vals.append(np.full(inside.sum(), sign / h))
            m = ~inside                                 # a face on a wall: known
            at = face[m] * h, (b[m] + 0.5) * h          # own, other coordinate of the face
            rhs[m] -= sign / h * walls(*(at if c == 0 else at[::-1]))[c]
    keep = [r != 0 for r in rows]                       # drop cell (0, 0)'s divergence ...
    rows = [r[m] for r, m in zip(rows, keep)] + [np.array([0])]
    cols = [q[m] for q, m in zip(cols, keep)] + [np.array([2 * (n - 1) * n])]  # ... for p(0, 0)
    vals = [v[m] for v, m in zip(vals, keep)] + [np.array([1.0])]
    rhs[0, 0] = 0.0
    return rows, cols, vals, rhs


def solve_stokes(n: int, viscosity: float, walls: Pair, forcing: Pair | None = None) -> StokesGrid:
    """Steady Stokes flow on [0, 1]^2 with n x n cells: returns u, v, p on the MAC grid.

    ``walls(x, y) -> (u, v)`` gives the velocity on the walls (numpy arrays in, arrays out; it is
    called at wall points only); no fluid may cross them (v = 0 on y = 0, 1 and u = 0 on
    x = 0, 1), which the gauge relies on. ``forcing(x, y) -> (f_u, f_v)`` is the right side of
    the momentum equations (None: zero), as in ``mu lap(u) - grad(p) = f``.
    """
    check_int("n", n, minimum=2, maximum=2048)
    check_float("viscosity", viscosity, positive=True)
    _check_no_flux(n, walls)
    nu = (n - 1) * n                                    # u unknowns = v unknowns
    parts = [_momentum(0, n, viscosity, walls, forcing), _momentum(1, n, viscosity, walls, forcing),
             _continuity(n, walls)]
    rows, cols, vals, rhs = [], [], [], []
    for offset, (r, q, v, f) in zip([0, nu, 2 * nu], parts):
        rows += [x.ravel() + offset for x in r]
        cols += [x.ravel() for x in q]
        vals += [x.ravel() for x in v]
        rhs.append(f.ravel())
    size = 2 * nu + n * n
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(size, size))
    x = spla.spsolve(matrix.tocsc(), np.concatenate(rhs))
    return _unpack(x, n, walls)


def _check_no_flux(n: int, walls: Pair) -> None:
    """The walls' normal velocity must be zero: fluid crossing them has no gauge to absorb it."""
    s = (np.arange(n) + 0.5) / n                        # (n,) along each wall
    zero, one = np.zeros(n), np.ones(n)
    on_walls = [walls(zero, s), walls(one, s), walls(s, zero), walls(s, one)]
    size = [float(np.abs(np.asarray(f, dtype=float)).max()) for pair in on_walls for f in pair]
    worst = max(size[0], size[2], size[5], size[7])     # u on x = 0, 1; v on y = 0, 1
    if worst > 1e-12 * max(1.0, *size):                 # sin(pi) is 1.2e-16, not 0
        raise ValueError(f"walls(x, y) must give no flow through the walls (u = 0 on x = 0, 1 and "
                         f"v = 0 on y = 0, 1); its normal velocity reaches {worst:.3g}")


def _unpack(x: np.ndarray, n: int, walls: Pair) -> StokesGrid:
    """The solution vector -> u, v, p on the grid with the wall values filled in."""
    h, nu = 1.0 / n, (n - 1) * n
    centres = (np.arange(n) + 0.5) * h
    u = np.empty((n + 1, n))
    u[1:-1] = x[:nu].reshape(n - 1, n)                                 # [i - 1, j]
    u[0], u[-1] = walls(np.zeros(n), centres)[0], walls(np.ones(n), centres)[0]
    v = np.empty((n, n + 1))
    v[:, 1:-1] = x[nu:2 * nu].reshape(n - 1, n).T                      # block [j - 1, i]
    v[:, 0], v[:, -1] = walls(centres, np.zeros(n))[1], walls(centres, np.ones(n))[1]
    p = x[2 * nu:].reshape(n, n)
    return StokesGrid(u=u, v=v, p=p - p.mean())
