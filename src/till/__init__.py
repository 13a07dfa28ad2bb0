"""Till: an offline-first point of sale for Magento retailers."""

__version__ = "0.1.0"
