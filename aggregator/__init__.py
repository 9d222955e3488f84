"""The city's reference receiver for the city link: enrol contributors, verify and store their
signed monthly summaries, publish aggregates no one can be picked out of.

It imports nothing from the project but the wire format (carbon.summary_wire, reached through
carbon.summaries' definitions) so a city can run it without the gateway. See docs/aggregator.md.
"""
