"""Stand-ins for the outside world the messaging app talks to, for development and tests: an SMS gateway
(`sms_simulator`) and an SMTP server that keeps every mail (`smtp_sink`).

They never import Django (stdlib and aiosmtpd only) and never import each other, so each can also run by
file path without loading the project package: `python crm/messaging/devtools/sms_simulator.py --help`.
"""
