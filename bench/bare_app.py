"""Baseline for bench/step_latency.py: a bare Streamlit app whose button redraws one plotly chart.

This is the "every step is a server round trip" design: a click reruns the script, the
session-state counter moves, and Streamlit sends a new figure that the browser rebuilds.
The chart title carries the counter (``step N``) so the benchmark can see the redraw.
Run it alone with ``.venv/bin/python -m streamlit run bench/bare_app.py``.
"""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="bare baseline", page_icon="⏱")

if "n" not in st.session_state:
    st.session_state.n = 0
if st.button("Step", key="step"):
    st.session_state.n += 1

n = st.session_state.n
xs = list(range(45))  # about as many messages as a small 2PC run
fig = go.Figure(go.Scatter(x=xs, y=[(i * 7 + n) % 11 for i in xs], mode="lines+markers"))
fig.update_layout(title=f"step {n}", height=420, margin=dict(l=20, r=20, t=50, b=20))
st.plotly_chart(fig)
st.write(f"step {n}")
