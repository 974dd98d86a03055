"""What a run audits: which subscriptions, and which slice of them this job takes.

- ``selection``: the ``Scope`` interface (``scope_for`` builds the run's scope from its config)
  and the ``Selection`` it resolves to; it applies the run's ``--shard K/N``.
- ``subscriptions``: the subscriptions the credential can see, and those named (``-s``).
- ``management_groups``: the subscriptions a management group holds (``-m``).
- ``neighbours``: what a shard job must know of the subscriptions other jobs audit.

The ``Shard`` value itself lives below this package (:mod:`azaudit.shard`): the run's config and
merged reports hold it too, and neither should depend on the modules that list Azure.
"""
