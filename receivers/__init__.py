"""Receivers: turn the outside world (OwnTracks, OsmAnd/Traccar, gpsd, files) into fixes."""
