"""History of every object: who changed what, before and after; also the change feed."""
