"""An observer of the published figures trying to pick contributors out.

Every published figure is a sum over a cell's contributions (pseudonym + digest), so what an
observer can compute from any number of releases is exactly the rational span of the published
cells' membership vectors. A contribution (or a small group, or one person's correction) is
exposed iff its indicator vector lies in that span. `exposed` checks it by exact row reduction.
"""
from fractions import Fraction


def _reduce(rows: list, width: int) -> list:
    """Row echelon form over the rationals (list of (pivot column, row))."""
    basis = []
    for row in rows:
        row = [Fraction(x) for x in row]
        for pivot, b in basis:
            if row[pivot]:
                factor = row[pivot] / b[pivot]
                row = [x - factor * y for x, y in zip(row, b)]
        nz = next((i for i, x in enumerate(row) if x), None)
        if nz is not None:
            basis.append((nz, row))
    return basis


def in_span(basis: list, vector: list) -> bool:
    v = [Fraction(x) for x in vector]
    for pivot, b in basis:
        if v[pivot]:
            factor = v[pivot] / b[pivot]
            v = [x - factor * y for x, y in zip(v, b)]
    return not any(v)


class Observer:
    def __init__(self):
        self.cells = []          # sets of contributions ((pseudonym, digest)) published

    def publish(self, members: set) -> None:
        self.cells.append(frozenset(members))

    def exposed(self, targets: dict) -> list:
        """Names of the targets ({name: {contribution: coefficient}}) an observer can compute."""
        variables = sorted({c for cell in self.cells for c in cell}
                           | {c for t in targets.values() for c in t})
        index = {c: i for i, c in enumerate(variables)}
        rows = [[1 if c in cell else 0 for c in variables] for cell in self.cells]
        basis = _reduce(rows, len(variables))
        out = []
        for name, coefficients in targets.items():
            vec = [0] * len(variables)
            for c, coef in coefficients.items():
                vec[index[c]] = coef
            if in_span(basis, vec):
                out.append(name)
        return out
