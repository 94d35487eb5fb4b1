"""Checks that need more than one package: they live above all of them.

The client side of sync never imports the server, and the server never imports storage/
(docs/architecture.md). A check of the whole sync stack needs a store, a client and a real
server at once, so it sits here, above sync/ and storage/, where importing both breaks no
arrow. main.py collects its steps with every package's own (``SELF_TEST``).
"""
