"""Run the app in a real Streamlit server and drive it in headless chromium (tests, bench)."""
