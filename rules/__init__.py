"""Rules every replica applies the same way: the store at save time, the server on
every push. ``names`` (field names, kinds, local kinds, id shapes), ``limits`` (counts
and sizes), ``changes`` (the change validator), ``envelope`` (the sealed-value layout)
``domain`` (the checks after a merge) and ``outputs`` (where a readable export may be
written, and writing it owner-only, whole or not at all). Dependency-free (the standard library
only), so that storage/, sync/ and sync/server/ can all import it without importing each other."""
