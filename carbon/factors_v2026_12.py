"""Emission factor table, version 2026-12 (ADEME impactCO2 as of 2026-07-01, cars corrected).

Data only. What changed from 2026-07 (kept beside it: legs keep the version they were
computed with, and a rebuild moves them to this one and says so):

* cars are per *vehicle*-km: impactCO2's car values are per passenger-km at its average
  occupancy of 1.6 (its extraction divides the car's per-km emissions by Nos Gestes Climat's
  `transport . voiture . voyageurs`, default 1.6), so per vehicle-km is the value x 1.6
  (compact diesel 142.3 -> 227.6 g/vkm). The member's occupancy divides it (alone: all of it);
* rail keeps TER, Intercités, TGV and RER; which one applies is read from the leg
  (carbon.footprint.train_kind), no longer from a 150 km cliff.

Values and ids from shared/reference/emission-factors.md (corrected 2026-12-01).
"""

TABLE = {'version': '2026-12',
 'unit': 'g CO2e per passenger-km, except per_vehicle_km entries (divide by the people aboard)',
 'changes': 'cars per vehicle-km (impactCO2 per passenger-km at 1.6 aboard x 1.6, as corrected '
            'in emission-factors.md on 2026-12-01); rail: RER added to the train kinds',
 'scope': 'vehicle construction, maintenance and end of life included; infrastructure excluded',
 'sources': {'impactco2': 'ADEME impactCO2 transport comparator, '
                          'src/data/categories/deplacement.ts, incubateur-ademe/impactco2, state '
                          'of 2026-07-01',
             'impactco2_vkm': 'impactCO2 per passenger-km at its 1.6 occupancy (Nos Gestes '
                              'Climat transport . voiture . voyageurs) x 1.6 = per vehicle-km '
                              '(extractVoitureValues.ts; emission-factors.md, 2026-12-01)',
             'base_carbone': 'ADEME Base Carbone',
             'project': 'no ADEME element: project default, configurable per member or network'},
 'per_pkm': {'walk': {'g': 0, 'source': 'impactco2'},
             'run': {'g': 0, 'source': 'impactco2', 'note': 'as walk'},
             'bike': {'g': 0.17, 'source': 'impactco2'},
             'e-bike': {'g': 10.95, 'source': 'impactco2', 'id': '28331'},
             'e-scooter': {'g': 24.9, 'source': 'impactco2', 'id': '28329'},
             'bus': {'g': 147,
                     'source': 'base_carbone',
                     'id': '27999',
                     'note': 'average urban bus, agglomeration 100,000-250,000 inhabitants (La '
                             'Rochelle); quoted second-hand'},
             'bus_thermal': {'g': 122.4, 'source': 'impactco2', 'id': '43739'},
             'bus_electric': {'g': 21.7, 'source': 'impactco2', 'id': '28003'},
             'coach': {'g': 37.6, 'source': 'impactco2', 'id': '43740'},
             'tram': {'g': 4.3, 'source': 'impactco2', 'id': '43257'},
             'metro': {'g': 4.4, 'source': 'impactco2', 'id': '43253'},
             'rer': {'g': 9.8, 'source': 'impactco2', 'id': '43254'},
             'train_ter': {'g': 27.7, 'source': 'impactco2', 'id': '43255'},
             'train_intercites': {'g': 9.0, 'source': 'impactco2', 'id': '43272'},
             'train_tgv': {'g': 2.9, 'source': 'impactco2', 'id': '43256'},
             'boat': {'g': 0,
                      'source': 'project',
                      'note': 'no ADEME element for the sea-bus: set boat_g_pkm in the member or '
                              'network settings'},
             'plane_le_1000km': {'g': 224.6,
                                 'source': 'impactco2',
                                 'id': '43743',
                                 'note': 'contrails included'},
             'plane_1001_2000km': {'g': 184.7, 'source': 'impactco2', 'id': '43741'},
             'plane_2001_5000km': {'g': 166.8, 'source': 'impactco2', 'id': '43747'},
             'plane_gt_5000km': {'g': 177.9, 'source': 'impactco2'}},
 'per_vehicle_km': {'motorcycle_light': {'g': 76.3,
                                         'source': 'impactco2',
                                         'id': '27992',
                                         'note': 'thermal scooter / light motorcycle'},
                    'motorcycle_large': {'g': 214.7,
                                         'source': 'impactco2',
                                         'id': '43782',
                                         'note': '> 250 cm3'},
                    'car': {'small': {'petrol': 231.5,
                                      'diesel': 195.0,
                                      'electric': 92.1,
                                      'hybrid': 216.4,
                                      'plug-in hybrid': 206.2},
                            'compact': {'petrol': 271.5,
                                        'diesel': 227.6,
                                        'electric': 107.8,
                                        'hybrid': 234.5,
                                        'plug-in hybrid': 214.2},
                            'saloon': {'petrol': 302.8,
                                       'diesel': 293.4,
                                       'electric': 145.1,
                                       'hybrid': 273.4,
                                       'plug-in hybrid': 263.1},
                            'large': {'petrol': 394.0,
                                      'diesel': 271.5,
                                      'electric': 151.0,
                                      'hybrid': 291.0,
                                      'plug-in hybrid': 297.6},
                            'source': 'impactco2_vkm',
                            'note': '2026 model, per vehicle-km (the people aboard share it); '
                                    'default car = compact diesel 227.6'}}}
