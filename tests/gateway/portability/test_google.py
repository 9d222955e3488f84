"""Google's four location history shapes, each quirk in a file written here."""
from __future__ import annotations

import io
import json

import pytest

from carbon.fix import Fix
from receivers.importers import detect, google_android, google_ios, google_records
from receivers.importers import google_semantic
from receivers.importers.base import Bad, NotLocationHistory, Segment
from portability_helpers import fixes_of, run_import, schema_properties, write

RECORDS = {"locations": [
    # current format: timestamp with milliseconds, E7 integers, an activity array
    {"latitudeE7": 461591234, "longitudeE7": -11512345, "accuracy": 14, "velocity": 4,
     "heading": 90, "altitude": 12, "source": "GPS", "deviceTag": 1, "platformType": "ANDROID",
     "timestamp": "2022-03-01T08:00:00.250Z",
     "activity": [{"timestamp": "2022-03-01T08:00:01.000Z", "activity": [
         {"type": "STILL", "confidence": 45}, {"type": "ON_BICYCLE", "confidence": 40},
         {"type": "IN_VEHICLE", "confidence": 15}]}]},
    # timestamp without milliseconds
    {"latitudeE7": 461592000, "longitudeE7": -11513000, "accuracy": 20,
     "timestamp": "2022-03-01T08:01:00Z"},
    # legacy: timestampMs as a string of epoch milliseconds, camelCase activity type
    {"latitudeE7": 461593000, "longitudeE7": -11514000, "timestampMs": "1646121720000",
     "activity": [{"timestampMs": "1646121720500", "activity": [
         {"type": "inVehicle", "confidence": 80}]}]},
    # the same instant again (duplicates occur in real files)
    {"latitudeE7": 461593000, "longitudeE7": -11514000, "timestampMs": "1646121720000"},
    # no coordinates
    {"timestamp": "2022-03-01T08:03:00Z", "accuracy": 3000},
]}


def items(reader, content):
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    return list(reader(io.BytesIO(data)))


def test_records_test_file_has_the_real_shape():
    keys = {k for rec in RECORDS["locations"] for k in rec}
    assert keys <= schema_properties("Records.schema.json", "locationRecord")


def test_records_e7_times_and_activity():
    out = items(google_records.read, RECORDS)
    fixes = [x for x in out if isinstance(x, Fix)]
    assert [f.ts for f in fixes] == [1646121600, 1646121660, 1646121720, 1646121720]
    first = fixes[0]
    assert (first.lat, first.lon, first.acc, first.vel, first.alt) == (46.1591234, -1.1512345,
                                                                      14, 4, 12)
    # STILL says nothing about travel: the most confident travel type wins.
    assert first.activity == "bike"
    assert fixes[2].activity == "car"           # camelCase 'inVehicle'
    assert out[-1] == Bad("no coordinates", "locations[4]")


def test_records_duplicates_are_counted_not_stored(store, tmp_path):
    report = run_import(store, write(tmp_path / "Records.json", RECORDS))
    f = report.files[0]
    assert (f.kind, f.fixes, f.duplicates) == ("google-records", 3, 1)
    assert dict(f.rejected) == {"no coordinates": 1}
    assert f.examples["no coordinates"] == ["locations[4]"]


SEMANTIC = {"timelineObjects": [
    {"placeVisit": {
        "location": {"latitudeE7": 461600000, "longitudeE7": -11500000,
                     "placeId": "ChIJhome", "address": "1 rue X", "name": "Home",
                     "semanticType": "TYPE_HOME"},
        "duration": {"startTimestamp": "2022-03-01T06:00:00Z",
                     "endTimestamp": "2022-03-01T07:58:00.123Z"},
        "placeConfidence": "HIGH_CONFIDENCE", "visitConfidence": 93}},
    {"activitySegment": {
        "startLocation": {"latitudeE7": 461600000, "longitudeE7": -11500000},
        "endLocation": {"latitudeE7": 461700000, "longitudeE7": -11400000},
        "duration": {"startTimestampMs": "1646121600000", "endTimestampMs": "1646122800000"},
        "distance": 1400, "activityType": "CYCLING", "confidence": "HIGH",
        "activities": [{"activityType": "CYCLING", "probability": 87.5},
                       {"activityType": "WALKING", "probability": 10.0}],
        "simplifiedRawPath": {"points": [
            {"latE7": 461650000, "lngE7": -11450000, "accuracyMeters": 8,
             "timestamp": "2022-03-01T08:10:00Z"}]}}},
    {"activitySegment": {
        "startLocation": {"latitudeE7": 461700000, "longitudeE7": -11400000},
        "endLocation": {"latitudeE7": 461900000, "longitudeE7": -11400000},
        "duration": {"startTimestamp": "2022-03-01T09:00:00Z",
                     "endTimestamp": "2022-03-01T09:10:00Z"},
        "activityType": "IN_BUS",
        "waypointPath": {"waypoints": [{"latE7": 461800000, "lngE7": -11400000}],
                         "source": "INFERRED"}}},
    {"somethingElse": {}},
]}


