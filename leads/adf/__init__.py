"""Read ADF (Auto-lead Data Format 1.0) lead documents that car makers and lead sites send, safely.

Pure: no database, no models, no network, no file access. `parse_adf` turns untrusted bytes into frozen
dataclasses; the caller decides what to store (and normalises phone numbers to E.164).

Guarantees of `parse_adf`:
- The XML parser is defusedxml with DTDs, entity declarations and external references forbidden, so
  entity expansion ("billion laughs"), XXE and external DTDs are refused before any of them is acted on;
  nothing is read from disk or the network.
- The size cap is checked before any decoding or parsing; the prospect cap before any prospect is read.
  Every text repair is a linear scan, so the work is bounded by the size cap.
- A document is refused (`AdfError`) only when it is unsafe or cannot be read as an ADF document at all.
  A prospect with bad or missing fields is still returned, with warnings; a prospect nobody can contact (no
  phone, no email) has `is_contactable` False so the caller can report it row by row.
"""

from leads.adf.contact import is_placeholder_name, split_phone_extension
from leads.adf.document import AdfAddress, AdfDocument, AdfError, AdfProspect, AdfVehicle
from leads.adf.parse import parse_adf

__all__ = [
    "AdfAddress",
    "AdfDocument",
    "AdfError",
    "AdfProspect",
    "AdfVehicle",
    "is_placeholder_name",
    "parse_adf",
    "split_phone_extension",
]
