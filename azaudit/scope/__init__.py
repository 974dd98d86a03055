"""What a run audits: which subscriptions, and which slice of them this job takes.

- ``selection``: the ``Scope`` interface (``scope_for`` builds the run's scope from its config)
  and the ``Selection`` it resolves to.
- ``subscriptions``: the subscriptions the credential can see, and those named (``-s``).
- ``management_groups``: the subscriptions a management group holds (``-m``).
- ``shard``: ``--shard K/N``, one slice of the chosen subscriptions for parallel pipeline jobs.
- ``neighbours``: what a shard job must know of the subscriptions other jobs audit.
"""
