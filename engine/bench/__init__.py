"""The benchmark commands (`sanfu bench`, `sanfu bench-inbox`)."""
