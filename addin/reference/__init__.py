"""Reference data: CMS tables (bundled and imported) and the queries every feature asks."""

from addin.reference.data import ReferenceData, get_reference_data

__all__ = ["ReferenceData", "get_reference_data"]
