"""The communes of the La Rochelle agglomeration, and which one a home is in.

Data: the 28 member communes of the Communauté d'agglomération de La Rochelle (CdA, SIREN
241700434; 28 communes since 1 January 2014) with their INSEE codes (Code officiel
géographique) and the coordinates of each town centre as given in the commune's infobox
(French Wikipedia, which takes them from IGN), rounded to 4 decimals.

Only the box calls `commune_of` (with the member's home place): the commune code is the one
location a member may choose to send, and nothing finer ever leaves the box. The lookup is an
approximation, documented as such: a point inside the agglomeration's bounding box (padded by
`BOX_MARGIN_DEG`) goes to the nearest town centre. Near a boundary a home may be put in the
neighbouring commune; the published figures are per commune of at least k contributors, so the
error moves one contributor between neighbours and never reveals anything.
"""
from carbon.geo import distance_m

SOURCE = ("CdA La Rochelle member communes (28, since 2014-01-01); INSEE Code officiel "
          "géographique; town-centre coordinates from each commune's infobox (IGN)")

# INSEE code -> (name, lat, lon of the town centre)
COMMUNES = {
    "17010": ("Angoulins", 46.1050, -1.1086),
    "17028": ("Aytré", 46.1342, -1.1144),
    "17059": ("Bourgneuf", 46.1681, -1.0186),
    "17094": ("Châtelaillon-Plage", 46.0750, -1.0881),
    "17109": ("Clavette", 46.1461, -1.0339),
    "17136": ("Croix-Chapeau", 46.1058, -1.0000),
    "17142": ("Dompierre-sur-Mer", 46.1886, -1.0636),
    "17153": ("Esnandes", 46.2503, -1.1136),
    "17190": ("L'Houmeau", 46.1939, -1.1861),
    "17193": ("La Jarne", 46.1286, -1.0728),
    "17194": ("La Jarrie", 46.1286, -1.0103),
    "17200": ("Lagord", 46.1886, -1.1528),
    "17222": ("Marsilly", 46.2314, -1.1367),
    "17245": ("Montroy", 46.1528, -0.9983),
    "17264": ("Nieul-sur-Mer", 46.2075, -1.1625),
    "17274": ("Périgny", 46.1536, -1.0950),
    "17291": ("Puilboreau", 46.1864, -1.1158),
    "17300": ("La Rochelle", 46.1591, -1.1520),
    "17315": ("Saint-Christophe", 46.1333, -0.9528),
    "17373": ("Saint-Médard-d'Aunis", 46.1500, -0.9600),
    "17391": ("Saint-Rogatien", 46.1522, -1.0708),
    "17407": ("Sainte-Soulle", 46.1869, -1.0106),
    "17413": ("Saint-Vivien", 46.0803, -1.0525),
    "17414": ("Saint-Xandre", 46.2056, -1.1011),
    "17420": ("Salles-sur-Mer", 46.1061, -1.0514),
    "17443": ("Thairé", 46.0747, -1.0019),
    "17466": ("Vérines", 46.1947, -0.9656),
    "17483": ("Yves", 46.0181, -1.0478),
}

# About 4 km beyond the outermost town centres: the agglomeration's edges lie a few km past them.
BOX_MARGIN_DEG = 0.04
_LATS = [c[1] for c in COMMUNES.values()]
_LONS = [c[2] for c in COMMUNES.values()]
BOX = (min(_LATS) - BOX_MARGIN_DEG, min(_LONS) - BOX_MARGIN_DEG,
       max(_LATS) + BOX_MARGIN_DEG, max(_LONS) + BOX_MARGIN_DEG)


def commune_of(lat: float, lon: float) -> str | None:
    """INSEE code of the commune nearest to (lat, lon), or None outside the agglomeration."""
    south, west, north, east = BOX
    if not (south <= lat <= north and west <= lon <= east):
        return None
    return min(COMMUNES, key=lambda code: distance_m(lat, lon, COMMUNES[code][1], COMMUNES[code][2]))


def commune_name(code: str) -> str | None:
    entry = COMMUNES.get(code)
    return entry[0] if entry else None
