"""AI-Playground: playground_ui."""
