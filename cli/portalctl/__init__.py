"""portalctl: one command line for customer-support portals."""

__version__ = "0.1.0"
