"""collab's data as people have it: MovieLens's own ratings.csv (userId, movieId, rating, timestamp) or any
file with user, item and rating columns.  The template's `[aliases]` rename such columns to its own, and
`top = [users, items]` keeps the most active users and the most rated items (the course's 15 x 15), their
ids renumbered 1..N in their own order (the row of the params block each looks up).
"""

from __future__ import annotations

import numpy as np

from ..errors import SheetnetError


def rename_aliases(template, raw):
    """The first alias present of each column the template needs and the file lacks, renamed to it."""
    for col, alts in template.aliases.items():
        if col not in raw:
            hit = next((a for a in alts if a in raw), None)
            if hit is not None:
                raw = raw.rename(hit, col)
    return raw


def keep_top(template, frame, lines, path):
    """(frame, lines, notes): the rows of the top users and items, ids renumbered 1..N (ascending ids)."""
    if not template.top:
        return frame, lines, []
    ucol, icol = (f.column for f in template.features[:2])
    n_users, n_items = (int(v) for v in template.top)
    ids = {}
    for col, n in ((ucol, n_users), (icol, n_items)):
        v = np.asarray(frame[col], dtype=float)
        bad = (v != np.round(v)) | ~np.isfinite(v)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SheetnetError(f"{path}: column {col}, line {lines[i]}: {v[i]:g} is not a whole-number id")
        uniq, counts = np.unique(v, return_counts=True)
        order = np.lexsort((uniq, -counts))  # most rated first, then the smaller id
        ids[col] = np.sort(uniq[order[:n]])
    keep = np.isin(np.asarray(frame[ucol], float), ids[ucol]) & np.isin(np.asarray(frame[icol], float), ids[icol])
    frame, lines = frame.take(keep), lines[keep]
    pairs = np.column_stack([np.asarray(frame[ucol], float), np.asarray(frame[icol], float)])
    _, first, counts = np.unique(pairs, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = pairs[first[np.flatnonzero(counts > 1)[0]]]
        i = int(np.flatnonzero((pairs == dup).all(axis=1))[1])
        raise SheetnetError(f"{path}: line {lines[i]}: {ucol} {dup[0]:g} rates {icol} {dup[1]:g} a second time")
    notes = []
    renamed = any((ids[c] != np.arange(1, len(ids[c]) + 1)).any() for c in ids)
    for col in (ucol, icol):
        frame[col] = np.searchsorted(ids[col], np.asarray(frame[col], float)) + 1.0
    if renamed or len(frame) < len(keep):
        notes.append(f"kept the {len(ids[ucol])} {ucol}s with the most ratings and the {len(ids[icol])} most rated "
                     f"{icol}s: {len(frame)} of {len(keep)} ratings; their ids renumbered 1.. in their own order "
                     f"({ucol} {ids[ucol][0]:g} is 1, {icol} {ids[icol][0]:g} is 1)")
    return frame, lines, notes
