"""Storage adapters: the database, the artifact store and the safe fetcher."""