def test_semantic_test_file_has_the_real_shape():
    segment_keys = {k for o in SEMANTIC["timelineObjects"] for k in o.get("activitySegment", {})}
    visit_keys = {k for o in SEMANTIC["timelineObjects"] for k in o.get("placeVisit", {})}
    assert segment_keys <= schema_properties("Semantic.schema.json", "activitySegment")
    assert visit_keys <= schema_properties("Semantic.schema.json", "placeVisit")


def test_semantic_visits_segments_and_paths():
    out = items(google_semantic.read, SEMANTIC)
    segments = [x for x in out if isinstance(x, Segment)]
    assert [(s.kind, s.label, s.mode) for s in segments] == [
        ("visit", "ChIJhome", None), ("activity", "CYCLING", "bike"), ("activity", "IN_BUS", "bus")]
    assert segments[0].place_name == "Home" and segments[0].end_ts == 1646121480
    assert segments[1].confidence == 87.5 and segments[1].distance_m == 1400
    fixes = [x for x in out if isinstance(x, Fix)]
    # the raw path point is a real timed fix, labelled with the segment's mode
    assert Fix(ts=1646122200, lat=46.165, lon=-1.145, acc=8, activity="bike") in fixes
    # the waypoint has no time of its own: halfway along, halfway through, and says so
    waypoint = next(f for f in fixes if f.lat == 46.18)
    assert waypoint.ts == 1646125200 + 300 and "interpolated" in waypoint.raw
    assert out[-1] == Bad("neither placeVisit nor activitySegment", "timelineObjects[3]")


ANDROID = {
    "semanticSegments": [
        {"startTime": "2024-05-02T08:00:00.000+02:00", "endTime": "2024-05-02T08:30:00.000+02:00",
         "startTimeTimezoneUtcOffsetMinutes": 120, "endTimeTimezoneUtcOffsetMinutes": 120,
         "activity": {"start": {"latLng": "46.1600000°, -1.1500000°"},
                      "end": {"latLng": "46.1700000, -1.1400000"},   # no degree sign
                      "distanceMeters": 2100.5, "probability": 0.9,
                      "topCandidate": {"type": "IN_PASSENGER_VEHICLE", "probability": 0.8}}},
        {"startTime": "2024-05-02T08:00:00.000+02:00", "endTime": "2024-05-02T10:00:00.000+02:00",
         "timelinePath": [{"point": "46.1650000°, -1.1450000°",
                           "time": "2024-05-02T08:15:00.000+02:00"}]},
        {"startTime": "2024-05-02T08:30:00.000+02:00", "endTime": "2024-05-02T17:00:00.000+02:00",
         "visit": {"hierarchyLevel": 0, "probability": 0.7,
                   "topCandidate": {"placeId": "ChIJwork", "semanticType": "WORK",
                                    "probability": 0.6,
                                    "placeLocation": {"latLng": "46.1700000°, -1.1400000°"}}}},
        {"startTime": "2024-05-02T08:30:00.000+02:00", "endTime": "2024-05-02T17:00:00.000+02:00",
         "visit": {"hierarchyLevel": 1, "probability": 0.5,
                   "topCandidate": {"placeId": "ChIJcampus", "semanticType": "UNKNOWN",
                                    "placeLocation": {"latLng": "46.1710000°, -1.1410000°"}}}},
        {"startTime": "2024-05-02T18:00:00.000+02:00",
         "timelinePath": [{"point": "not a place", "time": "2024-05-02T18:00:00.000+02:00"}]},
    ],
    "rawSignals": [
        {"position": {"LatLng": "46.1612345°, -1.1512345°", "accuracyMeters": 9,
                      "altitudeMeters": 31.5, "source": "GPS",
                      "timestamp": "2024-05-02T06:05:00.000Z", "speedMetersPerSecond": 1.25}},
        {"activityRecord": {"probableActivities": [{"type": "WALKING", "confidence": 0.9}],
                            "timestamp": "2024-05-02T06:05:00.000Z"}},
        {"wifiScan": {"deliveryTime": "2024-05-02T06:05:00.000Z", "devicesRecords": []}},
    ],
    "userLocationProfile": {"frequentPlaces": []},
}


