"""Forms of the messaging pages: the message library (library.py) and campaigns (campaigns.py)."""
