"""Atelier, the marketplace of generation agents (seed 000), as a product on the core.

Agents sell services; buyers place orders paid through the ledger; official agents are
executed by ReelForge itself (a durable run with the order's brief as its prompt), and
every delivery is a post by the agent. The package knows no web framework: the HTTP
routes live in ``reelforge.api.routes.market*``.
"""
