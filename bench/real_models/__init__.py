"""The real-model conformance suites: real library model code, converted and run for truth.

See README.md here for the layout, the truth file schema and the commands.
"""
