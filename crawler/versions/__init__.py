"""Article versions seen by people: word-level differences between two versions."""
