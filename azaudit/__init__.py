"""azaudit: security audit of container workloads on Azure."""

__version__ = "0.1.0"
