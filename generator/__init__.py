"""AI-Playground: generator."""
