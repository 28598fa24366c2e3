"""Two-factor sign-in: an authenticator app (TOTP) after the password, with single-use recovery codes."""
