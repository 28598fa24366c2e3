"""The customer record over REST: customers, their contact points, consents and timeline, and vehicles.

Every view reads through the selectors (scoped to the caller, and row-level security again underneath)
and writes through the services. Related ids that come in (`owner`, `dealer`) are validated against the
caller's own rows only, so another dealer's id is "unknown", never accepted. Updates are optimistic:
the caller sends the version it read (If-Match), a stale one answers 412.
"""
