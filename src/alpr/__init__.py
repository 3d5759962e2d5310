"""alpr: Automated License Plate Recognition with California SB 34 enforced in software."""

__version__ = "0.1.0"
