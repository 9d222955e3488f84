"""GPX, KML, GeoJSON, CSV and OwnTracks .rec files, written here, read by the importers."""
from __future__ import annotations

import io
import tracemalloc

import pytest

from carbon.fix import Fix
from gateway.model import Event
from receivers.importers import csvfile, detect, geojson, gpx, kml, owntracks_rec
from receivers.importers.base import Bad, NotLocationHistory

T0 = 1714636800  # 2024-05-02T08:00:00Z


def read(reader, text: str):
    return list(reader(io.BytesIO(text.encode())))


GPX11 = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="StravaGPX" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
 <metadata><name>Morning ride</name><time>2024-05-02T07:59:00Z</time></metadata>
 <wpt lat="46.0" lon="-1.0"><name>Planned stop</name></wpt>
 <trk><name>Ride</name><trkseg>
  <trkpt lat="46.1600000" lon="-1.1500000"><ele>12.5</ele><time>2024-05-02T08:00:00Z</time>
   <extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>4.2</gpxtpx:speed>
   </gpxtpx:TrackPointExtension></extensions></trkpt>
  <trkpt lat="46.1601" lon="-1.1501"><time>2024-05-02T08:00:05.500Z</time></trkpt>
  <trkpt lat="46.1602" lon="-1.1502"></trkpt>
 </trkseg></trk>
</gpx>"""

GPX10 = """<?xml version="1.0"?>
<gpx version="1.0" creator="GPSLogger" xmlns="http://www.topografix.com/GPX/1/0">
 <rte><rtept lat="46.2" lon="-1.2"><time>2024-05-02T09:00:00Z</time><speed>1.5</speed>
  <course>270</course></rtept></rte>
 <trk><trkseg><trkpt lat="46.3" lon="-1.3"><time>2024-05-02T09:01:00+02:00</time></trkpt>
 </trkseg></trk>
</gpx>"""


def test_gpx_11_track_with_extensions():
    assert detect.sniff(GPX11.encode()) == "gpx"
    out = read(gpx.read, GPX11)
    assert out[0] == Fix(ts=T0, lat=46.16, lon=-1.15, alt=12.5, vel=4.2)
    assert out[1].ts == T0 + 5
    assert out[2] == Bad("point without a time", "track point 3")
    assert len(out) == 3   # the untimed waypoint is a plan, not a position


def test_gpx_10_route_and_track():
    out = read(gpx.read, GPX10)
    assert (out[0].vel, out[0].cog, out[0].ts) == (1.5, 270, T0 + 3600)
    assert out[1].ts == T0 - 3600 + 60   # 09:01+02:00 is 07:01Z


def _peak_reading(points: int) -> int:
    body = "".join(f'<trkpt lat="46.{i:05d}" lon="-1.1"><time>{T0 + i}</time></trkpt>'
                   for i in range(points))
    stream = io.BytesIO(f'<gpx version="1.1"><trk><trkseg>{body}</trkseg></trk></gpx>'.encode())
    tracemalloc.start()
    count = sum(1 for _ in gpx.read(stream))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == points
    return peak


def test_gpx_memory_does_not_grow_with_the_track():
    """Points already read are detached from the tree: 4x the points, not 4x the memory."""
    assert _peak_reading(40000) < 1.5 * _peak_reading(10000)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>Location history</name>
 <Placemark><name>Visit</name><TimeStamp><when>2024-05-02T08:00:00Z</when></TimeStamp>
  <Point><coordinates>-1.15,46.16,10</coordinates></Point></Placemark>
 <Placemark><name>Untimed</name><Point><coordinates>-1.0,46.0</coordinates></Point></Placemark>
 <Placemark><LineString><coordinates>-1.1,46.1 -1.2,46.2</coordinates></LineString></Placemark>
 <Placemark><gx:Track>
  <when>2024-05-02T08:01:00Z</when><when>2024-05-02T08:02:00Z</when>
  <gx:coord>-1.151 46.161 11</gx:coord><gx:coord>-1.152 46.162 12</gx:coord>
 </gx:Track></Placemark>
</Document></kml>"""


def test_kml_points_and_gx_track():
    assert detect.sniff(KML.encode()) == "kml"
    out = read(kml.read, KML)
    fixes = [x for x in out if isinstance(x, Fix)]
    assert [(f.ts, f.lat, f.lon, f.alt) for f in fixes] == [
        (T0, 46.16, -1.15, 10.0), (T0 + 60, 46.161, -1.151, 11.0), (T0 + 120, 46.162, -1.152, 12.0)]
    assert Bad("point without a time", "placemark 2") in out
    assert Bad("line without times", "placemark 3") in out


