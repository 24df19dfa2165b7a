"""Noodrem: the engine, its ports and the channel adapters."""
