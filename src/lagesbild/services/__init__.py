"""Services over the store and the analysis: what the CLI, the web app and the reports call.
Access is decided in `store.access`; these functions always take the viewer."""
