"""Teachers, professional-deficit diagnostics and individual routes (ИОМ)."""
