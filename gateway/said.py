"""Errors said in words a person can act on, in any language the household page speaks.

The library raises them in English, which is what the command line prints. Their template is
also a msgid of the household page's catalogue (`./dev catalogue` extracts the first argument
of every ``AccountError(...)`` and ``LinkError(...)``), so a page shows the same sentence in
French: the words are written once, here in the library, and translated where they are shown.
"""
from __future__ import annotations


class Said(Exception):
    """``Said("no member named %(name)r", name="bob")``: str() is the English sentence;
    ``template`` and ``values`` are what a translation needs."""

    def __init__(self, template: str, **values):
        self.template, self.values = template, values
        super().__init__(template % values if values else template)
