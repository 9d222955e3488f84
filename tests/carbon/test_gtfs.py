from carbon.gtfs import build_transit_index
from carbon.transit import route_type_mode

ROUTES = "\ufeffroute_id,route_short_name,route_type\nL1,1,3\nF,Bus de mer,4\n"
TRIPS = "route_id,service_id,trip_id,shape_id\nL1,W,t1,s1\nF,W,t2,s2\n"
STOPS = "stop_id,stop_name,stop_lat,stop_lon\na,Port,46.1565,-1.1530\nb,Minimes,46.1460,-1.1620\nc,Gare,46.1528,-1.1452\n"
SHAPES = ("shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
          "s1,46.1528,-1.1452,1\ns1,46.1565,-1.1530,2\ns2,46.1460,-1.1620,2\ns2,46.1565,-1.1530,1\n")
STOP_TIMES = "trip_id,stop_id,stop_sequence\nt1,c,1\nt1,a,2\nt2,a,1\nt2,b,2\n"


def test_feed_text_builds_an_index_by_mode():
    index = build_transit_index(ROUTES, TRIPS, STOPS, SHAPES, STOP_TIMES)
    assert index.modes_at_stop(46.1460, -1.1620) == {"boat"}
    assert index.modes_at_stop(46.1528, -1.1452) == {"bus"}
    assert index.modes_at_stop(46.1565, -1.1530) == {"bus", "boat"}
    assert "boat" in index.modes_on_route(46.1512, -1.1575)      # mid-channel
    assert index.modes_on_route(46.1700, -1.2000) == set()


def test_extended_route_types():
    assert route_type_mode(3) == "bus" and route_type_mode(109) == "train"
    assert route_type_mode(1000) == "boat" and route_type_mode(900) == "tram"
