"""The DMS push API (views, urls)."""
