"""Use cases: they load aggregates through a unit of work, call the domain, commit, publish."""
