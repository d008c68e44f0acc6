"""engagebot: product polls and daily engagement prompts for shop communities."""

__version__ = "0.1.0"
