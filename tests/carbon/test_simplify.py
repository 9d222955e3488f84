"""Tracks simplified for a map zoom keep their shape and drop what a pixel cannot show."""
from carbon.simplify import simplify, tolerance_for_zoom


def test_a_straight_line_keeps_only_its_ends():
    line = [(46.0 + i * 1e-4, -1.15) for i in range(200)]
    assert simplify(line, 5.0) == [line[0], line[-1]]


def test_a_corner_and_a_spike_are_kept():
    corner = [(46.0 + i * 1e-4, -1.15) for i in range(50)] + \
             [(46.0049, -1.15 + i * 1e-4) for i in range(1, 50)]
    spike = corner[:20] + [(46.0019, -1.14)] + corner[20:]
    kept = simplify(spike, 5.0)
    assert (46.0049, -1.15) in kept or any(abs(p[0] - 46.0049) < 2e-4 for p in kept[1:-1])
    assert (46.0019, -1.14) in kept
    assert len(kept) < 10


def test_finer_zoom_keeps_more_points():
    wiggle = [(46.0 + i * 1e-4, -1.15 + (1e-4 if i % 7 == 0 else 0)) for i in range(300)]
    coarse = simplify(wiggle, tolerance_for_zoom(11, 46.0))
    fine = simplify(wiggle, tolerance_for_zoom(18, 46.0))
    assert len(coarse) < len(fine) <= len(wiggle)


def test_a_long_curved_track_is_simplified_without_recursion():
    """A curve splits at one end again and again: a recursive version would die."""
    track = [(46.0 + i * 1e-6, -1.15 + (i * 1e-3) ** 2 * 1e-6) for i in range(30000)]
    kept = simplify(track, 1.0)
    assert 2 < len(kept) < 1000 and kept[0] == track[0] and kept[-1] == track[-1]
