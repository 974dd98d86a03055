"""Reports: what a run produced (:mod:`.model`), its files (:mod:`.io`), how reports of several
jobs merge (:mod:`.merge`), how a run compares with a baseline (:mod:`.baseline`), which exit code
it earns (:mod:`.gate`), and the one way both commands finish (:mod:`.finish`)."""
