"""Date and time formats per language (settings.FORMAT_MODULE_PATH). Django's own modules fill in what these
leave out (input formats, number separators)."""
