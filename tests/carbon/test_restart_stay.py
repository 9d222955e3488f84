"""The one restart rule of a late batch (carbon.timeline.restart_stay), which the engine's
recompute_from and the gateway's window (gateway.trips.pipeline._window) both ask."""
from carbon.timeline import restart_stay


def _tail(starts):
    return lambda bound, n: [s for s in starts if s <= bound][-n:]


STARTS = [1_000, 5_000, 9_000, 20_000]


def test_the_stay_before_the_last_one_at_or_before_the_batch():
    # the batch's fixes may fall in the stay starting at 9,000 and move its start: the
    # restart is the one before it
    assert restart_stay(_tail(STARTS), 9_500, resume_ts=20_000) == 5_000
    assert restart_stay(_tail(STARTS), 9_000, resume_ts=20_000) == 5_000
    assert restart_stay(_tail(STARTS), 8_999, resume_ts=20_000) == 1_000


def test_never_after_the_resume_point_and_none_is_a_rebuild():
    assert restart_stay(_tail(STARTS), 30_000, resume_ts=9_000) == 5_000
    assert restart_stay(_tail(STARTS), 30_000, resume_ts=None) is None
    assert restart_stay(_tail(STARTS), 4_000, resume_ts=20_000) is None   # one stay before


def test_a_restart_whose_belief_was_dropped_is_a_rebuild():
    # a trip started at 2,000 and the first belief kept is 6,000's: a restart at 5,000
    # would read the vehicles back from the trips, an estimate a rebuild does not make
    assert restart_stay(_tail(STARTS), 9_500, 20_000, forgotten=(2_000, 6_000)) is None
    assert restart_stay(_tail(STARTS), 9_500, 20_000, forgotten=(2_000, 4_000)) == 5_000
    assert restart_stay(_tail(STARTS), 9_500, 20_000, forgotten=(5_000, 6_000)) == 5_000


def test_a_late_batch_never_restarts_at_a_stay_a_connection_could_span():
    # a change of buses (6-15 min) is no cut: a restart there decides the trip after it
    # alone, which the rebuild decides with the one before (round 13, long-restart)
    from carbon.model import Stay, Timeline
    from carbon.params import DEFAULT_PARAMS as P
    from carbon.timeline import recompute_from

    def stay(a, b):
        return Stay(a, b, 46.16, -1.15, 20)
    tl = Timeline([stay(0, 20_000), stay(21_000, 21_600), stay(23_000, 30_000)], [], 23_000)
    assert 21_600 - 21_000 < P.transfer_max_s
    assert recompute_from(tl, 22_000) is None       # before: 0, the stay before the change
    assert recompute_from(tl, 24_000) == 0          # before: 21,000, the change itself
