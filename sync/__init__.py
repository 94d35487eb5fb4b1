"""Sync: protocol, sealed bundles, merge, HTTP client; sync/server/ is the central server."""
