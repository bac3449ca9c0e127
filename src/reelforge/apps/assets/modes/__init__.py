"""The asset modes, each a sealed module registered like a provider plugin (pluggy).

A mode module holds only its own data and prompt schema; ``base`` holds how a mode is put
together (preset tables, routes from the catalog's model facts, the hook), nothing of any
one mode's."""
