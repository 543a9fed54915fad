"""The web application (FastAPI). `create_app` builds it; nothing happens at import time."""
