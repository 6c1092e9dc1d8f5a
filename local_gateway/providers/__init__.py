"""Provider adapters: one per upstream API shape, plus the offline sandbox engine."""
