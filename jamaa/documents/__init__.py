"""Verifiable digital documents (issue 4): signed acts, their QR payload and the trust list."""