def test_android_timeline():
    out = items(google_android.read, ANDROID)
    fixes = {f.ts: f for f in out if isinstance(f, Fix)}
    start = 1714629600  # 2024-05-02T06:00:00Z
    # activity ends, with and without the degree sign, labelled with the mode
    assert (fixes[start].lat, fixes[start].lon, fixes[start].activity) == (46.16, -1.15, "car")
    assert fixes[start + 1800].lat == 46.17
    assert fixes[start + 900].lat == 46.165          # timelinePath point
    raw = fixes[start + 300]
    assert (raw.lat, raw.acc, raw.alt, raw.vel) == (46.1612345, 9, 31.5, 1.25)
    segments = [x for x in out if isinstance(x, Segment)]
    assert [(s.kind, s.label) for s in segments] == [
        ("activity", "IN_PASSENGER_VEHICLE"), ("visit", "ChIJwork"), ("visit", "ChIJcampus")]
    # the enclosing place (hierarchyLevel 1) adds no fix of its own
    assert not any(f.lat == 46.171 for f in fixes.values())
    assert Bad("unreadable coordinates 'not a place'", "semanticSegments[4]") in out


def test_android_arrays_in_any_order():
    reordered = {"rawSignals": ANDROID["rawSignals"], "semanticSegments": ANDROID["semanticSegments"][:1]}
    data = json.dumps(reordered).encode()
    assert detect.sniff(data) == "google-android"
    assert len([x for x in items(google_android.read, data) if isinstance(x, Fix)]) == 3


IOS = [
    {"endTime": "2024-05-02T10:30:00.000+02:00", "startTime": "2024-05-02T08:30:00.000+02:00",
     "visit": {"hierarchyLevel": "0", "topCandidate": {
         "probability": "0.476300", "semanticType": "Work", "placeID": "ChIJiosWork",
         "placeLocation": "geo:46.170000,-1.140000"}, "probability": "0.910000"}},
    {"endTime": "2024-05-02T08:30:00.000+02:00", "startTime": "2024-05-02T08:00:00.000+02:00",
     "activity": {"probability": "0.993", "end": "geo:46.170000,-1.140000",
                  "topCandidate": {"type": "walking", "probability": "0.90"},
                  "distanceMeters": "1234.5", "start": "geo:46.160000,-1.150000"}},
    {"endTime": "2024-05-02T10:00:00.000+02:00", "startTime": "2024-05-02T08:00:00.000+02:00",
     "timelinePath": [{"point": "geo:46.165000,-1.145000",
                       "durationMinutesOffsetFromStartTime": "15"}]},
]


def test_ios_all_strings():
    assert detect.sniff(json.dumps(IOS).encode()) == "google-ios"
    out = items(google_ios.read, IOS)
    fixes = {f.ts: f for f in out if isinstance(f, Fix)}
    start = 1714629600
    assert (fixes[start + 15 * 60].lat, fixes[start + 15 * 60].lon) == (46.165, -1.145)
    assert fixes[start].activity == "walk"
    visit, activity = [x for x in out if isinstance(x, Segment)]
    assert (visit.label, visit.semantic_type, visit.confidence) == ("ChIJiosWork", "Work", 0.91)
    assert (activity.mode, activity.distance_m) == ("walk", 1234.5)


def test_timeline_edits_refused_clearly():
    edits = {"timelineEdits": [{"deviceId": "1", "placeAggregates": {}}]}
    with pytest.raises(NotLocationHistory, match="Timeline Edits"):
        detect.sniff(json.dumps(edits).encode())


def test_labelled_segments_are_stored_once(store, tmp_path):
    path = write(tmp_path / "2022_MARCH.json", SEMANTIC)
    first = run_import(store, path)
    again = run_import(store, path)
    assert first.files[0].segments == 3 and again.files[0].segments == 0
    rows = store.conn.execute("SELECT kind, mode, label, source FROM labelled_segments "
                              "ORDER BY start_ts").fetchall()
    assert [tuple(r) for r in rows] == [("visit", None, "ChIJhome", "import:google-semantic"),
                                        ("activity", "bike", "CYCLING", "import:google-semantic"),
                                        ("activity", "bus", "IN_BUS", "import:google-semantic")]
    assert again.totals()["fixes_imported"] == 0 and fixes_of(store)
