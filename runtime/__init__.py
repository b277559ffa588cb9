"""AI-Playground: runtime."""
