"""The camera registry: fixed and mobile cameras, their locations and API keys."""