GEOJSON = """{"type": "FeatureCollection", "features": [
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.15, 46.16, 5]},
  "properties": {"time": "2024-05-02T08:00:00Z", "acc": 8}},
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.16, 46.17]},
  "properties": {"timestamp": 1714636860000}},
 {"type": "Feature", "geometry": {"type": "LineString",
   "coordinates": [[-1.1, 46.1], [-1.2, 46.2]]},
  "properties": {"coordTimes": ["2024-05-02T09:00:00Z", "2024-05-02T09:00:10Z"]}},
 {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[-1.3, 46.3]]},
  "properties": {"coordinateProperties": {"times": ["2024-05-02T10:00:00Z"]}}},
 {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.0, 46.0]},
  "properties": {"name": "no time"}}
]}"""


def test_geojson_points_and_timed_lines():
    assert detect.sniff(GEOJSON.encode()) == "geojson"
    out = read(geojson.read, GEOJSON)
    fixes = [x for x in out if isinstance(x, Fix)]
    assert [(f.ts, f.lat, f.lon) for f in fixes] == [
        (T0, 46.16, -1.15), (T0 + 60, 46.17, -1.16), (T0 + 3600, 46.1, -1.1),
        (T0 + 3610, 46.2, -1.2), (T0 + 7200, 46.3, -1.3)]
    assert (fixes[0].alt, fixes[0].acc) == (5, 8)
    assert out[-1] == Bad("point without a time", "features[4]")


@pytest.mark.parametrize("text", [
    "ts,lat,lon,acc,alt,speed\n1714636800,46.16,-1.15,8,12,1.5\n1714636860000,46.17,-1.16,,,\n",
    "time;latitude;longitude;accuracy\n2024-05-02T08:00:00Z;46.16;-1.15;8\n"
    "2024-05-02T10:01:00+02:00;46.17;-1.16;\n",
    "\ufeffTimestamp\tLat\tLng\n2024-05-02 08:00:00\t46.16\t-1.15\n1714636860\t46.17\t-1.16\n",
])
def test_csv_headers_times_and_delimiters(text):
    assert detect.sniff(text.encode()) == "csv"
    out = read(csvfile.read, text)
    assert [(f.ts, f.lat, f.lon) for f in out] == [(T0, 46.16, -1.15), (T0 + 60, 46.17, -1.16)]


def test_csv_bad_rows_are_located():
    out = read(csvfile.read, "ts,lat,lon\n1714636800,46.16,-1.15\nyesterday,46,-1\n"
                             "1714636800,95,-1\n")
    assert out[1:] == [Bad("unreadable time 'yesterday'", "line 3"),
                       Bad("coordinates out of range", "line 4")]


def test_csv_without_time_column_is_refused():
    with pytest.raises(NotLocationHistory, match="no time column"):
        detect.sniff(b"name,lat,lon\nhome,46.1,-1.1\n")


REC = (
    '2024-05-02T08:00:00Z\t*                 \t{"_type":"location","tst":1714636800,'
    '"lat":46.16,"lon":-1.15,"acc":8,"vel":18,"batt":77,"tid":"ph"}\n'
    # a writer that pads the topic to 19 characters (the contrib GPX importer)
    '2024-05-02T08:01:00Z\t*                  \t{"_type":"location","tst":1714636860,'
    '"lat":46.17,"lon":-1.16,"motionactivities":["walking"]}\n'
    '2024-05-02T08:02:00Z\tevent             \t{"_type":"transition","tst":1714636920,'
    '"event":"leave","desc":"Home","lat":46.17,"lon":-1.16}\n'
    '2024-05-02T08:03:00Z\t*                 \t{"_type":"location","tst":17146'
)


def test_owntracks_rec_lines():
    assert detect.sniff(REC.encode()) == "owntracks-rec"
    out = read(owntracks_rec.read, REC)
    assert (out[0].ts, out[0].vel, out[0].batt, out[0].acc) == (T0, 5.0, 77, 8)   # 18 km/h
    assert out[1].activity == "walk" and out[1].raw.startswith('{"_type":"location"')
    assert isinstance(out[2], Event) and out[2].type == "transition"
    assert out[3] == Bad("payload is not JSON", "line 4")


@pytest.mark.parametrize("content, recognised", [
    (b'{"name": "Alice", "email": "a@example.org"}', "'name', 'email'"),
    (b'[{"title": "song", "artist": "x"}]', "'title', 'artist'"),
    (b"<!DOCTYPE html><html><body>Takeout</body></html>", "html"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"", "empty"),
    (b'[gateway]\ntimezone = "Europe/Paris"\n', "a configuration file (TOML or INI, its first "
                                                "setting [gateway])"),
    (b'# the box\n[[transit.feeds]]\nurl = "x"\n', "configuration file"),
    (b"[1, 2, 3]", "no object keys"),
])
def test_non_location_content_is_refused_naming_what_it_is(content, recognised):
    with pytest.raises(NotLocationHistory) as err:
        detect.sniff(content)
    assert recognised in str(err.value)


