"""Rules every replica applies the same way: the store at save time, the server on
every push. Dependency-free (the standard library only), so that storage/, sync/
and sync/server/ can all import it without importing each other."""
