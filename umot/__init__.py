"""umot: social listening and sentiment along the customer journey."""

__version__ = "0.1.0"
