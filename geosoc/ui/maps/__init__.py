"""Maps in the app: folium maps and Streamlit legends, the base map, deck.gl cell layers."""
