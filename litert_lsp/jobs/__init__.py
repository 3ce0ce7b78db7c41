"""The framework-free export protocol, planner and worker client (server and CLI side)."""
