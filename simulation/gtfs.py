"""The GTFS feed a household of a simulated day would import (`selfdata gtfs import`).

A town's feed holds its lines: the shape of each (shapes.txt), its stops (stops.txt,
stop_times.txt) and its kind (routes.txt route_type). The day's itinerary records the lines
it rides (trams, buses, metros, trains, ferries) and, on part of the streets it drives,
cycles or walks, a bus line that it does not ride (`Itinerary.bus_line_along`): a feed
covers the town, not the member's rides, and a car stopping beside a bus stop must not
become a bus. Timetables are left out: the engine reads routes and stops only
(carbon.transit).
"""
import csv
import os

FILES = ("routes.txt", "trips.txt", "stops.txt", "shapes.txt", "stop_times.txt")


def feed_tables(lines: list) -> dict:
    """{GTFS file name: [row dicts]} for [(route_type, shape [(lat, lon)], stops [(lat, lon)])]."""
    tables = {name: [] for name in FILES}
    for k, (route_type, shape, stops) in enumerate(lines):
        rid, tid, sid = f"r{k}", f"t{k}", f"s{k}"
        tables["routes.txt"].append({"route_id": rid, "route_type": route_type})
        tables["trips.txt"].append({"route_id": rid, "trip_id": tid, "shape_id": sid})
        for n, (lat, lon) in enumerate(shape):
            tables["shapes.txt"].append({"shape_id": sid, "shape_pt_sequence": n,
                                         "shape_pt_lat": f"{lat:.6f}", "shape_pt_lon": f"{lon:.6f}"})
        for n, (lat, lon) in enumerate(stops):
            stop_id = f"{rid}-{n}"
            tables["stops.txt"].append({"stop_id": stop_id, "stop_lat": f"{lat:.6f}",
                                        "stop_lon": f"{lon:.6f}"})
            tables["stop_times.txt"].append({"trip_id": tid, "stop_id": stop_id,
                                             "stop_sequence": n})
    return tables


def write_feed(lines: list, folder: str) -> None:
    """The feed's tables as GTFS text files in `folder`."""
    os.makedirs(folder, exist_ok=True)
    for name, rows in feed_tables(lines).items():
        with open(os.path.join(folder, name), "w", newline="") as f:
            fields = list(rows[0]) if rows else {
                "routes.txt": ["route_id", "route_type"],
                "trips.txt": ["route_id", "trip_id", "shape_id"],
                "stops.txt": ["stop_id", "stop_lat", "stop_lon"],
                "shapes.txt": ["shape_id", "shape_pt_sequence", "shape_pt_lat", "shape_pt_lon"],
                "stop_times.txt": ["trip_id", "stop_id", "stop_sequence"]}[name]
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
