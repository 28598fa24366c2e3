"""API tokens made, listed and revoked by their users in the product: stored hashed, expiring, rate-limited."""
