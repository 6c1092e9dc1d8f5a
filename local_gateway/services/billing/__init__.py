"""Billing: every amount in integer micro-dollars, from the ledger to the request log.

- :mod:`.money` — units, dollars at the edge, the price arithmetic (one rounding per request);
- :mod:`.context` — the request a charge belongs to;
- :mod:`.balance` — the balance (exact, and cached for admission);
- :mod:`.credits` — the welcome credit and operator adjustments;
- :mod:`.admission` — may a request start (before the upstream call);
- :mod:`.metering` — the one ``record`` call after it: request-log row + ledger debit;
- :mod:`.request_log` — the group-commit writer those rows go through;
- :mod:`.service` — the bundle the app builds.
"""