# ----- limits on what one record may hold (the bombs themselves: test_bombs.py)

def test_gpx_time_longer_than_its_cap_refuses_that_point_only():
    text = GPX10.replace("<time>2024-05-02T09:00:00Z</time>",
                         "<time>2024-05-02T09:00:00" + "0" * 100 + "Z</time>")
    out = read(gpx.read, text)
    assert out[0] == Bad("<time> longer than 64 characters", "route point 1")
    assert out[1].ts == T0 - 3600 + 60


def test_gpx_point_nesting_too_deep_is_refused_and_the_next_read():
    deep = "<extensions>" + "<x>" * 80 + "</x>" * 80 + "</extensions>"
    text = GPX10.replace("<speed>1.5</speed>", deep)
    out = read(gpx.read, text)
    assert out[0] == Bad("nests deeper than 64 levels", "route point 1")
    assert out[1].ts == T0 - 3600 + 60


def test_xml_comment_longer_than_a_megabyte_stops_the_file():
    text = GPX10.replace("<trk>", "<!--" + "x" * (2 << 20) + "--><trk>")
    with pytest.raises(Exception, match="without a complete tag near line"):
        read(gpx.read, text)


def test_kml_track_with_all_times_first_pairs_them():
    whens = "".join(f"<when>2024-05-02T08:{m:02d}:00Z</when>" for m in range(50))
    coords = "".join(f"<gx:coord>-1.15 46.{m:02d} 5</gx:coord>" for m in range(50))
    text = KML.split("<Placemark><gx:Track>")[0] + (
        f"<Placemark><gx:Track><when>yesterday</when>{whens}<gx:coord>-1 46</gx:coord>{coords}"
        "</gx:Track></Placemark></Document></kml>")
    out = read(kml.read, text)
    track = [x for x in out if isinstance(x, Fix)][1:]
    assert len(track) == 50 and track[0].ts == T0 and track[-1].lat == 46.49
    assert Bad("unreadable time 'yesterday'", "track point 1") in out


def test_csv_row_limits_are_per_row():
    out = read(csvfile.read, "ts,lat,lon\n" + "x" * 70000 + "\n1714636800,46.16,-1.15\n"
               + ",".join(["1"] * 300) + "\n1714636860,46.17,-1.16\n")
    assert out == [Bad("line longer than 65,536 bytes", "line 2"),
                   Fix(ts=T0, lat=46.16, lon=-1.15),
                   Bad("row with more than 256 fields", "line 4"),
                   Fix(ts=T0 + 60, lat=46.17, lon=-1.16)]


def test_csv_quoted_field_running_on_is_refused_not_held():
    out = read(csvfile.read, 'ts,lat,lon,activity\n1714636800,46.16,-1.15,walk\n'
               '1714636860,46.17,-1.16,"' + "walk\n" * 20000 + '"\n')
    assert out[0] == Fix(ts=T0, lat=46.16, lon=-1.15, activity="walk")
    assert out[1] == Bad("unreadable row: a quoted field runs on past 65,536 bytes", "line 3")


def test_rec_lines_split_on_any_line_ending():
    rec = REC.replace("\n", "\r\n", 1).replace("\n", "\r", 2)
    out = read(owntracks_rec.read, rec)
    assert [type(x).__name__ for x in out] == ["Fix", "Fix", "Event", "Bad"]


def test_geojson_feature_over_its_value_cap_is_refused_alone():
    from receivers.importers import jsonstream
    coords = ",".join("[-1.1, 46.1]" for _ in range(400_000))
    text = (GEOJSON[:-2] + ',\n {"type": "Feature", "geometry": {"type": "LineString", '
            f'"coordinates": [{coords}]}}, "properties": {{}}}},' + GEOJSON[GEOJSON.index("\n {"):])
    out = read(geojson.read, text)
    assert Bad(f"holds more than {jsonstream.FEATURE.values:,} values", "features[5]") in out
    assert len([x for x in out if isinstance(x, Fix)]) == 10    # the five before, the five after


def test_json_string_longer_than_the_token_cap_stops_the_file():
    from receivers.importers import google_records, jsonstream
    big = b'{"locations": [{"x": "' + b"a" * (jsonstream.MAX_TOKEN + (1 << 20)) + b'"}]}'
    with pytest.raises(jsonstream.JsonLimit, match="a string or number longer than 16 MiB"):
        list(google_records.read(io.BytesIO(big)))


def test_distinct_rejection_reasons_are_bounded():
    from collections import Counter
    text = "ts,lat,lon\n" + "".join(f"when{i},46,-1\n" for i in range(500))
    reasons = Counter(b.reason for b in detect.READERS["csv"](io.BytesIO(text.encode())))
    assert sum(reasons.values()) == 500
    assert len(reasons) == detect.MAX_REASONS + 1
    assert reasons["unreadable time …"] == 500 - detect.MAX_REASONS
