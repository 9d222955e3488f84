"""Which cells of a study-month table may be shown, and whether a new release may replace the
last one. Pure functions over contributor sets; docs/aggregator.md explains the rules with a
worked example.

Model. A table's *atoms* partition its contributors: one per commune, plus "none" for those who
did not give theirs. Every published figure of a cell is a sum over one atom's contributors; the
"all" cell sums every atom. So from one release an observer can derive each published atom, the
total, and hence the combined sum of the suppressed atoms, and nothing finer.

1. Threshold and complementary suppression (one release): an atom with fewer than k contributors
   is suppressed; then more atoms (smallest first) are suppressed until the suppressed group,
   the only thing the margins let anyone recompute, covers 0 or at least k contributors. If the
   whole table has fewer than k, nothing is published.
2. Releases (between releases): the same table may be released again only if, compared with
   every earlier release, each atom's contributors changed (joined, left or replaced) by 0 or at
   least k, so a difference between releases is a sum over 0 or >= k changes. Suppression is
   sticky (an atom suppressed once stays suppressed for that month), and an atom published before
   and unchanged since cannot hide a small remainder inside the suppressed group.
3. Between studies: two studies' tables of the same month publish sums over overlapping
   contributors, so each is compared with the other's latest release like an earlier release
   of itself (contributors matched by pseudonym: the box sends a member's same month to every
   study they joined). Suppression is sticky across them too. When only one of the two has
   communes, their totals are compared.
"""
from dataclasses import dataclass, field

NO_COMMUNE = "none"


@dataclass
class Release:
    number: int
    suppressed: set
    members: dict = field(default_factory=dict)   # atom -> {(pseudonym, digest)}
    study: str = ""


def suppress(counts: dict, k: int, sticky=frozenset()) -> set | None:
    """The atoms to suppress (None: the table is below k and nothing is published)."""
    if sum(counts.values()) < k:
        return None
    hidden = {a for a, n in counts.items() if n < k} | (set(sticky) & set(counts))
    while 0 < sum(counts[a] for a in hidden) < k:
        # The smallest published atom joins the group: it costs the least information.
        _n, atom = min((n, a) for a, n in counts.items() if a not in hidden and n > 0)
        hidden.add(atom)
    return hidden


def changed(now: dict, before: dict) -> dict:
    """Per atom, how many contributors joined, left or were replaced between two releases."""
    out = {}
    for atom in set(now) | set(before):
        diff = now.get(atom, set()) ^ before.get(atom, set())
        out[atom] = len({pseudonym for pseudonym, _digest in diff})
    return out


def release_blocked(now: dict, hidden: set, k: int, previous: list) -> str | None:
    """Why the table may not be released again now (None: it may). `now` maps atom -> members."""
    for release in previous:
        delta = changed(now, release.members)
        small = sorted(a for a, n in delta.items() if 0 < n < k)
        if small:
            return (f"since release {release.number}, fewer than k={k} contributors changed in "
                    f"{', '.join(small)}")
        # Atoms published in that release and unchanged since are known exactly: subtracting
        # them from the suppressed group must still leave 0 or >= k contributors.
        pinned = {a for a in hidden if a not in release.suppressed and delta.get(a, 0) == 0}
        rest = sum(len(now.get(a, ())) for a in hidden - pinned)
        if 0 < rest < k:
            return (f"the suppressed group minus cells known from release {release.number} "
                    f"would cover fewer than k={k} contributors")
    return None


def unchanged(now: dict, last: Release) -> bool:
    return not any(changed(now, last.members).values())


def by_pseudonym(members: dict) -> dict:
    """Members matched by person rather than by envelope (digests differ between studies)."""
    return {a: {(p, "") for p, _d in pairs} for a, pairs in members.items()}


def collapsed(members: dict) -> dict:
    """Every atom as one: what can be compared with a study that has no communes."""
    everyone = set().union(*members.values()) if members else set()
    return {NO_COMMUNE: everyone} if everyone else {}


def cross_study_blocked(now: dict, hidden: set, k: int, others: list, communes: bool) -> str | None:
    """release_blocked against other studies' latest releases of the month. `others` are
    (has_communes, Release); `communes` says whether this study has them."""
    mine = by_pseudonym(now)
    for has_communes, other in others:
        theirs = Release(other.number, other.suppressed, by_pseudonym(other.members), other.study)
        if communes and has_communes:
            reason = release_blocked(mine, hidden, k, [theirs])
        else:
            reason = release_blocked(collapsed(mine), set(), k,
                                     [Release(other.number, set(), collapsed(theirs.members))])
        if reason:
            return f"compared with study {other.study}: {reason}"
    return None
