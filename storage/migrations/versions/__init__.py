"""One file per schema revision, oldest first: ``r0001_baseline`` is release 95b9a7c's schema."""
