"""The engine's output: stays, trips and their legs."""
from dataclasses import dataclass, field


@dataclass(slots=True)
class Stay:
    start_ts: int
    end_ts: int
    lat: float
    lon: float
    n_points: int
    place: str | None = None
    acc: float | None = None        # median accuracy of its fixes (indoors it degrades)

    @property
    def duration_s(self) -> int:
        return self.end_ts - self.start_ts


@dataclass(slots=True)
class Leg:
    start_ts: int
    end_ts: int
    distance_m: float
    mode: str
    confidence: float
    co2_g: float | None = None
    avoided_g: float | None = None
    factor_version: str | None = None
    corrected: bool = False
    n_points: int = 0
    # the model's view, for the member and for learning from their corrections:
    probs: dict | None = None      # {mode: probability} of the leading modes
    features: dict | None = None   # what was measured (carbon.likelihood.measurable)
    loglik: dict | None = None     # {mode: log likelihood}: working data, never stored
    # {mode: log likelihood} of the wait at its boarding point, which counts only where the
    # member came to it on foot (carbon.decode): working data, never stored
    wait_loglik: dict | None = None
    # log likelihood of the leg as a road vehicle queuing (mode_params.QUEUE), a state of
    # the trip model between two legs of one vehicle (carbon.decode): working data
    queue_loglik: float | None = None
    # log likelihood of the leg as a car in stop-and-go (mode_params.JAM), a state of the
    # trip model between two drives (carbon.decode): working data
    jam_loglik: float | None = None


@dataclass(slots=True)
class Trip:
    start_ts: int
    end_ts: int
    distance_m: float
    legs: list
    purpose: str | None = None
    start_place: str | None = None
    end_place: str | None = None
    start: tuple | None = None   # (lat, lon) where it left
    end: tuple | None = None     # (lat, lon) where it arrived

    @property
    def co2_g(self) -> float | None:
        values = [leg.co2_g for leg in self.legs if leg.co2_g is not None]
        return sum(values) if values else None

    @property
    def main_mode(self) -> str:
        """The mode that covered the most distance."""
        if not self.legs:
            return "unknown"
        return max(self.legs, key=lambda leg: leg.distance_m).mode


@dataclass(slots=True)
class Timeline:
    stays: list = field(default_factory=list)
    trips: list = field(default_factory=list)
    # Where an incremental update must restart: the start of the last stay that is over (a
    # trip left it) and too long to be a connection, so nothing before it can change when
    # later fixes arrive. None: recompute from the first fix.
    resume_ts: int | None = None
    # Where the member's car and bike may be at resume_ts (carbon.vehicles.Parked), as
    # detection knew it when it reached the first trip after it: the state an update from
    # resume_ts starts from (Context.parked), so that it decides those trips with the
    # priors a rebuild gives them. None: not known (no resume point).
    parked: object = None
    # The first fix of the earliest trip decided with fixes after it that are not all in yet
    # (carbon.silence.phone_step): a caller that stores a window ending before those fixes
    # must run on to the end (gateway.trips.pipeline._recompute). None: no such trip.
    open_ts: int | None = None
    # [(a detected trip's first fix's ts, the belief before it)], oldest first, then
    # (None, the belief after the last): what an update from any stay (a late batch,
    # carbon.timeline.recompute_from) starts from, as a rebuild has it there. (): not known.
    beliefs: tuple = ()
