"""Consistency models: histories, one bounded checker per model, the model hierarchy and
explanations of each verdict (issue #3). Pure Python, no Streamlit; the simulator's client
``invoke``/``return`` events are the histories these checkers will read."""
