"""The only code that changes subscriptions (STYLE: services). One module per concern:

- core: the row lock, the one door for state changes (change_status_many) and events (record_events);
- apply: the trial application (SPEC 5.1);
- paid: conversion, upgrade, licences (SPEC 5.2-5.4);
- renewal: the renewal option and the renewal at a term's end, the renewal job's chunk (SPEC 5.3, 6);
- cancel: cancellation now or reserved, its execution, ending a service, the penalty (SPEC 5.5, 5.6);
- expiry: trial and grace expiry (SPEC 6);
- invoicing: what billing needs to know of locked subscriptions (members, cancellations);
- segments: rate segments, started and stopped set-based;
- purge: the purge of a terminated subscription's workspace and the scrubbing of its events (SPEC 6);
- jobs, reminders: the lifecycle jobs over many subscriptions (SPEC 6).

The tables of states and actions, and who reads them, are in ``subscriptions.rules``.
"""
