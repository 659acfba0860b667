"""The only code that changes subscriptions (STYLE: services). One module per concern:

- core: the row lock, the transition check, the event log, the actions a state allows;
- apply: the trial application (SPEC 5.1);
- paid: conversion, renewal option, upgrade, licences (SPEC 5.2-5.4);
- cancel: cancellation now or reserved, and its execution (SPEC 5.5, 5.6);
- jobs: the lifecycle jobs over many subscriptions (SPEC 6).
"""
