"""The webhook service (`python -m <pkg> serve`) and the developer's playground page."""
