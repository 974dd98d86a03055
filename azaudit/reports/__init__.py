"""Reports as data: what a run produced (:mod:`.model`), the saved JSON document's shape
(:mod:`.document`), its files (:mod:`.io`), how reports of several jobs merge (:mod:`.merge`), the
saved reports ``azaudit report`` reads (:mod:`.saved`), how a run compares with a baseline
(:mod:`.baseline`), and which exit code it earns (:mod:`.gate`). Nothing here renders: the
renderers sit above, and :mod:`azaudit.finish` above them."""
