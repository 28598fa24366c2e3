"""Reads of messaging, scoped to the user where a user asks: the library, campaigns, notifications, the
segments' customers and the values and addresses of recipients."""
