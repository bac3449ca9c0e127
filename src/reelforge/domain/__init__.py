"""Pure domain types: modes, media, money, ids, errors. No I/O lives here."""
